"""The appointment details link: unguessable, signed, and dead once the appointment is over.

The token carries the appointment id and an expiry (the appointment's end plus a
grace period), signed with HMAC-SHA256 under the platform's secret key; nothing is
stored, and a tampered or expired token is simply not found. The expiry also ties the
link to the appointment's current time: once it is moved, older links are dead."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta

from app import clock, signing
from app.numbers import MAX_ID, whole_number

PREFIX = "/a"  # where the details page lives on a clinic's host (its route is declared with it)
GRACE = timedelta(hours=12)  # the link still works for a while after the appointment ends
MAX_TIMESTAMP = 10**11  # seconds: the year 5138


def _sign(secret: str, payload: str) -> str:
    return base64.urlsafe_b64encode(signing.digest(secret, payload)[:24]).decode().rstrip("=")


def _expiry(ends_at: datetime) -> int:
    return int((ends_at + GRACE).timestamp())


def make_token(secret: str, appointment_id: int, ends_at: datetime) -> str:
    payload = f"{appointment_id}.{_expiry(ends_at)}"
    return f"{payload}.{_sign(secret, 'appointment:' + payload)}"


def details_path(token: str) -> str:
    """The details page's path: for messages, which are written where no router is at hand."""
    return f"{PREFIX}/{token}"


def room_path(token: str) -> str:
    """The waiting room of a teleconsultation on the built-in platform: the same token, so
    the link in a message is made, and dies, like the details link."""
    return f"{details_path(token)}/room"


def pay_path(token: str) -> str:
    """Where "Pay" leads, in the call, on its last page and in the end-of-consultation
    message: our page, which sends the patient on to the provider's checkout."""
    return f"{details_path(token)}/pay"


def my_path(site_slug: str) -> str:
    """Where "My appointments" starts on a clinic's host (route portal:my): for messages,
    which are written where no router is at hand."""
    return f"/{site_slug}/my"


@dataclass(frozen=True)
class Link:
    """What a well-signed, unexpired token says: which appointment, and until when."""

    appointment_id: int
    expires: int

    def made_for(self, ends_at: datetime) -> bool:
        """Whether the link was made for the appointment as it is now: a move changes
        its end, so every link sent before the move stops working."""
        return self.expires == _expiry(ends_at)


def read_token(secret: str, token: str) -> Link | None:
    """None for a malformed, tampered or expired token."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    appointment_id = whole_number(parts[0], maximum=MAX_ID)
    expires = whole_number(parts[1], maximum=MAX_TIMESTAMP)
    if appointment_id is None or expires is None:
        return None
    if not signing.same(_sign(secret, f"appointment:{parts[0]}.{parts[1]}"), parts[2]):
        return None
    if expires < clock.now().timestamp():
        return None
    return Link(appointment_id, expires)
