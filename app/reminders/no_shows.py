"""The month's no-show rate per activity and per reminder schedule (the administration's
page), so a clinic sees what its reminders change.

Counted: the month's appointments (clinic time) that have started and were not
cancelled; missed: those staff marked as no-shows. An appointment counts under the
schedule its reminders were last planned with (app.reminders.store.record); one planned
before schedules were recorded, or never planned (a type without messages), counts
under "not recorded"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from app import clock
from app.booking.tables import Appointment, AppointmentStatus
from app.reminders.tables import AppointmentReminders

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 1)


@dataclass(frozen=True)
class Rate:
    key: str  # the activity's id, or the schedule's stored text ("" not recorded)
    name_fr: str
    name_en: str
    appointments: int
    missed: int

    @property
    def percent(self) -> float:
        return 100 * self.missed / self.appointments if self.appointments else 0.0


@dataclass(frozen=True)
class MonthRates:
    month: date
    total: Rate
    by_activity: list[Rate]
    by_schedule: list[Rate]


def read_month(text: str) -> date | None:
    """ "2026-11" (an <input type=month>) into the month's first day; None if it is not one."""
    year, dash, month = text.partition("-")
    if not (dash and len(year) == 4 and len(month) == 2 and (year + month).isascii()):
        return None
    if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        return None
    first = date(int(year), int(month), 1)
    return first if EARLIEST <= first <= LATEST else None


def month_bounds(month: date, time_zone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(time_zone)
    after = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return (
        datetime.combine(month, time(0), tzinfo=zone),
        datetime.combine(after, time(0), tzinfo=zone),
    )


def _rate(key: str, fr: str, en: str, rows: list[dict]) -> Rate:
    missed = sum(1 for row in rows if row["status"] == AppointmentStatus.NO_SHOW)
    return Rate(key, fr, en, len(rows), missed)


async def month_rates(*, clinic_id: int, month: date, time_zone: str) -> MonthRates:
    start, end = month_bounds(month, time_zone)
    end = min(end, clock.now())  # only appointments that have started
    rows = (
        await Appointment.select(
            Appointment.id,
            Appointment.status,
            Appointment.activity.id.as_alias("activity"),
            Appointment.activity.name_fr.as_alias("activity_fr"),
            Appointment.activity.name_en.as_alias("activity_en"),
        ).where(
            (Appointment.clinic == clinic_id)
            & (Appointment.starts_at >= start)
            & (Appointment.starts_at < end)
            & (Appointment.status != AppointmentStatus.CANCELLED)
        )
        if start < end
        else []
    )
    schedules = {}
    if rows:
        schedules = {
            row["appointment"]: row["schedule"]
            for row in await AppointmentReminders.select(
                AppointmentReminders.appointment, AppointmentReminders.schedule
            ).where(
                (AppointmentReminders.clinic == clinic_id)
                & AppointmentReminders.appointment.is_in([row["id"] for row in rows])
            )
        }
    by_activity: dict[int, list[dict]] = {}
    by_schedule: dict[str, list[dict]] = {}
    names = {}
    for row in rows:
        by_activity.setdefault(row["activity"], []).append(row)
        names[row["activity"]] = (row["activity_fr"], row["activity_en"])
        by_schedule.setdefault(schedules.get(row["id"], ""), []).append(row)
    activities = sorted(
        (_rate(str(key), *names[key], group) for key, group in by_activity.items()),
        key=lambda rate: rate.name_fr.casefold(),
    )
    # The most used schedule first; "not recorded" last.
    plans = sorted(
        (_rate(key, "", "", group) for key, group in by_schedule.items()),
        key=lambda rate: (rate.key == "", -rate.appointments, rate.key),
    )
    return MonthRates(month, _rate("", "", "", rows), activities, plans)
