"""The schedule forms, read into typed values: each parser returns (form | None, errors),
every error at once, translated, keyed by the field it belongs next to.

Ids are checked against the choices offered to this staff member (the clinic's own
practitioners, sites, activities and templates), so another clinic's id is a message on
the field, never an opening. A recurrence's RRULE is built by icalendar's vRecur from
the weekdays ticked, never pasted together from what was typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from icalendar import vRecur

from app import i18n
from app.numbers import MAX_ID, whole_number

MAX_NAME = 200
MAX_BLOCKS = 40  # rows of a template form; a week of blocks is far fewer
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Way(StrEnum):
    """The three ways of opening a schedule; also the prefix of each form's fields."""

    MANUAL = "manual"
    TEMPLATE = "template"
    RECURRENCE = "recurrence"


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class Choices:
    """What this staff member may pick, all of this clinic."""

    practitioners: tuple[Choice, ...]
    sites: tuple[Choice, ...]
    activities: tuple[Choice, ...]
    templates: tuple[Choice, ...]


@dataclass(frozen=True)
class ManualOpening:
    practitioner_id: int
    site_id: int
    activity_id: int
    day: date
    start: time
    end: time
    publish_at: datetime | None  # UTC

    @property
    def first_day(self) -> date:
        return self.day


@dataclass(frozen=True)
class TemplateOpening:
    template_id: int
    practitioner_id: int
    site_id: int
    first_day: date
    last_day: date
    publish_at: datetime | None


@dataclass(frozen=True)
class RecurrenceOpening:
    practitioner_id: int
    site_id: int
    activity_id: int
    weekdays: tuple[int, ...]  # 0 = Monday
    start: time
    end: time
    first_day: date
    until: date

    @property
    def rule(self) -> str:
        """RFC 5545, e.g. FREQ=WEEKLY;UNTIL=20270131;BYDAY=MO,TH."""
        recur = vRecur(
            freq="WEEKLY", until=self.until, byday=[RRULE_DAYS[d] for d in self.weekdays]
        )
        return recur.to_ical().decode("ascii")


@dataclass(frozen=True)
class Closing:
    practitioner_id: int
    first_day: date
    last_day: date
    start: time | None
    end: time | None


@dataclass(frozen=True)
class BlockRow:
    weekday: int
    start: time
    end: time
    activity_id: int


@dataclass(frozen=True)
class TemplateForm:
    name: str
    blocks: tuple[BlockRow, ...]
    rows: tuple[int, ...]  # the form row of each block, to put the engine's refusal there


class Reader:
    """Reads one form's fields (named `{prefix}-{field}`), gathering the errors."""

    def __init__(self, data: dict[str, str], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix
        self.errors: dict[str, str] = {}

    def key(self, field: str) -> str:
        return f"{self.prefix}-{field}" if self.prefix else field

    def text(self, field: str) -> str:
        return self.data.get(self.key(field), "").strip()

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(self.key(field), message)

    def choice(self, field: str, options: tuple[Choice, ...], message: str) -> int | None:
        value = whole_number(self.text(field), maximum=MAX_ID)
        if value is None or value not in {option.id for option in options}:
            self.fail(field, message)
            return None
        return value

    def day(self, field: str) -> date | None:
        parsed = _iso_date(self.text(field))
        if parsed is None:
            self.fail(field, i18n.gettext("Enter a date, for example 2027-01-11."))
        return parsed

    def clock(self, field: str, *, optional: bool = False) -> time | None:
        text = self.text(field)
        if optional and not text:
            return None
        parsed = _time(text)
        if parsed is None:
            self.fail(field, i18n.gettext("Enter a time, for example 08:30."))
        return parsed

    def moment(self, field: str, zone: str) -> datetime | None:
        """An optional date and time in the clinic's time zone, as UTC."""
        text = self.text(field).replace(" ", "T", 1)
        if not text:
            return None
        day_text, _sep, time_text = text.partition("T")
        day, clock = _iso_date(day_text), _time(time_text)
        if day is None or clock is None:
            self.fail(field, i18n.gettext("Enter a date and a time, for example 2027-01-11 08:00."))
            return None
        return datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(UTC)

    def times(self, start_field: str, end_field: str) -> tuple[time | None, time | None]:
        start, end = self.clock(start_field), self.clock(end_field)
        if start and end and end <= start:
            self.fail(end_field, i18n.gettext("The end must come after the start."))
        return start, end


def _iso_date(text: str) -> date | None:
    if len(text) != 10 or not text.isascii():
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _time(text: str) -> time | None:
    """HH:MM (what a time input sends), or HH:MM:SS; nothing else."""
    if len(text) not in (5, 8) or not text.isascii():
        return None
    try:
        return time.fromisoformat(text).replace(second=0, microsecond=0)
    except ValueError:
        return None


def _practitioner_and_site(read: Reader, choices: Choices) -> tuple[int | None, int | None]:
    return (
        read.choice("practitioner", choices.practitioners, i18n.gettext("Choose a practitioner.")),
        read.choice("site", choices.sites, i18n.gettext("Choose a site.")),
    )


def parse_manual(
    data: dict[str, str], choices: Choices, zone: str
) -> tuple[ManualOpening | None, dict[str, str]]:
    read = Reader(data, Way.MANUAL)
    practitioner, site = _practitioner_and_site(read, choices)
    activity = read.choice("activity", choices.activities, i18n.gettext("Choose an activity."))
    day = read.day("day")
    start, end = read.times("start", "end")
    publish_at = read.moment("publish_at", zone)
    if read.errors:
        return None, read.errors
    return ManualOpening(practitioner, site, activity, day, start, end, publish_at), {}


def parse_template_opening(
    data: dict[str, str], choices: Choices, zone: str
) -> tuple[TemplateOpening | None, dict[str, str]]:
    read = Reader(data, Way.TEMPLATE)
    template = read.choice(
        "template", choices.templates, i18n.gettext("Choose a schedule template.")
    )
    practitioner, site = _practitioner_and_site(read, choices)
    first_day, last_day = read.day("first_day"), read.day("last_day")
    publish_at = read.moment("publish_at", zone)
    if read.errors:
        return None, read.errors
    return TemplateOpening(template, practitioner, site, first_day, last_day, publish_at), {}


def parse_recurrence(
    data: dict[str, str], choices: Choices
) -> tuple[RecurrenceOpening | None, dict[str, str]]:
    read = Reader(data, Way.RECURRENCE)
    practitioner, site = _practitioner_and_site(read, choices)
    activity = read.choice("activity", choices.activities, i18n.gettext("Choose an activity."))
    # One checkbox per weekday, each its own name (a form field counts once).
    weekdays = tuple(d for d in range(7) if read.text(f"weekday-{d}") == "on")
    if not weekdays:
        read.fail("weekdays", i18n.gettext("Tick at least one day of the week."))
    start, end = read.times("start", "end")
    first_day, until = read.day("first_day"), read.day("until")
    if read.errors:
        return None, read.errors
    return RecurrenceOpening(
        practitioner, site, activity, weekdays, start, end, first_day, until
    ), {}


def parse_opening(
    way: Way, data: dict[str, str], choices: Choices, zone: str
) -> tuple[ManualOpening | TemplateOpening | RecurrenceOpening | None, dict[str, str]]:
    if way is Way.MANUAL:
        return parse_manual(data, choices, zone)
    if way is Way.TEMPLATE:
        return parse_template_opening(data, choices, zone)
    return parse_recurrence(data, choices)


def parse_closing(data: dict[str, str], choices: Choices) -> tuple[Closing | None, dict[str, str]]:
    read = Reader(data)
    practitioner = read.choice(
        "practitioner", choices.practitioners, i18n.gettext("Choose a practitioner.")
    )
    first_day, last_day = read.day("first_day"), read.day("last_day")
    start, end = read.clock("start", optional=True), read.clock("end", optional=True)
    if (start is None) != (end is None) and "start" not in read.errors and "end" not in read.errors:
        read.fail(
            "end" if start else "start",
            i18n.gettext("Give both times, or neither to close whole days."),
        )
    elif start and end and end <= start:
        read.fail("end", i18n.gettext("The end must come after the start."))
    if read.errors:
        return None, read.errors
    return Closing(practitioner, first_day, last_day, start, end), {}


def block_indexes(data: dict[str, str]) -> list[int]:
    """The block rows the form sent, by their index (rows may have gaps once removed)."""
    found = set()
    for key in data:
        if key.startswith("block-"):
            index = whole_number(key.split("-")[1], maximum=MAX_BLOCKS - 1)
            if index is not None:
                found.add(index)
    return sorted(found)


def row_is_empty(data: dict[str, str], index: int) -> bool:
    return not any(
        data.get(f"block-{index}-{field}", "").strip() for field in ("start", "end", "activity")
    )


def parse_template(
    data: dict[str, str], choices: Choices
) -> tuple[TemplateForm | None, dict[str, str]]:
    read = Reader(data)
    name = read.text("name")
    if not name:
        read.fail("name", i18n.gettext("Give the template a name."))
    elif len(name) > MAX_NAME:
        read.fail("name", i18n.gettext("At most 200 characters."))
    rows: list[BlockRow] = []
    indexes: list[int] = []
    for index in block_indexes(data):
        if row_is_empty(data, index):
            continue  # the spare row left blank
        prefix = f"block-{index}"
        weekday = whole_number(read.text(f"{prefix}-weekday"), maximum=6)
        if weekday is None:
            read.fail(f"{prefix}-weekday", i18n.gettext("Choose a day of the week."))
        start, end = read.times(f"{prefix}-start", f"{prefix}-end")
        activity = read.choice(
            f"{prefix}-activity", choices.activities, i18n.gettext("Choose an activity.")
        )
        if None not in (weekday, activity, start, end) and not _row_failed(read, prefix):
            rows.append(BlockRow(weekday, start, end, activity))
            indexes.append(index)
    if not rows and not read.errors:
        read.fail("block-0-start", i18n.gettext("Add at least one block."))
    if read.errors:
        return None, read.errors
    return TemplateForm(name, tuple(rows), tuple(indexes)), {}


def _row_failed(read: Reader, prefix: str) -> bool:
    return any(key.startswith(prefix + "-") for key in read.errors)
