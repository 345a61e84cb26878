"""app.coalesced_writes: what one turn of the loop writes to a connection leaves in one
send, in order; closing sends what is gathered first; a WebSocket gets the connection
itself. The suite's servers (`python -m app serve`) run this protocol for every page,
stream and call."""

from __future__ import annotations

import asyncio

from app.coalesced_writes import CoalescingHttpToolsProtocol, _Coalescing


class Wire:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = False
        self.eof = False

    def write(self, data: bytes) -> None:
        assert not self.closed and not self.eof
        self.sent.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def write_eof(self) -> None:
        self.eof = True

    def get_extra_info(self, name: str, default=None):
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(name, default)


async def test_a_head_and_its_body_leave_in_one_send_at_the_end_of_the_turn():
    wire = Wire()
    transport = _Coalescing(wire)
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"<html>")
    assert wire.sent == []
    await asyncio.sleep(0)
    assert wire.sent == [b"HTTP/1.1 200 OK\r\n\r\n<html>"]
    transport.writelines([b"a", b"b"])
    await asyncio.sleep(0)
    assert wire.sent[1:] == [b"ab"]


async def test_closing_or_ending_sends_what_is_gathered_first():
    wire = Wire()
    transport = _Coalescing(wire)
    transport.write(b"last words")
    transport.close()
    assert wire.sent == [b"last words"] and wire.closed
    await asyncio.sleep(0)  # the turn's own flush finds nothing left, and writes nothing
    assert wire.sent == [b"last words"]
    other = Wire()
    transport = _Coalescing(other)
    transport.write(b"tail")
    transport.write_eof()
    assert other.sent == [b"tail"] and other.eof


async def test_the_protocol_writes_through_the_gathering_transport():
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    async def app(scope, receive, send):  # never called here
        raise AssertionError

    config = Config(app=app)
    config.load()
    protocol = CoalescingHttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
    wire = Wire()
    protocol.connection_made(wire)
    assert isinstance(protocol.transport, _Coalescing)
    assert protocol.transport.raw is wire
