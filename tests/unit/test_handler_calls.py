"""Dependencies resolved in turn and guards given the handler (app.handler_calls) still
give each handler what Litestar's own ways give: values that build on others, a
dependency's exception as the answer, the clean-up after a generator dependency, and a
guard's refusal as the answer."""

from __future__ import annotations

from litestar import Litestar, get
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.di import Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.testing import TestClient

from app import handler_calls
from app.handler_calls import _guarded, _in_turn

events: list[str] = []


async def first() -> int:
    events.append("first")
    return 1


async def second() -> int:
    events.append("second")
    return 2


async def total(first: int, second: int) -> int:
    return first + second


async def missing() -> int:
    raise NotFoundException("no such thing")


async def opened():
    events.append("opened")
    yield "resource"
    events.append("closed")


@get("/sum", dependencies={"total": Provide(total)})
async def sum_route(total: int, resource: str) -> str:
    return f"{total} {resource}"


seen_by_guards: list = []


async def no_strangers(connection, handler) -> None:
    seen_by_guards.append(handler)
    if connection.query_params.get("who") != "staff":
        raise PermissionDeniedException("staff only")


@get("/guarded", guards=[no_strangers])
async def guarded_route() -> str:
    return "inside"


@get("/missing", dependencies={"gone": Provide(missing)})
async def missing_route(first: int, gone: int) -> str:
    return "never"


def app() -> Litestar:
    handler_calls.install()
    return Litestar(
        route_handlers=[sum_route, missing_route, guarded_route],
        dependencies={
            "first": Provide(first),
            "second": Provide(second),
            "resource": Provide(opened),
        },
    )


def test_the_patches_are_the_ones_in_force():
    handler_calls.install()
    assert KwargsModel.resolve_dependencies is _in_turn
    assert BaseRouteHandler.authorize_connection is _guarded


def test_values_build_on_each_other_and_a_generator_is_closed_after_the_answer():
    events.clear()
    with TestClient(app()) as client:
        answer = client.get("/sum")
    assert (answer.status_code, answer.text) == (200, "3 resource")
    assert sorted(events) == ["closed", "first", "opened", "second"]
    assert events[-1] == "closed"


def test_a_dependency_that_raises_is_the_answer():
    with TestClient(app()) as client:
        answer = client.get("/missing")
    assert answer.status_code == 404


def test_a_guard_is_given_the_handler_and_its_refusal_is_the_answer():
    seen_by_guards.clear()
    with TestClient(app()) as client:
        assert client.get("/guarded").status_code == 403
        answer = client.get("/guarded?who=staff")
    assert (answer.status_code, answer.text) == (200, "inside")
    first, second = seen_by_guards
    assert first is second  # the handler itself, not a copy for each request
    assert first.handler_name == "guarded_route"
