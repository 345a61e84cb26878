"""Holds, bookings, cancellations and moves, race-free on SQLite and PostgreSQL.

A slot is taken by one conditional UPDATE (…WHERE state = 'open' AND its hold is
free or ours) whose returned rows say who won: the database arbitrates, there is
no check-then-insert. The partial unique index on the active appointment of a
slot backs it up. Holds lapse by time (hold_until), so no job is needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app import clock
from app.booking.tables import Appointment
from app.db import is_postgres, write_transaction
from app.messaging.planner import plan
from app.scheduling.tables import Slot

DEFAULT_HOLD = timedelta(minutes=5)


@dataclass(frozen=True)
class Outcome:
    """What happened, for the UI to show. `code` is one of:
    held, booked, moved, cancelled, confirmed, arrived, no_longer_available,
    hold_expired, already_cancelled, not_found."""

    code: str
    appointment_id: int | None = None
    hold_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.code in ("held", "booked", "moved", "cancelled", "confirmed", "arrived")


@dataclass(frozen=True)
class BookingDetails:
    source: str  # online | staff
    created_by: str = ""
    patient_id: int | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    provisional: dict[str, Any] | None = None
    language: str = "fr"
    reason: str = ""
    details: str = ""
    appointment_type_id: int | None = None  # None: the activity's default type
    service_id: int | None = None  # the online service, when booked through the portal


def _free(now: datetime, token: str | None = None):
    """The slot's hold is free: none, lapsed, or (optionally) held by `token`."""
    condition = Slot.hold_until.is_null() | (Slot.hold_until < now)
    if token:
        condition = condition | (Slot.hold_token == token)
    return condition


async def _one_at_a_time(token: str) -> None:
    """Queues concurrent holds of one holder, so they end with one hold, not one per
    slot, and never deadlock releasing each other's. SQLite's IMMEDIATE transactions
    already queue every writer."""
    if is_postgres():
        await Slot.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"hold:{token}")


async def _locked(query) -> dict | None:
    """The first row, locked until the transaction ends on PostgreSQL, so a racing
    cancel or move waits and then sees what this one did (SQLite already queues
    writers and has no FOR UPDATE)."""
    if is_postgres():
        query = query.lock_rows()
    return await query.first()


class BookingService:
    def __init__(self, *, clinic_id: int, hold_for: timedelta = DEFAULT_HOLD) -> None:
        self.clinic_id = clinic_id
        self.hold_for = hold_for

    async def hold(self, *, slot_id: int, token: str) -> Outcome:
        """Reserve a slot for `token` (a booking session). A holder has one hold at a
        time: taking a new slot lets go of the previous one."""
        now = clock.now()
        until = now + self.hold_for
        async with write_transaction():
            await _one_at_a_time(token)
            won = await Slot.update({Slot.hold_token: token, Slot.hold_until: until}).where(
                (Slot.id == slot_id)
                & (Slot.clinic == self.clinic_id)
                & (Slot.state == "open")
                & _free(now, token)
            ).returning(Slot.id)
            if not won:
                return Outcome("no_longer_available")
            await Slot.update({Slot.hold_token: None, Slot.hold_until: None}).where(
                (Slot.hold_token == token) & (Slot.id != slot_id) & (Slot.clinic == self.clinic_id)
            )
        return Outcome("held", hold_until=until)

    async def release(self, *, token: str) -> None:
        await Slot.update({Slot.hold_token: None, Slot.hold_until: None}).where(
            (Slot.hold_token == token) & (Slot.clinic == self.clinic_id)
        )

    async def book(self, *, slot_id: int, token: str, details: BookingDetails) -> Outcome:
        """Turn the patient's hold into an appointment, if the hold is still theirs and alive."""
        now = clock.now()
        async with write_transaction():
            taken = await Slot.update(
                {Slot.state: "booked", Slot.hold_token: None, Slot.hold_until: None}
            ).where(
                (Slot.id == slot_id)
                & (Slot.clinic == self.clinic_id)
                & (Slot.state == "open")
                & (Slot.hold_token == token)
                & (Slot.hold_until >= now)
            ).returning(Slot.id)
            if taken:
                appointment_id = await self._create_appointment(slot_id, details, now)
                await plan(clinic_id=self.clinic_id, appointment_id=appointment_id, event="created")
                return Outcome("booked", appointment_id=appointment_id)
        # Tell a lapsed hold from a slot that went to someone else.
        still_ours = await Slot.exists().where(
            (Slot.id == slot_id) & (Slot.clinic == self.clinic_id) & (Slot.hold_token == token)
        )
        return Outcome("hold_expired" if still_ours else "no_longer_available")

    async def staff_book(self, *, slot_id: int, details: BookingDetails) -> Outcome:
        """Staff book a free slot directly; a patient's live hold is respected."""
        now = clock.now()
        async with write_transaction():
            taken = await Slot.update(
                {Slot.state: "booked", Slot.hold_token: None, Slot.hold_until: None}
            ).where(
                (Slot.id == slot_id) & (Slot.clinic == self.clinic_id) & (Slot.state == "open") & _free(now)
            ).returning(Slot.id)
            if not taken:
                return Outcome("no_longer_available")
            appointment_id = await self._create_appointment(slot_id, details, now)
            await plan(clinic_id=self.clinic_id, appointment_id=appointment_id, event="created")
        return Outcome("booked", appointment_id=appointment_id)

    async def cancel(self, *, appointment_id: int) -> Outcome:
        now = clock.now()
        async with write_transaction():
            cancelled = await Appointment.update(
                {
                    Appointment.status: "cancelled",
                    Appointment.cancelled_at: now,
                    Appointment.updated_at: now,
                }
            ).where(
                (Appointment.id == appointment_id)
                & (Appointment.clinic == self.clinic_id)
                & (Appointment.status != "cancelled")
            ).returning(Appointment.slot)
            if not cancelled:
                exists = await Appointment.exists().where(
                    (Appointment.id == appointment_id) & (Appointment.clinic == self.clinic_id)
                )
                return Outcome("already_cancelled" if exists else "not_found", appointment_id)
            await Slot.update({Slot.state: "open"}).where(
                (Slot.id == cancelled[0]["slot"]) & (Slot.clinic == self.clinic_id)
            )
            await plan(clinic_id=self.clinic_id, appointment_id=appointment_id, event="cancelled")
        return Outcome("cancelled", appointment_id=appointment_id)

    async def move(self, *, appointment_id: int, new_slot_id: int, token: str | None = None) -> Outcome:
        """Atomic: the old slot is freed only once the new one is taken. A patient
        moving through the portal passes their hold token; staff pass none."""
        now = clock.now()
        async with write_transaction():
            current = await _locked(
                Appointment.select(Appointment.slot).where(
                    (Appointment.id == appointment_id)
                    & (Appointment.clinic == self.clinic_id)
                    & (Appointment.status != "cancelled")
                )
            )
            if current is None:
                return Outcome("not_found", appointment_id)
            if current["slot"] == new_slot_id:
                return Outcome("moved", appointment_id)
            taken = await Slot.update(
                {Slot.state: "booked", Slot.hold_token: None, Slot.hold_until: None}
            ).where(
                (Slot.id == new_slot_id)
                & (Slot.clinic == self.clinic_id)
                & (Slot.state == "open")
                & _free(now, token)
            ).returning(
                Slot.starts_at, Slot.ends_at, Slot.site, Slot.practitioner, Slot.activity
            )
            if not taken:
                return Outcome("no_longer_available", appointment_id)
            new = taken[0]
            await Appointment.update(
                {
                    Appointment.slot: new_slot_id,
                    Appointment.starts_at: new["starts_at"],
                    Appointment.ends_at: new["ends_at"],
                    Appointment.site: new["site"],
                    Appointment.practitioner: new["practitioner"],
                    Appointment.activity: new["activity"],
                    Appointment.updated_at: now,
                }
            ).where(Appointment.id == appointment_id)
            await Slot.update({Slot.state: "open"}).where(
                (Slot.id == current["slot"]) & (Slot.clinic == self.clinic_id)
            )
            await plan(clinic_id=self.clinic_id, appointment_id=appointment_id, event="changed")
        return Outcome("moved", appointment_id=appointment_id)

    async def set_status(self, *, appointment_id: int, status: str, from_statuses: tuple[str, ...]) -> Outcome:
        """A patient confirms their presence or says they have arrived: one conditional
        update, so a repeated click or a racing staff change cannot skip a state."""
        now = clock.now()
        changed = await Appointment.update({Appointment.status: status, Appointment.updated_at: now}).where(
            (Appointment.id == appointment_id)
            & (Appointment.clinic == self.clinic_id)
            & Appointment.status.is_in(list(from_statuses))
        ).returning(Appointment.id)
        return Outcome(status if changed else "not_found", appointment_id)

    async def _create_appointment(self, slot_id: int, details: BookingDetails, now: datetime) -> int:
        slot = (
            await Slot.select(
                Slot.starts_at,
                Slot.ends_at,
                Slot.site,
                Slot.practitioner,
                Slot.activity,
                Slot.activity.appointment_type.as_alias("default_type"),
            )
            .where(Slot.id == slot_id)
            .first()
        )
        appointment = Appointment(
            clinic=self.clinic_id,
            slot=slot_id,
            site=slot["site"],
            practitioner=slot["practitioner"],
            activity=slot["activity"],
            appointment_type=details.appointment_type_id or slot["default_type"],
            starts_at=slot["starts_at"],
            ends_at=slot["ends_at"],
            patient=details.patient_id,
            contact_email=details.contact_email,
            contact_phone=details.contact_phone,
            provisional=details.provisional,
            language=details.language,
            service=details.service_id,
            source=details.source,
            status="booked",
            reason=details.reason,
            details=details.details,
            created_at=now,
            updated_at=now,
            created_by=details.created_by,
        )
        await appointment.save()
        return appointment.id

