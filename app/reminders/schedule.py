"""A clinic's reminder schedule: reminders before the appointment, each an amount of hours
or days and whether it asks the patient to confirm (SPEC §8). Pure: parsing, its stored
text, and when each reminder of an appointment goes.

The stored text is also the schedule's label on each appointment (app.reminders.store),
so the no-show rate can be read per schedule: "3d:confirm,1d" is the default, 3 days
before asking to confirm, then 1 day before a plain reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

UNITS = ("hours", "days")
MAX_ENTRIES = 5
MAX_HOURS = 30 * 24  # a month ahead is as early as a reminder can usefully go
CONFIRM = "confirm"


@dataclass(frozen=True, order=True)
class Entry:
    amount: int
    unit: str  # "hours" | "days"
    confirm: bool = False  # kind "reminder" (asks to confirm) or "reminder_notice"

    @property
    def hours(self) -> int:
        return self.amount * 24 if self.unit == "days" else self.amount

    @property
    def kind(self) -> str:
        return "reminder" if self.confirm else "reminder_notice"

    def text(self) -> str:
        return f"{self.amount}{self.unit[0]}" + (f":{CONFIRM}" if self.confirm else "")


@dataclass(frozen=True)
class Schedule:
    entries: tuple[Entry, ...]  # earliest first (largest lead first)

    def text(self) -> str:
        return ",".join(entry.text() for entry in self.entries)

    @property
    def confirm_lead(self) -> timedelta | None:
        """How long before the start the first reminder asking to confirm is meant to go."""
        asking = [entry.hours for entry in self.entries if entry.confirm]
        return timedelta(hours=max(asking)) if asking else None


def ordered(entries: list[Entry] | tuple[Entry, ...]) -> Schedule:
    return Schedule(tuple(sorted(entries, key=lambda entry: -entry.hours)))


DEFAULT = ordered([Entry(3, "days", confirm=True), Entry(1, "days")])


def parse(text: str) -> Schedule:
    """The stored text back into a schedule; anything unreadable is the default (the
    stored text is only ever written by this module, so that is a corrupted row)."""
    entries = []
    for part in filter(None, (text or "").split(",")):
        lead, _, flag = part.partition(":")
        unit = {"h": "hours", "d": "days"}.get(lead[-1:])
        if unit is None or not lead[:-1].isdigit() or flag not in ("", CONFIRM):
            return DEFAULT
        entries.append(Entry(int(lead[:-1]), unit, flag == CONFIRM))
    return ordered(entries)


@dataclass(frozen=True)
class Planned:
    kind: str  # "reminder" | "reminder_notice"
    due_at: datetime
    entry: Entry


def after_quiet_hours(due: datetime, *, time_zone: str, start: time, end: time) -> datetime:
    """A time inside the clinic's night (e.g. 21:00–08:00) moves to the morning's end of it."""
    zone = ZoneInfo(time_zone)
    local = due.astimezone(zone)
    wall = local.time()
    overnight = start > end
    quiet = (wall >= start or wall < end) if overnight else (start <= wall < end)
    if not quiet:
        return due
    day = local.date() + timedelta(days=1) if overnight and wall >= start else local.date()
    return datetime.combine(day, end, tzinfo=zone).astimezone(due.tzinfo)


def lead_moment(starts_at: datetime, entry: Entry, time_zone: str) -> datetime:
    """Days count on the clinic's calendar (3 days before 09:00 is 09:00, even across a
    change of clocks); hours are elapsed hours."""
    if entry.unit == "hours":
        return starts_at - timedelta(hours=entry.amount)
    zone = ZoneInfo(time_zone)
    local = starts_at.astimezone(zone).replace(tzinfo=None) - timedelta(days=entry.amount)
    return local.replace(tzinfo=zone).astimezone(starts_at.tzinfo)


def plan(
    schedule: Schedule,
    *,
    starts_at: datetime,
    now: datetime,
    time_zone: str,
    quiet_start: time,
    quiet_end: time,
) -> list[Planned]:
    """The reminders to plan for an appointment booked or moved at `now`.

    A reminder whose moment has passed is left out (booked late, the confirmation just
    sent stands for it); if it was the one asking to confirm, the next one asks instead.
    Each goes out of quiet hours, and one that the morning would push past the start, or
    onto the moment of a later reminder, is left out too."""
    planned: list[Planned] = []
    ask_pending = False
    for entry in schedule.entries:
        moment = lead_moment(starts_at, entry, time_zone)
        ask = entry.confirm or ask_pending
        if moment <= now:
            ask_pending = ask
            continue
        due = after_quiet_hours(moment, time_zone=time_zone, start=quiet_start, end=quiet_end)
        if due >= starts_at or (planned and due <= planned[-1].due_at):
            ask_pending = ask
            continue
        planned.append(Planned("reminder" if ask else "reminder_notice", due, entry))
        ask_pending = False
    return planned
