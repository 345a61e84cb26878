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
from datetime import date, datetime, timedelta
from typing import Any

from app import clock
from app.booking.bookers import Booker
from app.booking.services import BookingService, Outcome, OutcomeCode
from app.booking.tables import BookingSession
from app.db import write_transaction
from app.raw_sql import json_value, select_sql
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


@dataclass(frozen=True)
class TypedIdentity:
    """What the patient typed at step 1: shown back to them as typed, and the contacts
    in their normal forms (where the confirmation goes)."""

    as_typed: dict[str, str]
    cell_phone: str | None  # E.164
    email: str | None
    # Someone booking for this patient (app.booking.bookers): the confirmation goes to them.
    booker: Booker | None = None

    def to_json(self) -> dict[str, Any]:
        typed = {
            **self.as_typed,
            "normalised": {"cell_phone": self.cell_phone, "email": self.email},
        }
        return {**typed, "booker": self.booker.to_json()} if self.booker else typed

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TypedIdentity":
        contacts = data.get("normalised") or {}
        return cls(
            as_typed={k: v for k, v in data.items() if k not in ("normalised", "booker")},
            cell_phone=contacts.get("cell_phone"),
            email=contacts.get("email"),
            booker=Booker.from_json(data.get("booker")),
        )

    @property
    def confirm_to(self) -> tuple[str | None, str | None]:
        """(email, cell phone) the booking confirmation goes to: the booker's, if any."""
        if self.booker:
            return self.booker.email, self.booker.cell_phone
        return self.email, self.cell_phone


@dataclass(frozen=True)
class BookingSessionView:
    """One patient's way through the wizard, as far as they have gone."""

    id: int
    clinic_id: int
    site_id: int
    token: str
    identity: TypedIdentity
    patient_id: int | None
    service_id: int | None
    reason: str
    details: str
    preference: str  # asap | date
    from_date: date | None
    day_part: str | None
    shown: int  # how many availabilities the list shows
    slot_id: int | None  # under review (held)
    appointment_id: int | None  # once booked
    language: str
    client_key: str

    @classmethod
    def from_row(cls, row: dict) -> "BookingSessionView":
        return cls(
            id=row["id"],
            clinic_id=row["clinic"],
            site_id=row["site"],
            token=row["token"],
            identity=TypedIdentity.from_json(row["identity"] or {}),
            patient_id=row["patient"],
            service_id=row["service"],
            reason=row["reason"],
            details=row["details"],
            preference=row["preference"],
            from_date=row["from_date"],
            day_part=row["day_part"],
            shown=row["shown"] or 5,
            slot_id=row["slot"],
            appointment_id=row["appointment"],
            language=row["language"],
            client_key=row["client_key"],
        )


# What secrets.token_urlsafe(32) gives; anything else in a URL (a NUL byte, which
# PostgreSQL refuses, or a megabyte of text) is no session without asking the database.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


async def start(
    *,
    clinic_id: int,
    site_id: int,
    identity: TypedIdentity,
    patient_id: int | None,
    language: str,
    visitor: Visitor,
) -> BookingSessionView | None:
    """The new session, or None when this person or this client has too many live ones."""
    now = clock.now()
    session = BookingSession(
        clinic=clinic_id,
        site=site_id,
        token=secrets.token_urlsafe(32),
        identity=identity.to_json(),
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
        gone = (
            await BookingSession.delete()
            .where((BookingSession.id == idle["id"]) & BookingSession.slot.is_null())
            .returning(BookingSession.id)
        )
    return bool(gone)


async def hold(*, session: BookingSessionView, slot_id: int, booking: BookingService) -> Outcome:
    """Hold a slot for this session, unless its client already holds HOLDS_PER_CLIENT
    (outcome code "too_many_holds"; the session then holds nothing)."""
    outcome = await booking.hold(slot_id=slot_id, token=session.token)
    if not outcome.ok:
        return outcome
    now = clock.now()
    tokens = BookingSession.select(BookingSession.token).where(
        _live(session.clinic_id, now) & (BookingSession.client_key == session.client_key)
    )
    held = await Slot.count().where(
        (Slot.clinic == session.clinic_id)
        & (Slot.state == "open")
        & (Slot.hold_until > now)
        & Slot.hold_token.is_in(tokens)
    )
    if held > HOLDS_PER_CLIENT:
        async with write_transaction():
            await booking.release(token=session.token)
        return Outcome(OutcomeCode.TOO_MANY_HOLDS)
    return outcome


# Read by every request past step 1: written once as SQL (app.raw_sql says why).
_SESSION_SQL = select_sql(
    "booking_session",
    [
        "id", "clinic", "site", "token", "identity", "patient", "service", "reason",
        "details", "preference", "from_date", "day_part", "shown", "slot", "appointment",
        "language", "client_key",
    ],
    'WHERE "clinic" = {} AND "site" = {} AND "token" = {} AND "expires_at" > {} LIMIT 1',
)  # fmt: skip


async def get(*, clinic_id: int, site_id: int, token: str) -> BookingSessionView | None:
    """The live session behind a token, only on its own clinic and site."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    rows = await BookingSession.raw(_SESSION_SQL, clinic_id, site_id, token, clock.now())
    if not rows:
        return None
    row = rows[0]
    return BookingSessionView.from_row({**row, "identity": json_value(row["identity"])})


async def update(*, clinic_id: int, session_id: int, **values: Any) -> None:
    columns = {getattr(BookingSession, name): value for name, value in values.items()}
    async with write_transaction():
        await BookingSession.update(columns).where(
            (BookingSession.id == session_id) & (BookingSession.clinic == clinic_id)
        )


async def purge(*, now: datetime) -> int:
    """Delete expired sessions, with the names, birth dates and contacts they hold."""
    async with write_transaction():
        gone = (
            await BookingSession.delete()
            .where(BookingSession.expires_at <= now)
            .returning(BookingSession.id)
        )
    return len(gone)


def _live(clinic_id: int, now: datetime):
    return (
        (BookingSession.clinic == clinic_id)
        & (BookingSession.expires_at > now)
        & BookingSession.appointment.is_null()
    )
