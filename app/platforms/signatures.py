"""The platform's webhook signature: `X-Reacts-Signature: t=<unix seconds>,v1=<hex>` where
v1 is HMAC-SHA256 of "<t>.<body>" under the shared secret, Stripe's scheme. The timestamp
is checked against app.clock (tests move it), so a captured request cannot be replayed
after TOLERANCE, and the event id (app.platforms.webhook) not even within it."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

HEADER = "X-Reacts-Signature"
TOLERANCE = timedelta(minutes=5)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, now: datetime) -> str:
    """'' when the signature is good and fresh, else why not (bad_signature | stale)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    raw, given = parts.get("t", ""), parts.get("v1", "")
    if not raw.isdigit() or len(raw) > 12 or not given:
        return "bad_signature"
    expected = sign(secret, body, int(raw)).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        return "bad_signature"
    if abs(now.timestamp() - int(raw)) > TOLERANCE.total_seconds():
        return "stale"
    return ""
