"""One-time codes: a person proves they hold a contact by typing the code sent to it.

A code has 6 digits, is valid for 10 minutes and allows 5 tries; asking for a new one
for the same subject (what the code proves, named by the caller) replaces the previous
one, and one address receives at most a few codes an hour, so nobody can flood someone's
inbox or phone through it. The code goes out through the outbox like every message, so a
mail server that is down delays it and never loses it. It is never stored: an HMAC of
the row's random nonce with the secret key gives it, to the dispatcher that sends it and
to check(), which compares it in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from app import clock
from app.db import write_transaction
from app.i18n import gettext as _
from app.messaging.tables import Message, OneTimeCode

KIND = "one_time_code"  # the outbox kind of the message that carries a code
LENGTH = 6
LIFETIME = timedelta(minutes=10)
MAX_TRIES = 5
SENDS_PER_ADDRESS = 5
SENDS_WINDOW = timedelta(hours=1)
_TYPED = re.compile(r"[0-9]{%d}" % LENGTH)  # ASCII digits only: "²" is a digit to str.isdigit


@dataclass(frozen=True)
class Challenge:
    """A code on its way or delivered, not yet used."""

    id: int
    expires_at: datetime


@dataclass(frozen=True)
class Checked:
    outcome: str  # right | wrong | expired (none live: expired, used up or never sent)
    tries_left: int = 0


def parse_code(data: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
    """The code typed in the field "code", as sent (spaces and dashes people add dropped)."""
    typed = re.sub(r"[\s-]", "", str(data.get("code") or ""))
    if not _TYPED.fullmatch(typed):
        return None, {"code": _("Enter the %(n)s-digit code we sent you.", n=LENGTH)}
    return typed, {}


def code_for(secret_key: str, nonce: str) -> str:
    mac = hmac.new(secret_key.encode(), f"one-time-code:{nonce}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:8], 'big') % 10**LENGTH:0{LENGTH}d}"


async def send(
    *, clinic_id: int, subject: str, channel: str, address: str, language: str
) -> Challenge | None:
    """Queue a new code to `address` (an email, or a cell phone in E.164) for `subject`;
    None when that address has had SENDS_PER_ADDRESS codes within the hour."""
    now = clock.now()
    address_key = hashlib.sha256(f"address:{address.lower()}".encode()).hexdigest()
    async with write_transaction():
        recent = await OneTimeCode.count().where(
            (OneTimeCode.clinic == clinic_id)
            & (OneTimeCode.address_key == address_key)
            & (OneTimeCode.created_at > now - SENDS_WINDOW)
        )
        if recent >= SENDS_PER_ADDRESS:
            return None
        await OneTimeCode.update({OneTimeCode.used_at: now}).where(_live(clinic_id, subject, now))
        code = OneTimeCode(
            clinic=clinic_id,
            subject=subject,
            address_key=address_key,
            nonce=secrets.token_hex(16),
            created_at=now,
            expires_at=now + LIFETIME,
        )
        await code.save()
        await Message.insert(
            Message(
                clinic=clinic_id,
                one_time_code=code.id,
                kind=KIND,
                channel=channel,
                recipient=address,
                language=language,
                due_at=now,
                next_attempt_at=now,
                status="pending",
                # Not the code's id: SQLite hands a purged code's id to the next one.
                idempotency_key=f"{KIND}:{secrets.token_hex(16)}",
                created_at=now,
            )
        )
    return Challenge(code.id, code.expires_at)


async def live(*, clinic_id: int, subject: str) -> Challenge | None:
    """The code that would be checked for `subject` now, if any."""
    row = (
        await OneTimeCode.select(OneTimeCode.id, OneTimeCode.expires_at)
        .where(_live(clinic_id, subject, clock.now()))
        .first()
    )
    return Challenge(row["id"], row["expires_at"]) if row else None


async def check(*, clinic_id: int, subject: str, typed: str, secret_key: str) -> Checked:
    """Use up one try of the live code for `subject`; a right code is then used up too."""
    now = clock.now()
    async with write_transaction():
        tried = (
            await OneTimeCode.update({OneTimeCode.tries: OneTimeCode.tries + 1})
            .where(_live(clinic_id, subject, now))
            .returning(OneTimeCode.id, OneTimeCode.nonce, OneTimeCode.tries)
        )
        if not tried:
            return Checked("expired")
        row = tried[0]
        if not hmac.compare_digest(code_for(secret_key, row["nonce"]).encode(), typed.encode()):
            return Checked("wrong", MAX_TRIES - row["tries"])
        await OneTimeCode.update({OneTimeCode.used_at: now}).where(OneTimeCode.id == row["id"])
    return Checked("right")


async def purge(*, now: datetime) -> int:
    """Delete codes past every window: long expired, and no longer counted by the sending
    limit. Their messages stay (the cost was billed), without the link."""
    async with write_transaction():
        gone = (
            await OneTimeCode.delete()
            .where(OneTimeCode.created_at <= now - SENDS_WINDOW)
            .returning(OneTimeCode.id)
        )
    return len(gone)


def _live(clinic_id: int, subject: str, now: datetime):
    return (
        (OneTimeCode.clinic == clinic_id)
        & (OneTimeCode.subject == subject)
        & OneTimeCode.used_at.is_null()
        & (OneTimeCode.expires_at > now)
        & (OneTimeCode.tries < MAX_TRIES)
    )
