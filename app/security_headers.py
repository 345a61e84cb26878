"""Headers every response carries, set in one place (a before-send hook, so error
pages and static files get them too):

- a Content-Security-Policy: only this origin's scripts, styles and images, plus the
  one inline script below by its hash; and only the clinic itself and the websites it
  lists may frame its portal (the staff area is framed by no one else: no clickjacking
  of an administrator through a listed website);
- no MIME sniffing, and no Referer: a details link is a credential in the URL, and
  would otherwise reach any site a page links to;
- no caching of pages that carry a token in their path (see bearer_paths);
- under https, HSTS."""

from __future__ import annotations

import base64
import hashlib

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope
from markupsafe import Markup

from app.bearer_paths import carries_token
from app.settings import Settings

HSTS_SECONDS = 365 * 24 * 3600
# Marks the page as scripted before its first paint, so the stylesheet hides what only a
# page without JavaScript needs (a deferred file would come too late: a flash of it).
JS_FLAG = Markup('document.documentElement.classList.add("js")')
_JS_FLAG_HASH = base64.b64encode(hashlib.sha256(JS_FLAG.encode()).digest()).decode()


def content_security_policy(embed_origins: tuple[str, ...]) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'sha256-{_JS_FLAG_HASH}'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors " + " ".join(("'self'", *embed_origins)),
        ]
    )


def security_headers(settings: Settings) -> BeforeMessageSendHookHandler:
    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        clinic = scope.get("state", {}).get("clinic")
        headers = MutableScopeHeaders.from_message(message)
        embeddable = clinic is not None and not scope["path"].startswith("/staff")
        policy = content_security_policy(clinic.embed_origins if embeddable else ())
        headers["Content-Security-Policy"] = policy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        # A download under a link says "private, no-store" itself; keep that.
        if carries_token(scope["path"]) and "no-store" not in headers.get("cache-control", ""):
            headers["Cache-Control"] = "no-store"
        if settings.public_scheme == "https":
            headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"

    return before_send
