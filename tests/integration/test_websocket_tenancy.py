"""WebSockets get their clinic from the Host header like pages do, and fail closed: a
socket on an unknown host, or on the platform's bare domain, is closed before it opens.
(The live features' own sockets, which also check that what they name is the clinic's,
build on this.)"""

from __future__ import annotations

import asyncio

import pytest
from litestar import WebSocket, websocket

from app.main import create_app
from app.settings import load
from tenants.resolution import ClinicRef


@websocket("/test-socket")
async def which_clinic(socket: WebSocket, clinic: ClinicRef) -> None:
    await socket.accept()
    await socket.send_text(clinic.slug)
    await socket.close()


async def open_socket(app, host: str) -> list[dict]:
    """The ASGI messages the app sends to a client opening /test-socket on `host`."""
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/test-socket",
        "raw_path": b"/test-socket",
        "query_string": b"",
        "headers": [(b"host", host.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "subprotocols": [],
        "state": {},
    }
    inbox: asyncio.Queue = asyncio.Queue()
    inbox.put_nowait({"type": "websocket.connect"})
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "websocket.close":
            inbox.put_nowait({"type": "websocket.disconnect", "code": message.get("code", 1000)})

    await asyncio.wait_for(app(scope, inbox.get, send), timeout=10)
    return sent


@pytest.fixture
def app(demo_data):
    app = create_app(load())
    app.register(which_clinic)
    return app


async def test_a_socket_gets_the_clinic_of_its_host(app):
    for host, slug in (("demo.localhost", "demo"), ("autre.localhost:8000", "autre")):
        sent = await open_socket(app, host)
        assert [m["type"] for m in sent] == [
            "websocket.accept",
            "websocket.send",
            "websocket.close",
        ]
        assert sent[1]["text"] == slug


@pytest.mark.parametrize(
    "host", ["nobody.localhost", "a.b.localhost", "demo.localhost:abc", "evil.example", ""]
)
async def test_a_socket_on_an_unknown_host_is_closed_before_it_opens(app, host):
    sent = await open_socket(app, host)
    assert [m["type"] for m in sent] == ["websocket.close"]
    assert sent[0]["code"] == 4404


async def test_a_socket_on_the_platforms_own_domain_gets_no_clinic(app):
    sent = await open_socket(app, "localhost")
    assert [m["type"] for m in sent] == ["websocket.close"]
