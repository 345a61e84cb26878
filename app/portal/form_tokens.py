"""The signed form token that stands in for a CSRF cookie on the portal, whose pages may
live in a third-party iframe where the clinic's cookies are not sent. A token is signed
for one purpose (a site's identify form, a booking session, an appointment's page) and
one hour, and is accepted for TOKEN_HOURS."""

from __future__ import annotations

from app import clock, signing
from app.numbers import whole_number

TOKEN_HOURS = 2  # a form left open longer than this asks to be sent again
MAX_HOUR = 10**7  # hours since 1970: the year 3110


def _signature(secret: str, scope: str, hour: int) -> str:
    return signing.digest(secret, f"form:{scope}:{hour}")[:16].hex()


def form_token(secret: str, scope: str) -> str:
    hour = int(clock.now().timestamp() // 3600)
    return f"{hour}.{_signature(secret, scope, hour)}"


def check_form_token(secret: str, token: str, scope: str) -> bool:
    hour_text, _dot, signature = token.partition(".")
    hour = whole_number(hour_text, maximum=MAX_HOUR)
    now_hour = int(clock.now().timestamp() // 3600)
    if hour is None or not 0 <= now_hour - hour < TOKEN_HOURS:
        return False
    return signing.same(_signature(secret, scope, hour), signature)
