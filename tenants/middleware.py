"""Resolves the clinic from the Host header before any handler runs, and the locale
with it. Unknown hosts stop here with a 404, and so does a Host header that is no
host (a port that is not a number): nothing downstream sees a request without its
clinic (or the explicit platform marker). WebSockets pass through it too, so a
socket opened on an unknown host is closed before any handler runs. The clinic's frame
policy is sent with the other security headers (app/security_headers.py)."""

from __future__ import annotations

from urllib.parse import parse_qs

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException, WebSocketException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app import i18n
from app.cookies import cookie
from tenants.resolution import resolve

# Paths that serve no clinic data and must answer on any host (load balancers, assets).
HOST_FREE_PATHS = r"^/(healthz|static/)"


class ClinicMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)
    exclude_path_pattern = HOST_FREE_PATHS

    def __init__(self, base_domain: str) -> None:
        self.base_domain = base_domain

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers = Headers.from_scope(scope)
        kind, clinic = await resolve(headers.get("host", ""), self.base_domain)
        state = scope.setdefault("state", {})
        state["host_kind"] = kind
        state["clinic"] = clinic
        i18n.activate(
            i18n.negotiate(
                query=_query_lang(scope),
                cookie=cookie(headers, i18n.COOKIE),
                accept_language=headers.get("accept-language"),
                default=clinic.default_language if clinic else "en",
            )
        )
        if kind == "unknown":
            if scope["type"] == ScopeType.WEBSOCKET:
                raise WebSocketException(
                    detail="unknown host", code=4404
                )  # refused before it opens
            raise NotFoundException("unknown host")
        await next_app(scope, receive, send)


def _query_lang(scope: Scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang")
    return values[0] if values else None
