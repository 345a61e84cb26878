"""What every portal route checks first: the site exists here and its portal is open;
and the signed form token that stands in for a CSRF cookie (which a third-party
iframe may not get)."""

from __future__ import annotations

import hashlib
import hmac

from litestar import Request
from litestar.exceptions import NotFoundException

from app import clock
from tenants.resolution import ClinicRef
from tenants.sites import get_site

TOKEN_HOURS = 2  # a form left open longer than this asks to be sent again


class PortalClosed(Exception):
    def __init__(self, site: dict) -> None:
        super().__init__("portal closed")
        self.site = site


async def portal_site(clinic: ClinicRef, site_slug: str) -> dict:
    site = await get_site(clinic_id=clinic.id, slug=site_slug)
    if site is None:
        raise NotFoundException("no such site")
    if not site["portal_active"]:
        raise PortalClosed(site)
    return site


def _signature(secret: str, scope: str, hour: int) -> str:
    return hmac.new(secret.encode(), f"form:{scope}:{hour}".encode(), hashlib.sha256).hexdigest()[:32]


def form_token(request: Request, scope: str) -> str:
    hour = int(clock.now().timestamp() // 3600)
    return f"{hour}.{_signature(request.app.state.settings.secret_key, scope, hour)}"


def check_form_token(request: Request, token: str, scope: str) -> bool:
    hour_text, _dot, signature = token.partition(".")
    if not hour_text.isdigit():
        return False
    hour = int(hour_text)
    now_hour = int(clock.now().timestamp() // 3600)
    if not 0 <= now_hour - hour < TOKEN_HOURS:
        return False
    expected = _signature(request.app.state.settings.secret_key, scope, hour)
    return hmac.compare_digest(expected, signature)
