"""The appointment details link: unguessable, signed, and dead once the appointment is over.

The token carries the appointment id and an expiry, signed with HMAC-SHA256 under
the platform's secret key; nothing is stored, and a tampered or expired token is
simply not found."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from app import clock

GRACE = timedelta(hours=12)  # the link still works for a while after the appointment ends


def _sign(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def make_token(secret: str, appointment_id: int, ends_at: datetime) -> str:
    expires = int((ends_at + GRACE).timestamp())
    payload = f"{appointment_id}.{expires}"
    return f"{payload}.{_sign(secret, 'appointment:' + payload)}"


def read_token(secret: str, token: str) -> int | None:
    """The appointment id, or None for a malformed, tampered or expired token."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    appointment_id, expires, signature = parts
    expected = _sign(secret, f"appointment:{appointment_id}.{expires}")
    if not hmac.compare_digest(expected, signature):
        return None
    if int(expires) < clock.now().timestamp():
        return None
    return int(appointment_id)
