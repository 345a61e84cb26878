"""A handler's dependencies are resolved one after the other.

Litestar resolves the independent dependencies of a handler concurrently, with an anyio
task group per batch. Ours are the clinic from the request's state, a site read and small
constructors: spawning their tasks cost more than running them in turn (a tenth of a
portal request's CPU in a booking storm's profile), and none waits on another. This keeps
Litestar's batches and their order, and awaits each dependency in turn.
Checked against the pinned Litestar (pyproject.toml) by tests/unit/test_dependency_order.py."""

from __future__ import annotations

from typing import Any

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection


async def _in_turn(
    self: KwargsModel, connection: ASGIConnection, kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def install() -> None:
    KwargsModel.resolve_dependencies = _in_turn  # type: ignore[method-assign]
