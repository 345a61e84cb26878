"""The clinic's waiting room, as the staff see it (issue 13): the patients in a WAITING
room of the clinic's own appointments of today (or under way now, across midnight), first
arrived first; how many there are (the navigation's count); and what a waiting event
tells every open staff page (app.live.stream).

How long a patient has waited is counted from arrived_at (their first arrival: a refresh
keeps their place) to app.clock's now, never the machine's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app import clock
from app.booking.tables import AppointmentStatus
from app.platforms.views import join_paths
from app.staff.reconcile.queries import typed_identity
from app.video.access import CLOSES_AFTER, OPENS_BEFORE
from app.video.tables import CallRoom, RoomState
from tenants.tables import Clinic

LISTED = 200  # more than any clinic's waiting room holds at once


@dataclass(frozen=True)
class WaitingPatient:
    appointment_id: int
    patient_name: str
    starts_at: datetime
    practitioner_id: int
    practitioner_name: str
    arrived_at: datetime
    present: bool  # the patient's page is open now
    ready: bool  # checked by phone by the front desk
    late_minutes: int | None  # the last "Running late" sent to them
    # On an external platform (app.platforms): the camera icon's path to its staff link.
    join_path: str | None = None

    def waited_minutes(self, now: datetime) -> int:
        return max(0, int((now - self.arrived_at).total_seconds() // 60))


def day_bounds(time_zone: str, now: datetime) -> tuple[datetime, datetime]:
    """Today in the clinic's time zone, as UTC instants (a DST day has 23 or 25 hours)."""
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(0), zone)
    end = datetime.combine(today + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _waiting(clinic_id: int, time_zone: str, now: datetime):
    appointment = CallRoom.appointment
    start, end = day_bounds(time_zone, now)
    today = (appointment.starts_at >= start) & (appointment.starts_at < end)
    # The patient's window is open now: an evening visit that runs past midnight.
    current = (appointment.starts_at <= now + OPENS_BEFORE) & (
        appointment.ends_at >= now - CLOSES_AFTER
    )
    return (
        (CallRoom.clinic == clinic_id)
        & (appointment.clinic == clinic_id)
        & (CallRoom.state == RoomState.WAITING.value)
        & (appointment.status != AppointmentStatus.CANCELLED)
        & (today | current)
    )


def _name(row: dict) -> str:
    if row["first_name"] or row["last_name"]:
        return f"{row['first_name'] or ''} {row['last_name'] or ''}".strip()
    typed = typed_identity(row["provisional"])
    return f"{typed.get('first_name') or ''} {typed.get('last_name') or ''}".strip() or "—"


async def waiting_patients(
    *, clinic_id: int, time_zone: str, now: datetime | None = None, appointment_id: int = 0
) -> list[WaitingPatient]:
    """The waiting room, first arrived first (only `appointment_id`'s row when given)."""
    now = now or clock.now()
    appointment = CallRoom.appointment
    where = _waiting(clinic_id, time_zone, now)
    if appointment_id:
        where = where & (CallRoom.appointment == appointment_id)
    rows = (
        await CallRoom.select(
            appointment.id.as_alias("appointment_id"),
            appointment.starts_at.as_alias("starts_at"),
            appointment.provisional.as_alias("provisional"),
            appointment.patient.first_name.as_alias("first_name"),
            appointment.patient.last_name.as_alias("last_name"),
            appointment.practitioner.id.as_alias("practitioner_id"),
            appointment.practitioner.name.as_alias("practitioner_name"),
            CallRoom.arrived_at,
            CallRoom.present,
            CallRoom.ready,
            CallRoom.late_minutes,
        )
        .where(where)
        .order_by(CallRoom.arrived_at)
        .order_by(CallRoom.id)
        .limit(LISTED)
    )
    external = await join_paths(
        clinic_id=clinic_id, appointment_ids=[row["appointment_id"] for row in rows]
    )
    return [
        WaitingPatient(
            appointment_id=row["appointment_id"],
            patient_name=_name(row),
            starts_at=row["starts_at"],
            practitioner_id=row["practitioner_id"],
            practitioner_name=row["practitioner_name"],
            arrived_at=row["arrived_at"] or now,
            present=bool(row["present"]),
            ready=bool(row["ready"]),
            late_minutes=row["late_minutes"],
            join_path=external.get(row["appointment_id"]),
        )
        for row in rows
    ]


async def _time_zone(clinic_id: int) -> str:
    row = await Clinic.select(Clinic.time_zone).where(Clinic.id == clinic_id).first()
    return row["time_zone"] if row else "UTC"


async def count_waiting(clinic_id: int, time_zone: str | None = None) -> int:
    """The navigation's count (the badge of staff:waiting_room)."""
    zone = time_zone or await _time_zone(clinic_id)
    return await CallRoom.count().where(_waiting(clinic_id, zone, clock.now()))


@dataclass(frozen=True)
class WaitingNews:
    """One `waiting` event of /staff/live: the room's new state, the clinic's count, and
    who it is when they are waiting (the notice "… is in the waiting room")."""

    appointment_id: int
    state: str
    present: bool
    ready: bool
    count: int
    patient: str | None

    def to_json(self) -> str:
        return json.dumps(
            {
                "appointment_id": self.appointment_id,
                "state": self.state,
                "present": self.present,
                "ready": self.ready,
                "count": self.count,
                "patient": self.patient,
            },
            separators=(",", ":"),
        )


async def news(clinic_id: int, raw: bytes | str) -> WaitingNews | None:
    """What CallNotifier.state published on the clinic's waiting channel, read again
    against the database (the clinic's own appointment only); None for anything else."""
    try:
        data = json.loads(raw)["data"]
        appointment_id = int(data["appointment_id"])
    except (ValueError, KeyError, TypeError):
        return None
    zone = await _time_zone(clinic_id)
    shown = await waiting_patients(
        clinic_id=clinic_id, time_zone=zone, appointment_id=appointment_id
    )
    return WaitingNews(
        appointment_id=appointment_id,
        state=str(data.get("state") or ""),
        present=bool(data.get("present")),
        ready=bool(data.get("ready")),
        count=await count_waiting(clinic_id, zone),
        patient=shown[0].patient_name if shown else None,
    )
