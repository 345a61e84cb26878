"""Booking sessions: the server-side state of one patient's way through the portal wizard.

A session is live from its start until it books or expires. One person may only have a
few live at a time, and one client (an address) only a few slots held at a time, so that
nobody can hold a clinic's list of availabilities (an attacker once held 25 slots with 26
sessions as one patient). A person going back to step 1 and sending it again does not
use up their sessions: at the limit, their oldest session from the same client that
holds nothing makes room. A client is its address (app.client_address), a person the
identity typed (app.patients.identification.identity_key); both are kept as digests. As
with identification attempts, a session or a hold is first written and committed, then
counted: in a burst of parallel requests the later ones see the earlier ones, and the
one over the limit undoes itself."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app import clock
from app.booking.services import BookingService, Outcome
from app.booking.tables import BookingSession
from app.db import write_transaction
from app.scheduling.tables import Slot

LIFETIME = timedelta(hours=2)
SESSIONS_PER_PERSON = 3
# As many as the new patients one address may identify (a waiting room's Wi-Fi); each
# holds at most one slot, and HOLDS_PER_CLIENT bounds those.
SESSIONS_PER_CLIENT = 100
HOLDS_PER_CLIENT = 3


@dataclass(frozen=True)
class Visitor:
    """Who starts a session, as digests."""

    client_key: str  # app.client_address.limit_key of the request's address
    identity_key: str  # app.patients.identification.identity_key of the form

# What secrets.token_urlsafe(32) gives; anything else in a URL (a NUL byte, which
# PostgreSQL refuses, or a megabyte of text) is no session without asking the database.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


async def start(
    *,
    clinic_id: int,
    site_id: int,
    identity: dict[str, Any],
    patient_id: int | None,
    language: str,
    visitor: Visitor,
) -> dict | None:
    """The new session, or None when this person or this client has too many live ones."""
    now = clock.now()
    session = BookingSession(
        clinic=clinic_id,
        site=site_id,
        token=secrets.token_urlsafe(32),
        identity=identity,
        patient=patient_id,
        identified="identified" if patient_id else "unidentified",
        language=language,
        client_key=visitor.client_key,
        identity_key=visitor.identity_key,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    async with write_transaction():
        await session.save()
    live = _live(clinic_id, now)
    person = live & (BookingSession.identity_key == visitor.identity_key)
    client = live & (BookingSession.client_key == visitor.client_key)
    crowded = await BookingSession.count().where(person) > SESSIONS_PER_PERSON
    if crowded:
        crowded = not await _make_room(person & client & (BookingSession.id != session.id))
    if crowded or await BookingSession.count().where(client) > SESSIONS_PER_CLIENT:
        async with write_transaction():
            await BookingSession.delete().where(
                (BookingSession.id == session.id) & (BookingSession.clinic == clinic_id)
            )
        return None
    return await get(clinic_id=clinic_id, site_id=site_id, token=session.token)


async def _make_room(among) -> bool:
    """End the oldest of these sessions that holds nothing; False when there is none."""
    async with write_transaction():
        idle = await (
            BookingSession.select(BookingSession.id)
            .where(among & BookingSession.slot.is_null())
            .order_by(BookingSession.created_at)
            .first()
        )
        if idle is None:
            return False
        gone = await BookingSession.delete().where(
            (BookingSession.id == idle["id"]) & BookingSession.slot.is_null()
        ).returning(BookingSession.id)
    return bool(gone)


async def hold(*, session: dict, slot_id: int, booking: BookingService) -> Outcome:
    """Hold a slot for this session, unless its client already holds HOLDS_PER_CLIENT
    (outcome code "too_many_holds"; the session then holds nothing)."""
    outcome = await booking.hold(slot_id=slot_id, token=session["token"])
    if not outcome.ok:
        return outcome
    now = clock.now()
    tokens = BookingSession.select(BookingSession.token).where(
        _live(session["clinic"], now) & (BookingSession.client_key == session["client_key"])
    )
    held = await Slot.count().where(
        (Slot.clinic == session["clinic"])
        & (Slot.state == "open")
        & (Slot.hold_until > now)
        & Slot.hold_token.is_in(tokens)
    )
    if held > HOLDS_PER_CLIENT:
        async with write_transaction():
            await booking.release(token=session["token"])
        return Outcome("too_many_holds")
    return outcome


async def get(*, clinic_id: int, site_id: int, token: str) -> dict | None:
    """The live session behind a token, only on its own clinic and site."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    return (
        await BookingSession.select()
        .where(
            (BookingSession.clinic == clinic_id)
            & (BookingSession.site == site_id)
            & (BookingSession.token == token)
            & (BookingSession.expires_at > clock.now())
        )
        .output(load_json=True)
        .first()
    )


async def update(*, clinic_id: int, session_id: int, **values: Any) -> None:
    columns = {getattr(BookingSession, name): value for name, value in values.items()}
    async with write_transaction():
        await BookingSession.update(columns).where(
            (BookingSession.id == session_id) & (BookingSession.clinic == clinic_id)
        )


async def purge(*, now: datetime) -> int:
    """Delete expired sessions, with the names, birth dates and contacts they hold."""
    async with write_transaction():
        gone = await BookingSession.delete().where(BookingSession.expires_at <= now).returning(BookingSession.id)
    return len(gone)


def _live(clinic_id: int, now: datetime):
    return (
        (BookingSession.clinic == clinic_id)
        & (BookingSession.expires_at > now)
        & BookingSession.appointment.is_null()
    )
