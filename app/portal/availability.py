"""The slots a patient may book for one online service: the service's activities and
practitioners (for this person), at one site, after the clinic's minimum notice.
Both the wizard and rescheduling offer exactly these, and accept nothing else."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from app import clock
from app.booking.search import Available, Criteria, search
from app.online_services.services import search_criteria
from tenants.cache import TimedCache
from tenants.tables import Clinic


@dataclass(frozen=True)
class BookableQuery:
    """What a person may book, worked out once (the service's rules, the person, the
    clinic's notice): a request that searches twice (a refused hold: the one slot, then
    the page of what is left) asks the database for these only once."""

    clinic_id: int
    criteria: Criteria
    min_notice: timedelta

    async def slots(self, *, limit: int, slot_id: int | None = None) -> list[Available]:
        return await search(
            clinic_id=self.clinic_id,
            criteria=dataclasses.replace(self.criteria, slot_id=slot_id),
            limit=limit,
            min_notice=self.min_notice,
        )


# Read at every slots page and hold, with the services: one statement (app.raw_sql), kept
# a second at most by each process (tenants.cache).
_CLINIC_SQL = 'SELECT "time_zone", "min_booking_notice_minutes" FROM "clinic" WHERE "id" = {}'
_clinics: TimedCache[int, tuple[str, int]] = TimedCache()


async def _zone_and_notice(clinic_id: int) -> tuple[str, int] | None:
    async def load() -> tuple[str, int] | None:
        rows = await Clinic.raw(_CLINIC_SQL, clinic_id)
        return (rows[0]["time_zone"], rows[0]["min_booking_notice_minutes"]) if rows else None

    return await _clinics.get(clinic_id, load)


async def bookable_query(
    *,
    clinic_id: int,
    service_id: int | None,
    patient_id: int | None,
    site_id: int,
    from_date: date | None = None,
    day_part: str | None = None,
    holder: str | None = None,
) -> BookableQuery | None:
    """None when there is nothing to search: no service chosen, or not this person's."""
    if not service_id:
        return None
    clinic = await _zone_and_notice(clinic_id)
    if clinic is None:
        return None
    zone, notice_minutes = clinic
    criteria = await search_criteria(
        clinic_id=clinic_id,
        service_id=service_id,
        patient_id=patient_id,
        today=clock.now().astimezone(ZoneInfo(zone)).date(),
    )
    if criteria is None:
        return None
    return BookableQuery(
        clinic_id=clinic_id,
        criteria=dataclasses.replace(
            criteria, site_id=site_id, from_date=from_date, day_part=day_part, holder=holder
        ),
        min_notice=timedelta(minutes=notice_minutes),
    )


async def bookable_slots(*, limit: int, slot_id: int | None = None, **query) -> list[Available]:
    prepared = await bookable_query(**query)
    return [] if prepared is None else await prepared.slots(limit=limit, slot_id=slot_id)


async def is_bookable(slot_id: int, **query) -> bool:
    """Whether a slot a form sent back is one this person could have been offered: the
    same search, on that one slot (a storm of holds must not each search 50 slots)."""
    return bool(await bookable_slots(limit=1, slot_id=slot_id, **query))
