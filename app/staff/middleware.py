"""Who is signed in, for the staff area: the session cookie read once per request under
/staff, checked against the host's clinic (a session of another clinic opens nothing
here), and put in the scope for the guards and the `staff` dependency."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.client_address import client_address
from app.cookies import cookie
from app.settings import Settings
from app.staff import sessions


class StaffSessionMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = scope.setdefault("state", {})
        state["staff"] = state["staff_pending"] = None
        clinic = state.get("clinic")
        if clinic is not None and scope["path"].startswith("/staff"):
            token = cookie(Headers.from_scope(scope), sessions.COOKIE)
            client = client_address(ASGIConnection(scope), self.settings.trusted_proxies)
            found = await sessions.resolve(
                clinic_id=clinic.id,
                token=token or "",
                idle=self.settings.staff_idle,
                client=client,
                require_two_factor=clinic.require_two_factor,
            )
            if found:
                user, pending = found
                state["staff_pending" if pending else "staff"] = user
        await next_app(scope, receive, send)
