"""The app over HTTP, as uvicorn runs it: one app per test, its start-up and shut-down
run (so its in-process dispatcher delivers the outbox, as on `make run`), in the test's
own event loop (the database pool lives there); one client per clinic, `demo` and
`autre`, each on its clinic's host; and `demo_id` for the tests that call the services
directly."""

from __future__ import annotations

from dataclasses import replace
from typing import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from app.main import create_app
from app.settings import Settings, load
from conftest import MESSAGING_REDIS_TEST_URL
from tests.integration.demo_lookup import clinic_id
from tests.integration.engine_fixtures import world  # noqa: F401 - the engine tests' fixture
from tests.integration.messaging_helpers import (  # noqa: F401 - the messaging tests' fixtures
    comms,
    servers,
)
from tests.integration.staff_events import recorded  # noqa: F401 - the staff events seen
from tests.integration.web import clinic_client, running
from tests.moments import freeze


@pytest.fixture
def app_settings(request) -> Settings:
    """The laptop default. A test that delivers the outbox itself (`comms`) gets the web
    process of a deployment with a worker instead (REDIS_URL set: nothing is delivered
    from the web process), with the providers of its dispatcher: each delivery is the test's."""
    if "comms" in request.fixturenames:
        return replace(
            request.getfixturevalue("comms").settings, redis_url=MESSAGING_REDIS_TEST_URL
        )
    return load()


@pytest.fixture
async def web_app(demo_data, app_settings) -> AsyncIterator[Litestar]:
    async with running(create_app(app_settings)) as app:
        yield app


@pytest.fixture
async def demo(web_app) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the demo clinic's host."""
    async with clinic_client(web_app, "demo") as client:
        yield client


@pytest.fixture
async def autre(web_app) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the other clinic's host."""
    async with clinic_client(web_app, "autre") as client:
        yield client


@pytest.fixture
async def demo_id(demo_data) -> int:
    """The demo clinic's id on a fresh seed, the clock frozen on NOW: for the tests that
    call the services directly, with no app in between."""
    freeze()
    return await clinic_id("demo")
