"""Opening schedules: manually, from a template, or from a recurrence.

Every opening is one transaction: either all its slots are created or none, and
an opening that overlaps the practitioner's existing slots is refused with a
message naming the conflict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from app import clock, i18n
from app.db import write_transaction
from app.events import Actor
from app.scheduling.expansion import (
    Block,
    InvalidRecurrence,
    SlotTime,
    WeeklyBlock,
    expand,
    recurrence_blocks,
    template_blocks,
)
from app.scheduling.tables import (
    ONLINE_ORIGINS,
    Activity,
    Practitioner,
    PractitionerSite,
    ScheduleOpening,
    ScheduleTemplateBlock,
    Slot,
)
from tenants.tables import Clinic, WorkSite

MAX_RANGE_DAYS = 366
INSERT_CHUNK = 500  # rows per INSERT: keeps SQLite under its bound-variable limit


class ScheduleError(Exception):
    """A refusal to show staff as it is (already translated)."""


@dataclass(frozen=True)
class Opened:
    opening_id: int
    slot_count: int


def publication_state(
    *, origin: str, publish_at: datetime | None, activity_offered: bool, now: datetime
) -> str:
    """'published', 'scheduled' (published later, at publish_at) or 'not_online'."""
    if origin not in ONLINE_ORIGINS or not activity_offered:
        return "not_online"
    if publish_at is not None and publish_at > now:
        return "scheduled"
    return "published"


class SchedulingService:
    def __init__(self, *, clinic_id: int) -> None:
        self.clinic_id = clinic_id

    async def open_manual(
        self,
        *,
        practitioner_id: int,
        site_id: int,
        activity_id: int,
        day: date,
        start: time,
        end: time,
        publish_at: datetime | None = None,
        actor: Actor,
    ) -> Opened:
        activity = await self._activity(activity_id)
        blocks = [Block(day, start, end, activity["id"], activity["duration_minutes"])]
        return await self._open(
            origin="manual",
            practitioner_id=practitioner_id,
            site_id=site_id,
            blocks=blocks,
            first_day=day,
            last_day=day,
            publish_at=publish_at,
            actor=actor,
        )

    async def apply_template(
        self,
        *,
        template_id: int,
        practitioner_id: int,
        site_id: int,
        first_day: date,
        last_day: date,
        publish_at: datetime | None = None,
        actor: Actor,
    ) -> Opened:
        rows = await ScheduleTemplateBlock.select(
            ScheduleTemplateBlock.weekday,
            ScheduleTemplateBlock.start_time,
            ScheduleTemplateBlock.end_time,
            ScheduleTemplateBlock.activity.id.as_alias("activity_id"),
            ScheduleTemplateBlock.activity.duration_minutes.as_alias("duration"),
        ).where(
            (ScheduleTemplateBlock.clinic == self.clinic_id)
            & (ScheduleTemplateBlock.template == template_id)
        )
        if not rows:
            raise ScheduleError(i18n.gettext("This schedule template does not exist or has no blocks."))
        self._check_range(first_day, last_day)
        pattern = [
            WeeklyBlock(r["weekday"], r["start_time"], r["end_time"], r["activity_id"], r["duration"])
            for r in rows
        ]
        return await self._open(
            origin="template",
            practitioner_id=practitioner_id,
            site_id=site_id,
            blocks=template_blocks(pattern, first_day, last_day),
            first_day=first_day,
            last_day=last_day,
            template_id=template_id,
            publish_at=publish_at,
            actor=actor,
        )

    async def open_recurrence(
        self,
        *,
        practitioner_id: int,
        site_id: int,
        activity_id: int,
        rule: str,
        first_day: date,
        last_day: date,
        start: time,
        end: time,
        actor: Actor,
    ) -> Opened:
        activity = await self._activity(activity_id)
        self._check_range(first_day, last_day)
        try:
            blocks = recurrence_blocks(
                rule, first_day, last_day, start, end, activity["id"], activity["duration_minutes"]
            )
        except InvalidRecurrence:
            raise ScheduleError(i18n.gettext("The recurrence rule is not valid.")) from None
        return await self._open(
            origin="recurrence",
            practitioner_id=practitioner_id,
            site_id=site_id,
            blocks=blocks,
            first_day=first_day,
            last_day=last_day,
            rule=rule,
            actor=actor,
        )

    # -- internals ---------------------------------------------------------------

    async def _activity(self, activity_id: int) -> dict:
        activity = (
            await Activity.select(Activity.id, Activity.duration_minutes)
            .where((Activity.id == activity_id) & (Activity.clinic == self.clinic_id) & Activity.active.eq(True))
            .first()
        )
        if activity is None:
            raise ScheduleError(i18n.gettext("This activity does not exist."))
        return activity

    @staticmethod
    def _check_range(first_day: date, last_day: date) -> None:
        if last_day < first_day:
            raise ScheduleError(i18n.gettext("The last day comes before the first day."))
        if (last_day - first_day).days >= MAX_RANGE_DAYS:
            raise ScheduleError(i18n.gettext("Open at most one year at a time."))

    async def _check_practitioner_site(self, practitioner_id: int, site_id: int) -> dict:
        practitioner = (
            await Practitioner.select(Practitioner.id, Practitioner.name)
            .where((Practitioner.id == practitioner_id) & (Practitioner.clinic == self.clinic_id))
            .first()
        )
        site_ok = await WorkSite.exists().where((WorkSite.id == site_id) & (WorkSite.clinic == self.clinic_id))
        if practitioner is None or not site_ok:
            raise ScheduleError(i18n.gettext("This practitioner or site does not exist."))
        works_there = await PractitionerSite.exists().where(
            (PractitionerSite.practitioner == practitioner_id) & (PractitionerSite.site == site_id)
        )
        if not works_there:
            raise ScheduleError(
                i18n.gettext("%(name)s does not work at this site.", name=practitioner["name"])
            )
        return practitioner

    async def _open(
        self,
        *,
        origin: str,
        practitioner_id: int,
        site_id: int,
        blocks: list[Block],
        first_day: date,
        last_day: date,
        template_id: int | None = None,
        rule: str | None = None,
        publish_at: datetime | None = None,
        actor: Actor,
    ) -> Opened:
        practitioner = await self._check_practitioner_site(practitioner_id, site_id)
        clinic = await Clinic.select(Clinic.time_zone).where(Clinic.id == self.clinic_id).first()
        zone = ZoneInfo(clinic["time_zone"])
        times = sorted(expand(blocks, clinic["time_zone"]), key=lambda s: s.starts_at)
        if not times:
            raise ScheduleError(i18n.gettext("These times open no slot."))
        for earlier, later in zip(times, times[1:]):
            if later.starts_at < earlier.ends_at:
                raise ScheduleError(self._conflict_text(practitioner["name"], later, zone))
        opening = ScheduleOpening(
            clinic=self.clinic_id,
            practitioner=practitioner_id,
            site=site_id,
            origin=origin,
            template=template_id,
            rrule=rule,
            first_day=first_day,
            last_day=last_day,
            publish_at=publish_at,
            created_at=clock.now(),
            created_by=actor.key(),
        )
        try:
            async with write_transaction():
                await self._refuse_overlap(practitioner_id, practitioner["name"], times, zone)
                await opening.save()
                rows = [
                    Slot(
                        clinic=self.clinic_id,
                        site=site_id,
                        practitioner=practitioner_id,
                        activity=t.activity_id,
                        opening=opening.id,
                        origin=origin,
                        starts_at=t.starts_at,
                        ends_at=t.ends_at,
                        local_date=t.local_date,
                        day_part=t.day_part,
                        publish_at=publish_at,
                        state="open",
                    )
                    for t in times
                ]
                for index in range(0, len(rows), INSERT_CHUNK):
                    await Slot.insert(*rows[index : index + INSERT_CHUNK])
        except Exception as error:
            # PostgreSQL's exclusion constraint catches two openings that raced.
            if type(error).__name__ == "ExclusionViolationError":
                raise ScheduleError(
                    i18n.gettext("Nothing was opened: these times overlap slots opened meanwhile.")
                ) from None
            raise
        return Opened(opening_id=opening.id, slot_count=len(rows))

    async def _refuse_overlap(
        self, practitioner_id: int, name: str, times: list[SlotTime], zone: ZoneInfo
    ) -> None:
        # Slots never exceed a day, so one range query finds every candidate.
        existing = await Slot.select(Slot.starts_at, Slot.ends_at).where(
            (Slot.practitioner == practitioner_id)
            & (Slot.starts_at < times[-1].ends_at)
            & (Slot.starts_at >= times[0].starts_at - timedelta(days=1))
        ).order_by(Slot.starts_at)
        cursor = 0
        for new in times:
            for row in existing[cursor:]:
                if row["starts_at"] >= new.ends_at:
                    break
                if row["ends_at"] > new.starts_at:
                    raise ScheduleError(self._conflict_text(name, row, zone))
            while cursor < len(existing) and existing[cursor]["ends_at"] <= new.starts_at:
                cursor += 1

    @staticmethod
    def _conflict_text(name: str, slot: SlotTime | dict, zone: ZoneInfo) -> str:
        starts = slot.starts_at if isinstance(slot, SlotTime) else slot["starts_at"]
        ends = slot.ends_at if isinstance(slot, SlotTime) else slot["ends_at"]
        locale = i18n.current()
        return i18n.gettext(
            "Nothing was opened: %(name)s already has a slot on %(day)s from %(start)s to %(end)s.",
            name=name,
            day=format_date(starts.astimezone(zone).date(), format="full", locale=locale),
            start=format_time(starts.astimezone(zone), format="short", locale=locale),
            end=format_time(ends.astimezone(zone), format="short", locale=locale),
        )
