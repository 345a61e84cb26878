"""One log line per request, with the id also sent back in X-Request-Id.

The line says which request it was (method, the route's template, the path with any token
replaced by app.bearer_paths), for which clinic, how it ended and how long it took. Never
the query string or the body: a search or a form carries patients' names and addresses.
Every other log record written while the request runs carries its id as well
(app.log_format), so an error's traceback is found from the id a person reports.

It wraps the app's ASGI handler rather than being a route middleware, so requests that
match no route (a 404, a bad Host) have their line too."""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.bearer_paths import redact

log = logging.getLogger("app.requests")
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
HEADER = b"x-request-id"
# An id set by the load balancer is kept (one id from HAProxy to the app's lines) when it
# looks like one; anything else is replaced, so no client writes what it likes into logs.
_GIVEN_ID = re.compile(rb"[A-Za-z0-9._:-]{8,64}")


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = REQUEST_ID.set(request_id)
        path = scope["path"]  # before routing normalises it
        started = time.perf_counter()
        status = 500  # if the app fails before answering

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            clinic = scope.get("state", {}).get("clinic")
            log.info(
                "%s %s %s",
                scope.get("method"),
                redact(path),
                status,
                extra={
                    "fields": {
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": redact(path),
                        "route": scope.get("path_template"),
                        "clinic": clinic.slug if clinic is not None else None,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                },
            )
            REQUEST_ID.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == HEADER and _GIVEN_ID.fullmatch(value):
            return value.decode()
    return uuid.uuid4().hex
