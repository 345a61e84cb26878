"""What the waiting list does when appointments and schedules change.

Inside the booking's transaction: a slot booked closes its open offers (the winner's
one is the offer being taken, named by `claiming`); a booking by a waiting patient for
the same service ends their request; a cancelled appointment ends the request tied to
it. After the commit: a freed slot or a schedule change looks for patients to tell."""

from __future__ import annotations

import contextlib
import logging
from contextvars import ContextVar
from typing import Iterator

from app.booking.events import AppointmentChange, AppointmentChanged
from app.booking.tables import Appointment
from app.scheduling.events import ScheduleChanged
from app.waitlist import matching, requests
from app.waitlist.tables import WaitRequest, WaitStatus

log = logging.getLogger("app.waitlist")
_claiming: ContextVar[int | None] = ContextVar("claiming_offer", default=None)


@contextlib.contextmanager
def claiming(offer_id: int) -> Iterator[None]:
    """The booking made inside is this offer being taken."""
    token = _claiming.set(offer_id)
    try:
        yield
    finally:
        _claiming.reset(token)


async def on_appointment_changed(event: AppointmentChanged) -> None:
    clinic_id = event.clinic_id
    if event.kind in (AppointmentChange.CREATED, AppointmentChange.MOVED):
        await matching.slot_taken(clinic_id, event.after.slot_id, winner=_claiming.get())
    if event.kind is AppointmentChange.CREATED and event.after.patient_id:
        row = (
            await Appointment.select(Appointment.service)
            .where((Appointment.id == event.appointment_id) & (Appointment.clinic == clinic_id))
            .first()
        )
        if row and row["service"]:
            await requests.end(
                clinic_id=clinic_id,
                where=(WaitRequest.patient == event.after.patient_id)
                & (WaitRequest.service == row["service"])
                & WaitRequest.appointment.is_null(),
                status=WaitStatus.BOOKED,
            )
    if event.kind is AppointmentChange.CANCELLED:
        await requests.end(
            clinic_id=clinic_id,
            where=WaitRequest.appointment == event.appointment_id,
            status=WaitStatus.CANCELLED,
        )


async def _match(clinic_id: int) -> None:
    try:
        await matching.match(clinic_id)
    except Exception:  # noqa: BLE001 - the change stands; the sweep tries again
        log.exception("earlier-slot matching failed for clinic %s", clinic_id)


async def on_slot_freed(event: AppointmentChanged) -> None:
    if event.kind in (AppointmentChange.CANCELLED, AppointmentChange.MOVED):
        await _match(event.clinic_id)


async def on_schedule_changed(event: ScheduleChanged) -> None:
    await _match(event.clinic_id)
