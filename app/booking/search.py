"""Availability search: the next slots a patient may book, in one indexed query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app import clock
from app.scheduling.tables import DAY_PARTS, ONLINE_ORIGINS, Slot

PAGE = 5
MAX_RESULTS = 50


@dataclass(frozen=True)
class Criteria:
    activity_ids: tuple[int, ...]  # the activities offered by the chosen online service
    include_practitioners: tuple[int, ...] = ()  # empty: everyone
    exclude_practitioners: tuple[int, ...] = ()
    site_id: int | None = None
    from_date: date | None = None  # clinic local date; None: as soon as possible
    day_part: str | None = None  # morning | afternoon | evening
    holder: str | None = None  # this patient's own hold stays visible to them


@dataclass(frozen=True)
class Available:
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    practitioner_id: int
    practitioner_name: str
    site_id: int
    site_name_fr: str
    site_name_en: str
    activity_id: int
    activity_name_fr: str
    activity_name_en: str


def results_for_page(page: int) -> int:
    """Page 1 shows 5, each "See more availabilities" 5 more, never more than 50."""
    return max(PAGE, min(MAX_RESULTS, PAGE * max(1, page)))


async def search(
    *, clinic_id: int, criteria: Criteria, limit: int = PAGE, min_notice: timedelta = timedelta(0)
) -> list[Available]:
    if not criteria.activity_ids or (criteria.day_part and criteria.day_part not in DAY_PARTS):
        return []
    now = clock.now()
    earliest = now + min_notice
    where = (
        (Slot.clinic == clinic_id)
        & (Slot.state == "open")
        & Slot.activity.is_in(list(criteria.activity_ids))
        & Slot.origin.is_in(list(ONLINE_ORIGINS))
        & (Slot.starts_at >= earliest)
        & (Slot.publish_at.is_null() | (Slot.publish_at <= now))
    )
    free = Slot.hold_until.is_null() | (Slot.hold_until < now)
    if criteria.holder:
        free = free | (Slot.hold_token == criteria.holder)
    where &= free
    if criteria.include_practitioners:
        where &= Slot.practitioner.is_in(list(criteria.include_practitioners))
    if criteria.exclude_practitioners:
        where &= Slot.practitioner.not_in(list(criteria.exclude_practitioners))
    if criteria.site_id is not None:
        where &= Slot.site == criteria.site_id
    if criteria.from_date is not None:
        where &= Slot.local_date >= criteria.from_date
    if criteria.day_part:
        where &= Slot.day_part == criteria.day_part
    rows = (
        await Slot.select(
            Slot.id,
            Slot.starts_at,
            Slot.ends_at,
            Slot.practitioner.as_alias("practitioner_id"),
            Slot.practitioner.name.as_alias("practitioner_name"),
            Slot.site.as_alias("site_id"),
            Slot.site.name_fr.as_alias("site_name_fr"),
            Slot.site.name_en.as_alias("site_name_en"),
            Slot.activity.as_alias("activity_id"),
            Slot.activity.name_fr.as_alias("activity_name_fr"),
            Slot.activity.name_en.as_alias("activity_name_en"),
        )
        .where(where)
        .order_by(Slot.starts_at, Slot.id)
        .limit(max(1, min(limit, MAX_RESULTS)))
    )
    return [Available(slot_id=row.pop("id"), **row) for row in rows]
