import httpx
import pytest

from app.main import create_app
from app.settings import load
from tests.integration.messaging_helpers import comms, servers  # noqa: F401 - the messaging tests' fixtures


@pytest.fixture
async def client(demo_data):
    """The app over HTTP, in the test's own event loop (the database pool lives there);
    pick the clinic per request with headers={"host": ...}."""
    transport = httpx.ASGITransport(app=create_app(load()))
    async with httpx.AsyncClient(transport=transport, base_url="http://demo.localhost") as test_client:
        yield test_client
