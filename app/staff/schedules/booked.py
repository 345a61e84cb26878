"""The appointments a closing left in place, as the page lists them: when, where, who,
and the slot to open to move each one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from litestar import Request

from app import i18n
from app.booking.tables import Appointment, AppointmentStatus
from app.scheduling.services import BookedSlot
from app.staff.schedules import links
from tenants.resolution import ClinicRef


@dataclass(frozen=True)
class BookedAppointment:
    starts_at: datetime
    site: str
    patient: str  # the file's name, or the name typed online (provisional)
    provisional: bool
    slot_url: str


def _provisional_name(provisional: dict | None) -> str:
    if not isinstance(provisional, dict):
        return ""
    return " ".join(str(provisional.get(part, "")) for part in ("first_name", "last_name")).strip()


async def booked_appointments(
    request: Request, clinic: ClinicRef, slots: Sequence[BookedSlot]
) -> list[BookedAppointment]:
    if not slots:
        return []
    locale = i18n.current()
    rows = await Appointment.select(
        Appointment.slot,
        Appointment.starts_at,
        Appointment.provisional,
        Appointment.patient.first_name.as_alias("first_name"),
        Appointment.patient.last_name.as_alias("last_name"),
        Appointment.site.name_fr.as_alias("site_fr"),
        Appointment.site.name_en.as_alias("site_en"),
    ).where(
        (Appointment.clinic == clinic.id)
        & Appointment.slot.is_in([s.slot_id for s in slots])
        & (Appointment.status != AppointmentStatus.CANCELLED)
    )
    listed = []
    for row in sorted(rows, key=lambda r: r["starts_at"]):
        name = " ".join(filter(None, (row["first_name"], row["last_name"])))
        listed.append(
            BookedAppointment(
                starts_at=row["starts_at"],
                site=row[f"site_{locale}"] or row["site_fr"],
                patient=name or _provisional_name(row["provisional"]),
                provisional=not name,
                slot_url=links.slot(request, row["slot"]),
            )
        )
    return listed
