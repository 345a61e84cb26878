"""Who may change the agenda a slot or an appointment is on: administrators and
secretaries every one, a practitioner only their own (StaffUser.may_change_agenda_of).
A Litestar guard on the action routes, reading the id in the path; an id of no row here
passes, so that the handler answers 404 as for any other clinic's id."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from app.booking.tables import Appointment
from app.scheduling.tables import Slot
from app.staff.appointments.views import valid_id
from app.staff.guards import staff_of


class NotYourAgenda(PermissionDeniedException):
    """A practitioner acting on another practitioner's agenda: the 403 page."""


async def _practitioner_of(connection: ASGIConnection, clinic_id: int) -> int | None:
    params = connection.path_params
    if "slot_id" in params and valid_id(params["slot_id"]):
        row = (
            await Slot.select(Slot.practitioner)
            .where((Slot.id == params["slot_id"]) & (Slot.clinic == clinic_id))
            .first()
        )
        return row["practitioner"] if row else None
    if "appointment_id" in params and valid_id(params["appointment_id"]):
        row = (
            await Appointment.select(Appointment.practitioner)
            .where((Appointment.id == params["appointment_id"]) & (Appointment.clinic == clinic_id))
            .first()
        )
        return row["practitioner"] if row else None
    return None


async def may_change_agenda(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    staff = staff_of(connection)
    practitioner_id = await _practitioner_of(connection, staff.clinic_id)
    if practitioner_id is not None and not staff.may_change_agenda_of(practitioner_id):
        raise NotYourAgenda("this agenda is another practitioner's")
