"""Holds, bookings, cancellations and moves, race-free on SQLite and PostgreSQL.

A slot is taken by one conditional UPDATE (…WHERE state = 'open' AND its hold is
free or ours) whose returned rows say who won: the database arbitrates, there is
no check-then-insert. The partial unique index on the active appointment of a
slot backs it up. Holds lapse by time (hold_until), so no job is needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from app import clock
from app.booking import external
from app.booking.events import AppointmentChange, AppointmentChanged, AppointmentSnapshot
from app.booking.tables import Appointment, AppointmentStatus, Source
from app.db import is_postgres, write_transaction
from app.events import Actor, EventBus
from app.metrics import BOOKINGS, HOLDS, counted
from app.scheduling.tables import Slot

DEFAULT_HOLD = timedelta(minutes=5)


class OutcomeCode(StrEnum):
    HELD = "held"
    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    STATUS_SET = "status_set"
    ATTACHED = "attached"
    ALREADY_ATTACHED = "already_attached"  # the appointment has a file already
    VIDEO_LINK_SET = "video_link_set"
    NO_LONGER_AVAILABLE = "no_longer_available"  # someone else has it, or it is closed
    HOLD_EXPIRED = "hold_expired"
    ALREADY_CANCELLED = "already_cancelled"
    NOT_FOUND = "not_found"  # no such appointment here, or not in a state that allows it
    TOO_MANY_HOLDS = "too_many_holds"  # app.booking.sessions: the client holds enough slots
    # An external platform's type (SPEC §9): it invites the patient by email, and cannot
    # change a session's time (cancel and book again: rebook).
    EMAIL_REQUIRED = "email_required"
    MOVE_NOT_SUPPORTED = "move_not_supported"
    REBOOKED = "rebooked"


SUCCESSES = frozenset(
    {
        OutcomeCode.HELD,
        OutcomeCode.BOOKED,
        OutcomeCode.MOVED,
        OutcomeCode.CANCELLED,
        OutcomeCode.STATUS_SET,
        OutcomeCode.ATTACHED,
        OutcomeCode.REBOOKED,
        OutcomeCode.VIDEO_LINK_SET,
    }
)


@dataclass(frozen=True)
class Outcome:
    """What happened; pages say it in the patient's or the staff member's words."""

    code: OutcomeCode
    appointment_id: int | None = None
    hold_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.code in SUCCESSES


@dataclass(frozen=True)
class BookingDetails:
    source: Source
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


# The hold: the slot, if open and free (no hold, a lapsed one, or the holder's own). On
# PostgreSQL it does not wait for another transaction that has the slot's row locked (a
# racing hold, most often): that one has won the race or is about to, and under a
# booking storm the waiting kept a pooled connection from every other request. Written
# once as SQL, as every patient's hold runs it.
_HOLD_SQL = (
    'UPDATE "slot" SET "hold_token" = {}, "hold_until" = {} WHERE "id" IN ('
    'SELECT "id" FROM "slot" WHERE "id" = {} AND "clinic" = {} AND "state" = \'open\''
    ' AND ("hold_until" IS NULL OR "hold_until" < {} OR "hold_token" = {})%s) RETURNING "id"'
)


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


_SNAPSHOT = (
    Appointment.status,
    Appointment.slot,
    Appointment.starts_at,
    Appointment.ends_at,
    Appointment.practitioner,
    Appointment.site,
    Appointment.activity,
    Appointment.appointment_type,
    Appointment.patient,
    Appointment.source,
    Appointment.cancellation_reason,
    Appointment.video_link,
)


def _snapshot(row: dict) -> AppointmentSnapshot:
    return AppointmentSnapshot(
        status=AppointmentStatus(row["status"]),
        slot_id=row["slot"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        practitioner_id=row["practitioner"],
        site_id=row["site"],
        activity_id=row["activity"],
        appointment_type_id=row["appointment_type"],
        patient_id=row["patient"],
        source=row["source"],
        cancellation_reason=row["cancellation_reason"],
        video_link=row["video_link"],
    )


class _Refused(Exception):
    """Rolls back a rebooking whose new slot was refused (the cancellation with it)."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


class BookingService:
    """The engine, bound to one clinic. Every change to an appointment is emitted on the
    bus inside its transaction (app.booking.events), with who made it."""

    def __init__(
        self, *, clinic_id: int, bus: EventBus, hold_for: timedelta = DEFAULT_HOLD
    ) -> None:
        self.clinic_id = clinic_id
        self.bus = bus
        self.hold_for = hold_for

    @counted(HOLDS)
    async def hold(self, *, slot_id: int, token: str) -> Outcome:
        """Reserve a slot for `token` (a booking session). A holder has one hold at a
        time: taking a new slot lets go of the previous one."""
        now = clock.now()
        until = now + self.hold_for
        async with write_transaction():
            await _one_at_a_time(token)
            won = await Slot.raw(
                _HOLD_SQL % (" FOR UPDATE SKIP LOCKED" if is_postgres() else ""),
                token,
                until,
                slot_id,
                self.clinic_id,
                now,
                token,
            )
            if not won:
                return Outcome(OutcomeCode.NO_LONGER_AVAILABLE)
            await Slot.update({Slot.hold_token: None, Slot.hold_until: None}).where(
                (Slot.hold_token == token) & (Slot.id != slot_id) & (Slot.clinic == self.clinic_id)
            )
        return Outcome(OutcomeCode.HELD, hold_until=until)

    async def release(self, *, token: str) -> None:
        async with write_transaction():
            await Slot.update({Slot.hold_token: None, Slot.hold_until: None}).where(
                (Slot.hold_token == token) & (Slot.clinic == self.clinic_id)
            )

    @counted(BOOKINGS, by="patient")
    async def book(
        self, *, slot_id: int, token: str, details: BookingDetails, actor: Actor
    ) -> Outcome:
        """Turn the patient's hold into an appointment, if the hold is still theirs and alive."""
        if await self._lacks_email(slot_id, details):
            return Outcome(OutcomeCode.EMAIL_REQUIRED)
        now = clock.now()
        async with write_transaction():
            taken = (
                await Slot.update(
                    {Slot.state: "booked", Slot.hold_token: None, Slot.hold_until: None}
                )
                .where(
                    (Slot.id == slot_id)
                    & (Slot.clinic == self.clinic_id)
                    & (Slot.state == "open")
                    & (Slot.hold_token == token)
                    & (Slot.hold_until >= now)
                )
                .returning(Slot.id)
            )
            if taken:
                appointment_id = await self._create_appointment(slot_id, details, actor, now)
                return Outcome(OutcomeCode.BOOKED, appointment_id=appointment_id)
        # Tell a lapsed hold from a slot that went to someone else.
        still_ours = await Slot.exists().where(
            (Slot.id == slot_id) & (Slot.clinic == self.clinic_id) & (Slot.hold_token == token)
        )
        return Outcome(OutcomeCode.HOLD_EXPIRED if still_ours else OutcomeCode.NO_LONGER_AVAILABLE)

    @counted(BOOKINGS, by="staff")
    async def staff_book(self, *, slot_id: int, details: BookingDetails, actor: Actor) -> Outcome:
        """Staff book a free slot directly; a patient's live hold is respected."""
        if await self._lacks_email(slot_id, details):
            return Outcome(OutcomeCode.EMAIL_REQUIRED)
        now = clock.now()
        async with write_transaction():
            taken = (
                await Slot.update(
                    {Slot.state: "booked", Slot.hold_token: None, Slot.hold_until: None}
                )
                .where(
                    (Slot.id == slot_id)
                    & (Slot.clinic == self.clinic_id)
                    & (Slot.state == "open")
                    & _free(now)
                )
                .returning(Slot.id)
            )
            if not taken:
                return Outcome(OutcomeCode.NO_LONGER_AVAILABLE)
            appointment_id = await self._create_appointment(slot_id, details, actor, now)
        return Outcome(OutcomeCode.BOOKED, appointment_id=appointment_id)

    async def cancel(self, *, appointment_id: int, actor: Actor, reason: str = "") -> Outcome:
        """Cancel; `reason` is what staff typed (kept with the appointment, never sent)."""
        now = clock.now()
        async with write_transaction():
            before = await self._current(appointment_id, lock=True)
            if before is None:
                return Outcome(OutcomeCode.NOT_FOUND, appointment_id)
            cancelled = (
                await Appointment.update(
                    {
                        Appointment.status: AppointmentStatus.CANCELLED,
                        Appointment.cancelled_at: now,
                        Appointment.updated_at: now,
                        Appointment.cancellation_reason: reason,
                    }
                )
                .where(
                    (Appointment.id == appointment_id)
                    & (Appointment.clinic == self.clinic_id)
                    & (Appointment.status != AppointmentStatus.CANCELLED)
                )
                .returning(*_SNAPSHOT)
            )
            if not cancelled:
                return Outcome(OutcomeCode.ALREADY_CANCELLED, appointment_id)
            await self._release(cancelled[0]["slot"])
            await self._emit(
                appointment_id, actor, AppointmentChange.CANCELLED, before, _snapshot(cancelled[0])
            )
        return Outcome(OutcomeCode.CANCELLED, appointment_id=appointment_id)

    async def move(
        self, *, appointment_id: int, new_slot_id: int, actor: Actor, token: str | None = None
    ) -> Outcome:
        """Atomic: the old slot is freed only once the new one is taken. A patient
        moving through the portal passes their hold token; staff pass none."""
        now = clock.now()
        async with write_transaction():
            before = await self._current(appointment_id, lock=True)
            if before is None or before.status is AppointmentStatus.CANCELLED:
                return Outcome(OutcomeCode.NOT_FOUND, appointment_id)
            if before.slot_id == new_slot_id:
                return Outcome(OutcomeCode.MOVED, appointment_id)
            if await self._external(before):
                return Outcome(OutcomeCode.MOVE_NOT_SUPPORTED, appointment_id)
            taken = (
                await Slot.update(
                    {Slot.state: "booked", Slot.hold_token: None, Slot.hold_until: None}
                )
                .where(
                    (Slot.id == new_slot_id)
                    & (Slot.clinic == self.clinic_id)
                    & (Slot.state == "open")
                    & _free(now, token)
                )
                .returning(
                    Slot.starts_at, Slot.ends_at, Slot.site, Slot.practitioner, Slot.activity
                )
            )
            if not taken:
                return Outcome(OutcomeCode.NO_LONGER_AVAILABLE, appointment_id)
            new = taken[0]
            moved = (
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
                )
                .where((Appointment.id == appointment_id) & (Appointment.clinic == self.clinic_id))
                .returning(*_SNAPSHOT)
            )
            await self._release(before.slot_id)
            await self._emit(
                appointment_id, actor, AppointmentChange.MOVED, before, _snapshot(moved[0])
            )
        return Outcome(OutcomeCode.MOVED, appointment_id=appointment_id)

    async def set_status(
        self,
        *,
        appointment_id: int,
        status: AppointmentStatus,
        from_statuses: tuple[AppointmentStatus, ...],
        actor: Actor,
    ) -> Outcome:
        """Confirmed, arrived, no-show, completed: one conditional update, so a repeated
        click or a racing change cannot skip a state."""
        now = clock.now()
        async with write_transaction():
            before = await self._current(appointment_id, lock=True)
            changed = (
                await Appointment.update({Appointment.status: status, Appointment.updated_at: now})
                .where(
                    (Appointment.id == appointment_id)
                    & (Appointment.clinic == self.clinic_id)
                    & Appointment.status.is_in(list(from_statuses))
                )
                .returning(*_SNAPSHOT)
            )
            if not changed or before is None:
                return Outcome(OutcomeCode.NOT_FOUND, appointment_id)
            await self._emit(
                appointment_id, actor, AppointmentChange.STATUS, before, _snapshot(changed[0])
            )
        return Outcome(OutcomeCode.STATUS_SET, appointment_id)

    async def attach(self, *, appointment_id: int, patient_id: int, actor: Actor) -> Outcome:
        """Give an unidentified patient's appointment to a file (staff reconciling). One
        conditional update: only while it has no file and is not cancelled, so a second
        click, or a cancellation meanwhile, is said rather than overwritten. Its messages
        follow it (they point at the appointment). The caller checks the file is this
        clinic's; sends nothing (the planner knows no notice for it)."""
        now = clock.now()
        async with write_transaction():
            before = await self._current(appointment_id, lock=True)
            if before is None:
                return Outcome(OutcomeCode.NOT_FOUND, appointment_id)
            if before.status is AppointmentStatus.CANCELLED:
                return Outcome(OutcomeCode.ALREADY_CANCELLED, appointment_id)
            attached = (
                await Appointment.update(
                    {Appointment.patient: patient_id, Appointment.updated_at: now}
                )
                .where(
                    (Appointment.id == appointment_id)
                    & (Appointment.clinic == self.clinic_id)
                    & Appointment.patient.is_null()
                    & (Appointment.status != AppointmentStatus.CANCELLED)
                )
                .returning(*_SNAPSHOT)
            )
            if not attached:
                return Outcome(OutcomeCode.ALREADY_ATTACHED, appointment_id)
            await self._emit(
                appointment_id, actor, AppointmentChange.ATTACHED, before, _snapshot(attached[0])
            )
        return Outcome(OutcomeCode.ATTACHED, appointment_id)

    async def rebook(
        self, *, appointment_id: int, new_slot_id: int, actor: Actor, reason: str = ""
    ) -> Outcome:
        """Cancel and book again in one step (an external platform's appointment cannot
        move): the same patient, contacts, type and reason at the new slot. All or
        nothing: if the new slot is gone, the old appointment stays. Both changes are
        emitted, so the patient gets the cancellation notice and the new confirmation,
        and the platform's session is cancelled and a new one made."""
        row = await (
            Appointment.select(
                Appointment.patient,
                Appointment.contact_email,
                Appointment.contact_phone,
                Appointment.provisional,
                Appointment.language,
                Appointment.reason,
                Appointment.details,
                Appointment.appointment_type,
                Appointment.service,
                Appointment.status,
            )
            .where((Appointment.id == appointment_id) & (Appointment.clinic == self.clinic_id))
            .first()
        )
        if row is None or row["status"] == AppointmentStatus.CANCELLED:
            return Outcome(OutcomeCode.NOT_FOUND, appointment_id)
        details = BookingDetails(
            source=Source.STAFF,
            patient_id=row["patient"],
            contact_email=row["contact_email"],
            contact_phone=row["contact_phone"],
            provisional=row["provisional"],
            language=row["language"],
            reason=row["reason"],
            details=row["details"],
            appointment_type_id=row["appointment_type"],
            service_id=row["service"],
        )
        try:
            async with write_transaction():
                cancelled = await self.cancel(
                    appointment_id=appointment_id, actor=actor, reason=reason
                )
                if not cancelled.ok:
                    return Outcome(OutcomeCode.NOT_FOUND, appointment_id)
                booked = await self.staff_book(slot_id=new_slot_id, details=details, actor=actor)
                if not booked.ok:
                    raise _Refused(booked)
        except _Refused as refused:
            return Outcome(refused.outcome.code, appointment_id)
        return Outcome(OutcomeCode.REBOOKED, appointment_id=booked.appointment_id)

    async def set_video_link(self, *, appointment_id: int, link: str, actor: Actor) -> Outcome:
        """Another platform's link, already checked (app.booking.video_links.check), on an
        appointment that is not cancelled. Audited like any change; a new link sends the
        patient a change notice (app.messaging.planner)."""
        now = clock.now()
        async with write_transaction():
            before = await self._current(appointment_id, lock=True)
            if before is None:
                return Outcome(OutcomeCode.NOT_FOUND, appointment_id)
            if before.status is AppointmentStatus.CANCELLED:
                return Outcome(OutcomeCode.ALREADY_CANCELLED, appointment_id)
            if before.video_link == link:
                return Outcome(OutcomeCode.VIDEO_LINK_SET, appointment_id)  # nothing to tell
            changed = (
                await Appointment.update(
                    {Appointment.video_link: link, Appointment.updated_at: now}
                )
                .where(
                    (Appointment.id == appointment_id)
                    & (Appointment.clinic == self.clinic_id)
                    & (Appointment.status != AppointmentStatus.CANCELLED)
                )
                .returning(*_SNAPSHOT)
            )
            if not changed:
                return Outcome(OutcomeCode.ALREADY_CANCELLED, appointment_id)
            await self._emit(
                appointment_id, actor, AppointmentChange.VIDEO_LINK, before, _snapshot(changed[0])
            )
        return Outcome(OutcomeCode.VIDEO_LINK_SET, appointment_id)

    # -- internals ---------------------------------------------------------------------

    async def _lacks_email(self, slot_id: int, details: BookingDetails) -> bool:
        type_id = details.appointment_type_id or await external.type_of_slot(
            clinic_id=self.clinic_id, slot_id=slot_id
        )
        if not await external.is_external(clinic_id=self.clinic_id, type_id=type_id):
            return False
        email = await external.patient_email(
            clinic_id=self.clinic_id,
            patient_id=details.patient_id,
            contact_email=details.contact_email,
        )
        return not email

    async def _external(self, appointment: AppointmentSnapshot) -> bool:
        type_id = appointment.appointment_type_id or await external.type_of_activity(
            clinic_id=self.clinic_id, activity_id=appointment.activity_id
        )
        return await external.is_external(clinic_id=self.clinic_id, type_id=type_id)

    async def _current(self, appointment_id: int, *, lock: bool) -> AppointmentSnapshot | None:
        query = Appointment.select(*_SNAPSHOT).where(
            (Appointment.id == appointment_id) & (Appointment.clinic == self.clinic_id)
        )
        row = await (_locked(query) if lock else query.first())
        return _snapshot(row) if row else None

    async def _release(self, slot_id: int) -> None:
        """The slot of a cancelled or moved appointment: free again, or closed when its
        range was closed while it was booked (the practitioner is away)."""
        mine = (Slot.id == slot_id) & (Slot.clinic == self.clinic_id)
        await Slot.update({Slot.state: "closed", Slot.closes_when_freed: False}).where(
            mine & (Slot.closes_when_freed == True)  # noqa: E712 - SQL, not Python
        )
        await Slot.update({Slot.state: "open"}).where(mine & (Slot.state == "booked"))

    async def _emit(
        self,
        appointment_id: int,
        actor: Actor,
        kind: AppointmentChange,
        before: AppointmentSnapshot | None,
        after: AppointmentSnapshot,
    ) -> None:
        await self.bus.emit(
            AppointmentChanged(
                clinic_id=self.clinic_id,
                appointment_id=appointment_id,
                actor=actor,
                kind=kind,
                before=before,
                after=after,
            )
        )

    async def _create_appointment(
        self, slot_id: int, details: BookingDetails, actor: Actor, now: datetime
    ) -> int:
        slot = (
            await Slot.select(
                Slot.starts_at,
                Slot.ends_at,
                Slot.site,
                Slot.practitioner,
                Slot.activity,
                Slot.activity.appointment_type.as_alias("default_type"),
            )
            .where((Slot.id == slot_id) & (Slot.clinic == self.clinic_id))
            .first()
        )
        created = await Appointment.insert(
            Appointment(
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
                status=AppointmentStatus.BOOKED,
                reason=details.reason,
                details=details.details,
                created_at=now,
                updated_at=now,
                created_by=actor.key(),
            )
        ).returning(Appointment.id, *_SNAPSHOT)
        appointment_id = created[0]["id"]
        await self._emit(
            appointment_id, actor, AppointmentChange.CREATED, None, _snapshot(created[0])
        )
        return appointment_id
