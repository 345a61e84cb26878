"""Availability search: the next slots a patient may book, in one indexed query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from app import clock
from app.scheduling.tables import DAY_PARTS, ONLINE_ORIGINS, Slot

PAGE = 5
MAX_RESULTS = 50
# Above this many branches (see search), chosen practitioners are filtered, not branched on.
MAX_BRANCHES = 36
OPEN_ONLINE = (
    '"state" = \'open\' AND "origin" IN (' + ", ".join(f"'{o}'" for o in ONLINE_ORIGINS) + ")"
)
# No time zone is more than 14 hours ahead of UTC, so no local day starts earlier than this.
AHEAD_OF_UTC = timedelta(hours=14)


@dataclass(frozen=True)
class Criteria:
    activity_ids: tuple[int, ...]  # the activities offered by the chosen online service
    include_practitioners: tuple[int, ...] = ()  # empty: everyone
    exclude_practitioners: tuple[int, ...] = ()
    site_id: int | None = None
    from_date: date | None = None  # clinic local date; None: as soon as possible
    day_part: str | None = None  # morning | afternoon | evening
    holder: str | None = None  # this patient's own hold stays visible to them
    slot_id: int | None = None  # only this slot: is a slot a form sent back one of these?


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
    """One query. A filter on several activities (or day parts, or practitioners)
    cannot be read in start order from one index range, so the database would sort
    every matching open slot to return the first few: tens of milliseconds for a busy
    clinic. Instead the query is a UNION ALL of branches, one per activity × day part
    (× chosen practitioner), each an ordered range of a slot_open_search index that
    stops after `limit` rows; the outer query orders those few. Every slot's day_part
    is one of DAY_PARTS (fixed when it is opened), so the branches cover every slot.

    Written as SQL rather than with the query builder, which took longer to build
    these branches than the database took to run them."""
    if not criteria.activity_ids or (criteria.day_part and criteria.day_part not in DAY_PARTS):
        return []
    limit = max(1, min(int(limit), MAX_RESULTS))
    now = clock.now()
    earliest = now + min_notice
    if criteria.from_date is not None:
        # A bound on starts_at starts the index range near the date; the local_date
        # condition stays the exact test.
        earliest = max(
            earliest, datetime.combine(criteria.from_date, time(0), timezone.utc) - AHEAD_OF_UTC
        )
    # The partial indexes' own condition is written as literals, so PostgreSQL can
    # use them in a cached generic plan too.
    conditions = [
        '"clinic" = {}',
        OPEN_ONLINE,
        '"starts_at" >= {}',
        '("publish_at" IS NULL OR "publish_at" <= {})',
    ]
    args: list = [clinic_id, earliest, now]
    if criteria.holder:
        conditions.append('("hold_until" IS NULL OR "hold_until" < {} OR "hold_token" = {})')
        args += [now, criteria.holder]
    else:
        conditions.append('("hold_until" IS NULL OR "hold_until" < {})')
        args.append(now)
    if criteria.exclude_practitioners:
        exclude = sorted(set(criteria.exclude_practitioners))
        conditions.append(f'"practitioner" NOT IN ({_marks(exclude)})')
        args += exclude
    if criteria.site_id is not None:
        conditions.append('"site" = {}')
        args.append(criteria.site_id)
    if criteria.slot_id is not None:
        conditions.append('"id" = {}')
        args.append(criteria.slot_id)
    if criteria.from_date is not None:
        conditions.append('"local_date" >= {}')
        args.append(criteria.from_date)
    activities = sorted(set(criteria.activity_ids))
    include = sorted(set(criteria.include_practitioners))
    if criteria.slot_id is not None:
        # One slot (a form sent it back): its primary key finds it at once, where each
        # branch below would scan its whole range for it.
        chosen, chosen_args = _one_slot(conditions, args, activities, criteria.day_part, include)
    else:
        chosen, chosen_args = _branches(
            conditions, args, activities, criteria.day_part, include, limit
        )
    rows = await Slot.raw(
        'SELECT s."id", s."starts_at", s."ends_at", '
        's."practitioner" AS "practitioner_id", p."name" AS "practitioner_name", '
        's."site" AS "site_id", w."name_fr" AS "site_name_fr", w."name_en" AS "site_name_en", '
        's."activity" AS "activity_id", '
        'a."name_fr" AS "activity_name_fr", a."name_en" AS "activity_name_en" '
        'FROM "slot" s '
        'LEFT JOIN "practitioner" p ON p."id" = s."practitioner" '
        'LEFT JOIN "work_site" w ON w."id" = s."site" '
        'LEFT JOIN "activity" a ON a."id" = s."activity" '
        # Every branch is limited to the clinic. Repeating the clinic here would let
        # SQLite scan the clinic's slots and test each against the list.
        f'WHERE s."id" IN ({chosen}) '
        f'ORDER BY s."starts_at", s."id" LIMIT {limit}',
        *chosen_args,
    )
    return [Available(slot_id=row.pop("id"), **row) for row in rows]


def _one_slot(
    conditions: list[str], args: list, activities: list[int], day_part: str | None, include: list
) -> tuple[str, list]:
    where = [*conditions, f'"activity" IN ({_marks(activities)})']
    args = [*args, *activities]
    if day_part:
        where.append('"day_part" = {}')
        args.append(day_part)
    if include:
        where.append(f'"practitioner" IN ({_marks(include)})')
        args += include
    return f'SELECT "id" FROM "slot" WHERE {" AND ".join(where)}', args


def _branches(
    conditions: list[str],
    args: list,
    activities: list[int],
    day_part: str | None,
    include: list,
    limit: int,
) -> tuple[str, list]:
    """A UNION ALL of ordered index ranges, one per activity × day part (× practitioner)."""
    parts = (day_part,) if day_part else DAY_PARTS
    keys = [(activity, part) for activity in activities for part in parts]
    if include and len(keys) * len(include) > MAX_BRANCHES:
        conditions = [*conditions, f'"practitioner" IN ({_marks(include)})']
        args = [*args, *include]
        include = []
    branch_where = " AND ".join(conditions) + ' AND "activity" = {} AND "day_part" = {}'
    if include:
        branch_where += ' AND "practitioner" = {}'
        keys = [(*key, practitioner) for key in keys for practitioner in include]
    branches, branch_args = [], []
    for n, key in enumerate(keys):
        branches.append(
            f'SELECT "id" FROM (SELECT "id" FROM "slot" WHERE {branch_where} '
            f'ORDER BY "starts_at", "id" LIMIT {limit}) AS "branch{n}"'
        )
        branch_args += [*args, *key]
    return " UNION ALL ".join(branches), branch_args


def _marks(values: list) -> str:
    return ", ".join("{}" for _ in values)
