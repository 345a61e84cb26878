"""Dependencies resolved in turn (app.dependency_order) still give each handler what
Litestar's own resolution gives: values that build on others, a dependency's exception
as the answer, and the clean-up after a generator dependency."""

from __future__ import annotations

from litestar import Litestar, get
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.testing import TestClient

from app import dependency_order
from app.dependency_order import _in_turn

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


@get("/missing", dependencies={"gone": Provide(missing)})
async def missing_route(first: int, gone: int) -> str:
    return "never"


def app() -> Litestar:
    dependency_order.install()
    return Litestar(
        route_handlers=[sum_route, missing_route],
        dependencies={
            "first": Provide(first),
            "second": Provide(second),
            "resource": Provide(opened),
        },
    )


def test_the_patch_is_the_one_in_force():
    dependency_order.install()
    assert KwargsModel.resolve_dependencies is _in_turn


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
