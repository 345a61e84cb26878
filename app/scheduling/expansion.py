"""Pure expansion of schedule blocks into slot times.

Blocks are in the clinic's wall-clock time; slots are stepped in wall-clock time
and converted to UTC one by one, so 09:00 stays 09:00 local on both sides of a
DST change. Every slot lasts exactly its activity's duration: a slot that would
start, end or run through the spring-forward gap is not opened; in the fall-back
hour the first occurrence is used and the repeated hour opens nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from app.i18n import N_
from app.numbers import whole_number


class DayPart(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


DAY_PART_LABELS = {
    DayPart.MORNING: N_("Morning"),
    DayPart.AFTERNOON: N_("Afternoon"),
    DayPart.EVENING: N_("Evening"),
}
MORNING_ENDS = time(12, 0)
AFTERNOON_ENDS = time(17, 0)


@dataclass(frozen=True)
class Block:
    """A stretch of one local day opened for one activity."""

    day: date
    start: time
    end: time
    activity_id: int
    duration_minutes: int


@dataclass(frozen=True)
class SlotTime:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    local_date: date
    day_part: str
    activity_id: int


def day_part(local: time) -> DayPart:
    """Morning before 12:00, afternoon 12:00–17:00, evening from 17:00 (clinic time)."""
    if local < MORNING_ENDS:
        return DayPart.MORNING
    if local < AFTERNOON_ENDS:
        return DayPart.AFTERNOON
    return DayPart.EVENING


def _to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall time, or None when the wall time does not exist."""
    local = datetime.combine(day, wall, tzinfo=zone)
    utc = local.astimezone(timezone.utc)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None  # skipped by a spring-forward change
    return utc


def expand_block(block: Block, zone: ZoneInfo) -> list[SlotTime]:
    if block.duration_minutes <= 0 or block.end <= block.start:
        return []
    step = timedelta(minutes=block.duration_minutes)
    slots: list[SlotTime] = []
    wall = datetime.combine(block.day, block.start)
    block_end = datetime.combine(block.day, block.end)
    while wall + step <= block_end:
        end_wall = wall + step
        starts = _to_utc(block.day, wall.time(), zone)
        next_starts = _to_utc(end_wall.date(), end_wall.time(), zone)
        # Real duration, not wall duration: across the fall-back change the wall
        # end lies an hour later, across the spring-forward gap an hour sooner.
        if starts is not None and next_starts is not None and starts + step <= next_starts:
            slots.append(
                SlotTime(starts, starts + step, block.day, day_part(wall.time()), block.activity_id)
            )
        wall = end_wall
    return slots


def expand(blocks: list[Block], zone_name: str) -> list[SlotTime]:
    zone = ZoneInfo(zone_name)
    return [slot for block in blocks for slot in expand_block(block, zone)]


@dataclass(frozen=True)
class WeeklyBlock:
    weekday: int  # 0 = Monday
    start: time
    end: time
    activity_id: int
    duration_minutes: int


def days(first_day: date, last_day: date) -> list[date]:
    return [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]


def template_blocks(pattern: list[WeeklyBlock], first_day: date, last_day: date) -> list[Block]:
    """A weekly pattern applied to every day of a date range (both ends included)."""
    return [
        Block(day, weekly.start, weekly.end, weekly.activity_id, weekly.duration_minutes)
        for day in days(first_day, last_day)
        for weekly in pattern
        if weekly.weekday == day.weekday()
    ]


class InvalidRecurrence(ValueError):
    pass


DAY_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
MAX_COUNT = 100_000  # occurrences: far beyond any schedule's range of days


def _check_rule_parts(text: str, rule: str) -> None:
    """What dateutil lets through but RFC 5545 (or a schedule of days) forbids:
    no FREQ, a sub-daily FREQ (also a runaway loop over a year), COUNT with UNTIL,
    a COUNT that is not a positive number."""
    parts = dict(part.partition("=")[::2] for part in text.upper().split(";"))
    if parts.get("FREQ") not in DAY_FREQUENCIES or ("COUNT" in parts and "UNTIL" in parts):
        raise InvalidRecurrence(rule)
    if "COUNT" in parts and not whole_number(parts["COUNT"], maximum=MAX_COUNT):
        raise InvalidRecurrence(rule)


def recurrence_days(rule: str, first_day: date, last_day: date) -> list[date]:
    """The days an RFC 5545 RRULE (e.g. FREQ=WEEKLY;BYDAY=TU,TH) falls on, from
    first_day up to last_day included. COUNT and UNTIL in the rule are honoured."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text:
        raise InvalidRecurrence(rule)
    _check_rule_parts(text, rule)
    start = datetime.combine(first_day, time(0, 0))
    try:
        parsed = rrulestr(text, dtstart=start, ignoretz=True)
        occurrences = parsed.between(start, datetime.combine(last_day, time(23, 59)), inc=True)
    except (ValueError, TypeError, AttributeError) as error:
        raise InvalidRecurrence(rule) from error
    return sorted({moment.date() for moment in occurrences})


def recurrence_blocks(
    rule: str,
    first_day: date,
    last_day: date,
    start: time,
    end: time,
    activity_id: int,
    duration: int,
) -> list[Block]:
    return [
        Block(day, start, end, activity_id, duration)
        for day in recurrence_days(rule, first_day, last_day)
    ]
