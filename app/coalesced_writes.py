"""uvicorn's HTTP protocol, with what one turn of the event loop writes to a connection
sent in one system call.

uvicorn writes a response's head when the app starts it and its body when the app sends
it: two sends on the socket for every answer, each one a trip through the kernel's TCP
stack to HAProxy (or the client) and a wake-up of the reader. Under a booking storm those
sends were a sixth of the app's time. Here a connection's writes wait for the end of the
loop's current turn, which the app reaches once it has sent the whole answer (or, for an
event stream, the event), and go out together. A WebSocket is handed the connection
itself: its frames are already written whole."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _Coalescing:
    """The connection's transport, for uvicorn's HTTP cycle: writes are gathered until the
    loop's turn ends; closing sends what is gathered first."""

    __slots__ = ("_transport", "_pending", "_loop")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: list[bytes] = []
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, lines) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    @property
    def raw(self) -> asyncio.Transport:
        return self._transport

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = _Coalescing(transport)  # type: ignore[assignment]

    def handle_websocket_upgrade(self) -> None:
        if isinstance(self.transport, _Coalescing):
            self.transport.flush()
            self.transport = self.transport.raw
        super().handle_websocket_upgrade()
