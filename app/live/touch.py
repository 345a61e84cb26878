"""What a change touches on the agendas: practitioners, sites and days (in the clinic's
time zone), read from the event's before and after so a move from one day, practitioner
or site to another touches both. Never who the patient is: that stays on the server."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.booking.events import AppointmentChanged, AppointmentSnapshot
from app.scheduling.events import ScheduleChanged, ScheduleSnapshot
from tenants.tables import Clinic

ZONE_CACHE_S = 300.0  # a clinic's time zone hardly ever changes
MAX_DAYS = 400  # a recurrence over years touches every agenda of its practitioner anyway
_zones: dict[int, tuple[float, ZoneInfo]] = {}


@dataclass(frozen=True)
class AgendaTouch:
    practitioners: frozenset[int]
    sites: frozenset[int]
    days: frozenset[date]

    def as_event(self) -> dict[str, list]:
        """The event's data, as /staff/live sends it and static/js/live.js reads it."""
        return {
            "practitioners": sorted(self.practitioners),
            "sites": sorted(self.sites),
            "days": [day.isoformat() for day in sorted(self.days)],
        }


async def clinic_zone(clinic_id: int) -> ZoneInfo:
    cached = _zones.get(clinic_id)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    row = await Clinic.select(Clinic.time_zone).where(Clinic.id == clinic_id).first()
    zone = ZoneInfo(row["time_zone"]) if row else ZoneInfo("UTC")
    _zones[clinic_id] = (time.monotonic() + ZONE_CACHE_S, zone)
    return zone


def _local_days(start: datetime, end: datetime, zone: ZoneInfo) -> set[date]:
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return {first, last}


def of_appointment(event: AppointmentChanged, zone: ZoneInfo) -> AgendaTouch:
    snapshots: list[AppointmentSnapshot] = [s for s in (event.before, event.after) if s]
    days: set[date] = set()
    for snapshot in snapshots:
        days |= _local_days(snapshot.starts_at, snapshot.ends_at, zone)
    return AgendaTouch(
        practitioners=frozenset(s.practitioner_id for s in snapshots),
        sites=frozenset(s.site_id for s in snapshots),
        days=frozenset(days),
    )


def of_schedule(event: ScheduleChanged) -> AgendaTouch | None:
    """None for a change no agenda shows (a schedule template saved or deleted)."""
    snapshots: list[ScheduleSnapshot] = [
        s for s in (event.before, event.after) if s and s.practitioner_id and s.first_day
    ]
    if not snapshots:
        return None
    days: set[date] = set()
    for snapshot in snapshots:
        last = snapshot.last_day or snapshot.first_day
        count = min((last - snapshot.first_day).days + 1, MAX_DAYS)
        days |= {snapshot.first_day + timedelta(days=n) for n in range(count)}
    return AgendaTouch(
        practitioners=frozenset(s.practitioner_id for s in snapshots if s.practitioner_id),
        sites=frozenset(s.site_id for s in snapshots if s.site_id),
        days=frozenset(days),
    )


async def touched_by(event: object) -> AgendaTouch | None:
    if isinstance(event, AppointmentChanged):
        return of_appointment(event, await clinic_zone(event.clinic_id))
    if isinstance(event, ScheduleChanged):
        return of_schedule(event)
    return None
