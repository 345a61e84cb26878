"""Opening schedules: manually, from a template, or from a recurrence.

Every opening is one transaction: either all its slots are created or none, and
an opening that overlaps the practitioner's existing slots is refused with a
message naming the conflict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from app import clock, i18n
from app.db import write_transaction
from app.events import Actor, EventBus
from app.i18n import N_
from app.scheduling.events import ScheduleChange, ScheduleChanged, ScheduleSnapshot
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
    SlotState,
)
from tenants.tables import Clinic, WorkSite

MAX_RANGE_DAYS = 366
INSERT_CHUNK = 500  # rows per INSERT: keeps SQLite under its bound-variable limit


class ScheduleRefusal(StrEnum):
    NO_TEMPLATE = "no_template"  # does not exist here, or has no blocks
    BAD_RULE = "bad_rule"
    NO_ACTIVITY = "no_activity"
    LAST_BEFORE_FIRST = "last_before_first"
    RANGE_TOO_LONG = "range_too_long"
    NO_PRACTITIONER_OR_SITE = "no_practitioner_or_site"
    NOT_AT_SITE = "not_at_site"
    NO_SLOT = "no_slot"  # the times open nothing
    OVERLAP = "overlap"  # with a slot the practitioner already has (facts: which)
    OVERLAP_RACE = "overlap_race"  # with slots another opening made meanwhile
    OVERLAP_CLOSED = "overlap_closed"  # with a slot closed over a range (facts: which)
    END_BEFORE_START = "end_before_start"  # a template block, a closing's times
    BLOCKS_OVERLAP = "blocks_overlap"  # two blocks of one template (facts: block)


_REFUSALS = {
    ScheduleRefusal.NO_TEMPLATE: N_("This schedule template does not exist or has no blocks."),
    ScheduleRefusal.BAD_RULE: N_("The recurrence rule is not valid."),
    ScheduleRefusal.NO_ACTIVITY: N_("This activity does not exist."),
    ScheduleRefusal.LAST_BEFORE_FIRST: N_("The last day comes before the first day."),
    ScheduleRefusal.RANGE_TOO_LONG: N_("Open at most one year at a time."),
    ScheduleRefusal.NO_PRACTITIONER_OR_SITE: N_("This practitioner or site does not exist."),
    ScheduleRefusal.NOT_AT_SITE: N_("%(name)s does not work at this site."),
    ScheduleRefusal.NO_SLOT: N_("These times open no slot."),
    ScheduleRefusal.OVERLAP: N_(
        "Nothing was opened: %(name)s already has a slot on %(day)s from %(start)s to %(end)s."
    ),
    ScheduleRefusal.OVERLAP_RACE: N_(
        "Nothing was opened: these times overlap slots opened meanwhile."
    ),
    ScheduleRefusal.OVERLAP_CLOSED: N_(
        "Nothing was opened: %(name)s has a closed slot on %(day)s from %(start)s to %(end)s, "
        "which opens again only with the same times."
    ),
    ScheduleRefusal.END_BEFORE_START: N_("The end must come after the start."),
    ScheduleRefusal.BLOCKS_OVERLAP: N_("This block overlaps another block of the same day."),
}


class ScheduleError(Exception):
    """A refusal, by its code; text() says it in the current language (the staff's)."""

    def __init__(
        self,
        code: ScheduleRefusal,
        *,
        name: str = "",
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        time_zone: str = "UTC",
        block: int | None = None,
    ) -> None:
        super().__init__(code.value)
        self.code = code
        self.block = block  # which block of a template, for the form to point at it
        self.name, self.starts_at, self.ends_at, self.time_zone = (
            name,
            starts_at,
            ends_at,
            time_zone,
        )

    def text(self) -> str:
        facts: dict[str, str] = {"name": self.name}
        if self.starts_at and self.ends_at:
            zone, locale = ZoneInfo(self.time_zone), i18n.current()
            facts.update(
                day=format_date(
                    self.starts_at.astimezone(zone).date(), format="full", locale=locale
                ),
                start=format_time(self.starts_at.astimezone(zone), format="short", locale=locale),
                end=format_time(self.ends_at.astimezone(zone), format="short", locale=locale),
            )
        return i18n.gettext(_REFUSALS[self.code], **facts)

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Opened:
    opening_id: int
    slot_count: int


@dataclass(frozen=True)
class BookedSlot:
    """A slot a closing left alone because it carries an appointment: for staff to move it."""

    slot_id: int
    site_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Closed:
    slot_count: int  # free slots closed
    held_count: int  # free slots left open because a patient holds them right now
    booked: tuple[BookedSlot, ...]  # in the range, untouched


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
    def __init__(self, *, clinic_id: int, bus: EventBus) -> None:
        self.clinic_id = clinic_id
        self.bus = bus

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
            raise ScheduleError(ScheduleRefusal.NO_TEMPLATE)
        self._check_range(first_day, last_day)
        pattern = [
            WeeklyBlock(
                r["weekday"], r["start_time"], r["end_time"], r["activity_id"], r["duration"]
            )
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
            raise ScheduleError(ScheduleRefusal.BAD_RULE) from None
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

    async def close_free_slots(
        self,
        *,
        practitioner_id: int,
        first_day: date,
        last_day: date,
        start: time | None = None,
        end: time | None = None,
        actor: Actor,
    ) -> Closed:
        """Close a practitioner's free slots from first_day to last_day (both included),
        or only those lying within start-end on each day (clinic time): a practitioner
        is away. One transaction. A slot with an appointment is never touched (its state
        is 'booked'), nor one a patient holds right now (the hold is theirs until it
        lapses); the booked ones are returned, for staff to move their appointments."""
        self._check_range(first_day, last_day)
        if (start is None) != (end is None) or (start and end and end <= start):
            raise ScheduleError(ScheduleRefusal.END_BEFORE_START)
        practitioner = (
            await Practitioner.select(Practitioner.id)
            .where((Practitioner.id == practitioner_id) & (Practitioner.clinic == self.clinic_id))
            .first()
        )
        if practitioner is None:
            raise ScheduleError(ScheduleRefusal.NO_PRACTITIONER_OR_SITE)
        clinic = await Clinic.select(Clinic.time_zone).where(Clinic.id == self.clinic_id).first()
        zone = ZoneInfo(clinic["time_zone"])

        def within(row: dict) -> bool:
            if start is None or end is None:
                return True
            local_start = row["starts_at"].astimezone(zone)
            local_end = row["ends_at"].astimezone(zone)
            return start <= local_start.time() and (
                local_end.date() == local_start.date() and local_end.time() <= end
            )

        now = clock.now()
        async with write_transaction():
            rows = await Slot.select(
                Slot.id, Slot.site, Slot.starts_at, Slot.ends_at, Slot.state, Slot.hold_until
            ).where(
                (Slot.clinic == self.clinic_id)
                & (Slot.practitioner == practitioner_id)
                & (Slot.local_date >= first_day)
                & (Slot.local_date <= last_day)
                & Slot.state.is_in([SlotState.OPEN, SlotState.BOOKED])
            )
            rows = sorted((r for r in rows if within(r)), key=lambda r: r["starts_at"])
            candidates = [r["id"] for r in rows if r["state"] == SlotState.OPEN]
            closed: list[dict] = []
            for index in range(0, len(candidates), INSERT_CHUNK):
                # The conditions again in the UPDATE: a slot booked or held since the
                # SELECT is left as it is (the statement decides, not the check above).
                closed += (
                    await Slot.update({Slot.state: SlotState.CLOSED})
                    .where(
                        Slot.id.is_in(candidates[index : index + INSERT_CHUNK])
                        & (Slot.clinic == self.clinic_id)
                        & (Slot.state == SlotState.OPEN)
                        & (Slot.hold_until.is_null() | (Slot.hold_until < now))
                    )
                    .returning(Slot.id, Slot.site)
                )
            closed_ids = {r["id"] for r in closed}
            booked_ids = [r["id"] for r in rows if r["state"] == SlotState.BOOKED]
            for index in range(0, len(booked_ids), INSERT_CHUNK):
                await Slot.update({Slot.closes_when_freed: True}).where(
                    Slot.id.is_in(booked_ids[index : index + INSERT_CHUNK])
                    & (Slot.clinic == self.clinic_id)
                    & (Slot.state == SlotState.BOOKED)
                )
            booked = tuple(
                BookedSlot(r["id"], r["site"], r["starts_at"], r["ends_at"])
                for r in rows
                if r["state"] == SlotState.BOOKED
            )
            if closed:
                sites = {r["site"] for r in closed}
                await self.bus.emit(
                    ScheduleChanged(
                        clinic_id=self.clinic_id,
                        actor=actor,
                        kind=ScheduleChange.CLOSED,
                        entity_id=practitioner_id,
                        before=None,
                        after=ScheduleSnapshot(
                            practitioner_id=practitioner_id,
                            site_id=sites.pop() if len(sites) == 1 else None,
                            first_day=first_day,
                            last_day=last_day,
                            origin="closing",
                            slot_count=len(closed),
                        ),
                    )
                )
        held = sum(1 for r in rows if r["state"] == SlotState.OPEN and r["id"] not in closed_ids)
        return Closed(slot_count=len(closed), held_count=held, booked=booked)

    # -- internals ---------------------------------------------------------------

    async def _activity(self, activity_id: int) -> dict:
        activity = (
            await Activity.select(Activity.id, Activity.duration_minutes)
            .where(
                (Activity.id == activity_id)
                & (Activity.clinic == self.clinic_id)
                & Activity.active.eq(True)
            )
            .first()
        )
        if activity is None:
            raise ScheduleError(ScheduleRefusal.NO_ACTIVITY)
        return activity

    @staticmethod
    def _check_range(first_day: date, last_day: date) -> None:
        if last_day < first_day:
            raise ScheduleError(ScheduleRefusal.LAST_BEFORE_FIRST)
        if (last_day - first_day).days >= MAX_RANGE_DAYS:
            raise ScheduleError(ScheduleRefusal.RANGE_TOO_LONG)

    async def _check_practitioner_site(self, practitioner_id: int, site_id: int) -> dict:
        practitioner = (
            await Practitioner.select(Practitioner.id, Practitioner.name)
            .where((Practitioner.id == practitioner_id) & (Practitioner.clinic == self.clinic_id))
            .first()
        )
        site_ok = await WorkSite.exists().where(
            (WorkSite.id == site_id) & (WorkSite.clinic == self.clinic_id)
        )
        if practitioner is None or not site_ok:
            raise ScheduleError(ScheduleRefusal.NO_PRACTITIONER_OR_SITE)
        works_there = await PractitionerSite.exists().where(
            (PractitionerSite.practitioner == practitioner_id) & (PractitionerSite.site == site_id)
        )
        if not works_there:
            raise ScheduleError(ScheduleRefusal.NOT_AT_SITE, name=practitioner["name"])
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
            raise ScheduleError(ScheduleRefusal.NO_SLOT)
        for earlier, later in zip(times, times[1:]):
            if later.starts_at < earlier.ends_at:
                raise _overlap(practitioner["name"], later.starts_at, later.ends_at, zone)
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
                reopened = await self._refuse_overlap(
                    practitioner_id, practitioner["name"], times, zone
                )
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
                    if (t.starts_at, t.ends_at) not in reopened
                ]
                for index in range(0, len(rows), INSERT_CHUNK):
                    await Slot.insert(*rows[index : index + INSERT_CHUNK])
                for t in times:
                    if (t.starts_at, t.ends_at) in reopened:
                        await Slot.update(
                            {
                                Slot.site: site_id,
                                Slot.activity: t.activity_id,
                                Slot.opening: opening.id,
                                Slot.origin: origin,
                                Slot.publish_at: publish_at,
                                Slot.state: SlotState.OPEN,
                                Slot.hold_token: None,
                                Slot.hold_until: None,
                            }
                        ).where(
                            (Slot.id == reopened[(t.starts_at, t.ends_at)])
                            & (Slot.clinic == self.clinic_id)
                            & (Slot.state == SlotState.CLOSED)
                        )
                await self.bus.emit(
                    ScheduleChanged(
                        clinic_id=self.clinic_id,
                        actor=actor,
                        kind=ScheduleChange.OPENED,
                        entity_id=opening.id,
                        before=None,
                        after=ScheduleSnapshot(
                            practitioner_id=practitioner_id,
                            site_id=site_id,
                            first_day=first_day,
                            last_day=last_day,
                            origin=origin,
                            slot_count=len(times),
                            publish_at=publish_at,
                            rule=rule,
                            template_id=template_id,
                        ),
                    )
                )
        except Exception as error:
            # PostgreSQL's exclusion constraint catches two openings that raced.
            if type(error).__name__ == "ExclusionViolationError":
                raise ScheduleError(ScheduleRefusal.OVERLAP_RACE) from None
            raise
        return Opened(opening_id=opening.id, slot_count=len(times))

    async def _refuse_overlap(
        self, practitioner_id: int, name: str, times: list[SlotTime], zone: ZoneInfo
    ) -> dict[tuple[datetime, datetime], int]:
        """Refuses any overlap with the practitioner's slots, except a closed slot at
        exactly the same times: that one is opened again (its row stays, as cancelled
        appointments may point at it). Returns those, by their times."""
        # Slots never exceed a day, so one range query finds every candidate.
        existing = (
            await Slot.select(Slot.id, Slot.starts_at, Slot.ends_at, Slot.state)
            .where(
                (Slot.practitioner == practitioner_id)
                & (Slot.starts_at < times[-1].ends_at)
                & (Slot.starts_at >= times[0].starts_at - timedelta(days=1))
            )
            .order_by(Slot.starts_at)
        )
        reopened: dict[tuple[datetime, datetime], int] = {}
        cursor = 0
        for new in times:
            for row in existing[cursor:]:
                if row["starts_at"] >= new.ends_at:
                    break
                if row["ends_at"] <= new.starts_at:
                    continue
                closed = row["state"] == SlotState.CLOSED
                if closed and (row["starts_at"], row["ends_at"]) == (new.starts_at, new.ends_at):
                    reopened[(new.starts_at, new.ends_at)] = row["id"]
                    continue
                raise _overlap(name, row["starts_at"], row["ends_at"], zone, closed=closed)
            while cursor < len(existing) and existing[cursor]["ends_at"] <= new.starts_at:
                cursor += 1
        return reopened


def _overlap(
    name: str, starts_at: datetime, ends_at: datetime, zone: ZoneInfo, *, closed: bool = False
) -> ScheduleError:
    return ScheduleError(
        ScheduleRefusal.OVERLAP_CLOSED if closed else ScheduleRefusal.OVERLAP,
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        time_zone=str(zone),
    )
