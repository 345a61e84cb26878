"""How Litestar prepares a handler's call: its dependencies resolved one after the other,
its guards given the handler itself.

Litestar resolves the independent dependencies of a handler concurrently, with an anyio
task group per batch. Ours are the clinic from the request's state, a site read and small
constructors: spawning their tasks cost more than running them in turn (a tenth of a
portal request's CPU in a booking storm's profile), and none waits on another. This keeps
Litestar's batches and their order, and awaits each dependency in turn.

Litestar gives each guard a copy of the route handler, in case a guard changes it: two
copies of a large object for every portal request (a twentieth of its CPU). No guard of
ours changes its handler (they read the connection only), so each is given the handler.

Checked against the pinned Litestar (pyproject.toml) by tests/unit/test_handler_calls.py."""

from __future__ import annotations

from typing import Any

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler


async def _in_turn(
    self: KwargsModel, connection: ASGIConnection, kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


async def _guarded(self: BaseRouteHandler, connection: ASGIConnection) -> None:
    for guard in self.resolve_guards():
        await guard(connection, self)


def install() -> None:
    KwargsModel.resolve_dependencies = _in_turn  # type: ignore[method-assign]
    BaseRouteHandler.authorize_connection = _guarded  # type: ignore[method-assign]
