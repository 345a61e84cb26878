"""A client that goes away before it has sent its whole request body (a closed tab, a
lost connection) is not an error of ours: reading the body stops with
ClientDisconnected, a 400 nobody will read, instead of Litestar's 500 and a traceback
in the log for every dropped upload, which would hide the real errors."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class ClientDisconnected(ClientException):
    pass


class DisconnectMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        complete = False

        async def watched() -> Message:
            nonlocal complete
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                complete = True
            elif message["type"] == "http.disconnect" and not complete:
                raise ClientDisconnected("the client left before sending its whole request")
            return message

        await next_app(scope, watched, send)
