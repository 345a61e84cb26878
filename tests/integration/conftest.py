"""The app over HTTP, as uvicorn runs it: one app per test, its start-up and shut-down
run (so its in-process dispatcher delivers the outbox, as on `make run`), in the test's
own event loop (the database pool lives there); and one client per clinic, `demo` and
`autre`, each on its clinic's host."""

from __future__ import annotations

from dataclasses import replace
from typing import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from app.main import create_app
from app.settings import Settings, load
from conftest import MESSAGING_REDIS_TEST_URL
from tests.integration.messaging_helpers import (  # noqa: F401 - the messaging tests' fixtures
    comms,
    servers,
)
from tests.integration.web import clinic_client, running


@pytest.fixture
def app_settings(request) -> Settings:
    """The laptop default. A test that delivers the outbox itself (`comms`) gets the web
    process of a deployment with a worker instead (REDIS_URL set: nothing is delivered
    from the web process), with the providers of its dispatcher: each delivery is the test's."""
    if "comms" in request.fixturenames:
        return replace(request.getfixturevalue("comms").settings, redis_url=MESSAGING_REDIS_TEST_URL)
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
async def client(web_app) -> AsyncIterator[httpx.AsyncClient]:
    """The older name of `demo` (on its host; `headers=AUTRE` still picks the other
    clinic), kept for the tests that use it. Its own fixture, not `demo`'s, since some
    modules name a fixture of theirs `demo`."""
    async with clinic_client(web_app, "demo") as test_client:
        yield test_client
