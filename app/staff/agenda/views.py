"""The agenda's read model: what a day or a week of one practitioner or one site shows,
as frozen dataclasses, read in two statements whatever the number of slots: the directory
(practitioners, sites, who works where, what the online services put online), and the
slots with their activity and the appointments on them. Every statement names the clinic.

Days are the clinic's local days: a slot belongs to the `local_date` fixed when it was
opened, so a DST week needs no arithmetic here; the UTC bounds beside it only let the
database use its (…, starts_at) indexes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.booking.tables import AppointmentStatus, Source
from app.i18n import N_
from app.scheduling.services import publication_state
from app.scheduling.tables import Practitioner, Slot

# No time zone is more than 14 hours from UTC: a local day lies within these bounds.
ZONE_MARGIN = timedelta(hours=14)
WEEKEND = (5, 6)
PALETTE = 8  # activity colours in the stylesheet: .act-0 … .act-7


class ViewKind(StrEnum):
    DAY = "day"
    WEEK = "week"


class SlotState(StrEnum):
    """What a glance at the agenda tells apart (with text, never colour alone)."""

    FREE = "free"
    HELD = "held"  # free, but a patient reviews it on the portal right now
    BOOKED = "booked"
    CLOSED = "closed"  # any state the engine gives a slot that is no longer offered


class Publication(StrEnum):
    """app.scheduling.services.publication_state's answers."""

    PUBLISHED = "published"
    SCHEDULED = "scheduled"
    NOT_ONLINE = "not_online"


class Icon(StrEnum):
    PUBLISHED = "published"  # cloud
    SCHEDULED = "scheduled"  # cloud + clock
    BOOKED_ONLINE = "booked_online"  # cloud + check mark
    TELECONSULTATION = "teleconsultation"  # camera
    NOT_OFFERED = "not_offered"  # crossed-out cloud: a recurrence slot


ICON_LABELS = {  # SPEC §10, the icons' accessible names and tooltips
    Icon.PUBLISHED: N_("Published online"),
    Icon.SCHEDULED: N_("Scheduled for publication"),
    Icon.BOOKED_ONLINE: N_("Booked online"),
    Icon.TELECONSULTATION: N_("Teleconsultation"),
    Icon.NOT_OFFERED: N_("Not offered online"),
}
STATE_LABELS = {
    SlotState.FREE: N_("Free"),
    SlotState.HELD: N_("Held online"),
    SlotState.BOOKED: N_("Booked"),
    SlotState.CLOSED: N_("Closed"),
}
# How the staff read an appointment's status (the patients' words are in booking.tables).
STATUS_LABELS = {
    AppointmentStatus.BOOKED: N_("Booked"),
    AppointmentStatus.CONFIRMED: N_("Confirmed"),
    AppointmentStatus.ARRIVED: N_("Arrived"),
    AppointmentStatus.NO_SHOW: N_("No-show"),
    AppointmentStatus.COMPLETED: N_("Completed"),
    AppointmentStatus.CANCELLED: N_("Cancelled"),
}


@dataclass(frozen=True)
class Period:
    """A day, or the Monday-to-Sunday week around a day, in the clinic's calendar."""

    kind: ViewKind
    day: date  # the day the URL names

    @property
    def first(self) -> date:
        return self.day if self.kind is ViewKind.DAY else self.day - timedelta(self.day.weekday())

    @property
    def days(self) -> tuple[date, ...]:
        count = 1 if self.kind is ViewKind.DAY else 7
        return tuple(self.first + timedelta(offset) for offset in range(count))

    @property
    def last(self) -> date:
        return self.days[-1]

    @property
    def step(self) -> timedelta:
        return timedelta(days=1 if self.kind is ViewKind.DAY else 7)

    def previous(self) -> date:
        return self.day - self.step

    def next(self) -> date:
        return self.day + self.step

    def utc_bounds(self) -> tuple[datetime, datetime]:
        start = datetime.combine(self.first, time(0), timezone.utc) - ZONE_MARGIN
        end = datetime.combine(self.last + timedelta(1), time(0), timezone.utc) + ZONE_MARGIN
        return start, end


@dataclass(frozen=True)
class PractitionerRef:
    id: int
    name: str


@dataclass(frozen=True)
class SiteRef:
    id: int
    name_fr: str
    name_en: str


@dataclass(frozen=True)
class Directory:
    """Who and where the pickers offer: the clinic's active practitioners and its sites,
    and which practitioners work at which site."""

    practitioners: tuple[PractitionerRef, ...]
    sites: tuple[SiteRef, ...]
    works_at: frozenset[tuple[int, int]]  # (practitioner id, site id)

    def practitioner(self, practitioner_id: int) -> PractitionerRef | None:
        return next((p for p in self.practitioners if p.id == practitioner_id), None)

    def site(self, site_id: int) -> SiteRef | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def at_site(self, site_id: int) -> tuple[PractitionerRef, ...]:
        return tuple(p for p in self.practitioners if (p.id, site_id) in self.works_at)


@dataclass(frozen=True, slots=True)  # hundreds a page: slots make them lighter
class AppointmentCell:
    id: int
    status: AppointmentStatus
    source: Source
    patient_name: str  # the file's name, or the name typed online (provisional)
    provisional: bool  # an unidentified online booking, not yet attached to a file
    type_name_fr: str
    type_name_en: str
    telemedicine: bool
    in_video_room: bool = False  # on the built-in platform: the camera opens the call
    video_link: str = ""  # on another platform: the camera opens the link typed

    @property
    def active(self) -> bool:
        return self.status is not AppointmentStatus.CANCELLED


@dataclass(frozen=True, slots=True)  # hundreds a page: slots make them lighter
class SlotCell:
    id: int
    starts_at: datetime  # UTC
    ends_at: datetime
    local_date: date
    start: time  # clinic wall-clock time
    end: time
    practitioner_id: int
    site_id: int
    activity_id: int
    activity_name_fr: str
    activity_name_en: str
    state: SlotState
    publication: Publication
    publish_at: datetime | None
    held_until: datetime | None  # only while the hold is live
    telemedicine: bool  # the appointment's type, else the activity's, is telemedicine
    appointment: AppointmentCell | None  # the active one, else the last cancelled one
    from_recurrence: bool = False  # never offered online (SPEC §3)

    @property
    def colour(self) -> int:
        return self.activity_id % PALETTE

    @property
    def icons(self) -> tuple[Icon, ...]:
        """SPEC §3: where the slot stands online, and a camera for teleconsultations.
        Publication concerns a slot still on offer; a booked one says who booked it."""
        shown: list[Icon] = []
        if self.appointment is not None and self.appointment.active:
            if self.appointment.source is Source.ONLINE:
                shown.append(Icon.BOOKED_ONLINE)
        elif self.state in (SlotState.FREE, SlotState.HELD):
            if self.publication is Publication.PUBLISHED:
                shown.append(Icon.PUBLISHED)
            elif self.publication is Publication.SCHEDULED:
                shown.append(Icon.SCHEDULED)
            elif self.publication is Publication.NOT_ONLINE and self.from_recurrence:
                shown.append(Icon.NOT_OFFERED)
        if self.telemedicine:
            shown.append(Icon.TELECONSULTATION)
        return tuple(shown)


@dataclass(frozen=True)
class Agenda:
    """One view: its period, the columns it shows (a practitioner's days, or a site's
    practitioners), and every slot in it, in start order."""

    period: Period
    time_zone: str
    slots: tuple[SlotCell, ...]
    directory: Directory
    practitioner: PractitionerRef | None = None  # a practitioner's agenda
    site: SiteRef | None = None  # a site's agenda
    columns: tuple[PractitionerRef, ...] = ()  # a site's practitioners, side by side
    shown_days: tuple[date, ...] = field(default=())

    @property
    def practitioner_ids(self) -> tuple[int, ...]:
        if self.practitioner is not None:
            return (self.practitioner.id,)
        return tuple(p.id for p in self.columns)

    @property
    def site_ids(self) -> tuple[int, ...]:
        if self.site is not None:
            return (self.site.id,)
        return tuple(sorted({slot.site_id for slot in self.slots}))

    def on(self, day: date) -> tuple[SlotCell, ...]:
        return tuple(slot for slot in self.slots if slot.local_date == day)

    def of(self, practitioner_id: int, day: date) -> tuple[SlotCell, ...]:
        return tuple(
            s for s in self.slots if s.local_date == day and s.practitioner_id == practitioner_id
        )


@dataclass(frozen=True)
class Offer:
    """What the clinic's active online services put online, as
    app.online_services.services.OnlineOffer.offers judges it (an active service links the
    slot's activity, includes its practitioner if it names any, and does not exclude
    them), read within the directory's one query instead of three of its own."""

    activities: tuple[tuple[int, frozenset[int], frozenset[int]], ...] = ()
    # (activity id, included practitioners, excluded practitioners) per service and activity

    def offers(self, *, activity_id: int, practitioner_id: int) -> bool:
        return any(
            activity == activity_id
            and (not include or practitioner_id in include)
            and practitioner_id not in exclude
            for activity, include, exclude in self.activities
        )


# Who and where, and what is online, in one statement: each branch tags its rows.
# Written as SQL: a view is a fixed handful of statements, and on SQLite each costs a
# connection of its own.
_DIRECTORY = """
SELECT 'practitioner' AS kind, id AS a, 0 AS b, name AS c, '' AS d
  FROM practitioner WHERE clinic = {} AND active = {}
UNION ALL
SELECT 'site', id, 0, name_fr, name_en FROM work_site WHERE clinic = {}
UNION ALL
SELECT 'works', practitioner, site, '', '' FROM practitioner_site WHERE clinic = {}
UNION ALL
SELECT 'offers', sa.service, sa.activity, '', ''
  FROM service_activity sa
  JOIN online_service os ON os.id = sa.service
  JOIN activity ac ON ac.id = sa.activity
  WHERE sa.clinic = {} AND os.clinic = {} AND os.active = {} AND ac.active = {}
UNION ALL
SELECT 'service', sp.service, sp.practitioner, sp.role, ''
  FROM service_practitioner sp
  JOIN online_service os ON os.id = sp.service
  WHERE sp.clinic = {} AND os.clinic = {} AND os.active = {}
"""


async def directory(*, clinic_id: int) -> tuple[Directory, Offer]:
    rows = await Practitioner.raw(
        _DIRECTORY,
        clinic_id,
        True,
        clinic_id,
        clinic_id,
        clinic_id,
        clinic_id,
        True,
        True,
        clinic_id,
        clinic_id,
        True,
    )
    people, sites, works = [], [], set()
    links: dict[int, list[int]] = {}
    roles: dict[tuple[int, str], set[int]] = {}
    for row in rows:
        kind = row["kind"]
        if kind == "practitioner":
            people.append(PractitionerRef(row["a"], row["c"]))
        elif kind == "site":
            sites.append(SiteRef(row["a"], row["c"], row["d"]))
        elif kind == "works":
            works.add((row["a"], row["b"]))
        elif kind == "offers":
            links.setdefault(row["a"], []).append(row["b"])
        else:
            roles.setdefault((row["a"], row["c"]), set()).add(row["b"])
    offer = Offer(
        tuple(
            (
                activity,
                frozenset(roles.get((service, "include"), ())),
                frozenset(roles.get((service, "exclude"), ())),
            )
            for service, activities in sorted(links.items())
            for activity in activities
        )
    )
    return (
        Directory(
            practitioners=tuple(sorted(people, key=lambda p: (p.name, p.id))),
            sites=tuple(sorted(sites, key=lambda s: s.id)),
            works_at=frozenset(works),
        ),
        offer,
    )


async def practitioner_agenda(
    *, clinic_id: int, time_zone: str, practitioner_id: int, period: Period, now: datetime
) -> Agenda | None:
    """None when the clinic has no such (active) practitioner."""
    found, offer = await directory(clinic_id=clinic_id)
    practitioner = found.practitioner(practitioner_id)
    if practitioner is None:
        return None
    slots = await _slots(
        clinic_id=clinic_id,
        time_zone=time_zone,
        period=period,
        now=now,
        offer=offer,
        column="practitioner",
        value=practitioner_id,
    )
    return Agenda(
        period=period,
        time_zone=time_zone,
        slots=slots,
        directory=found,
        practitioner=practitioner,
        shown_days=_shown_days(period, slots),
    )


async def site_agenda(
    *, clinic_id: int, time_zone: str, site_id: int, period: Period, now: datetime
) -> Agenda | None:
    """None when the clinic has no such site. Its columns: the practitioners who work
    there, and anyone else with a slot there in the period."""
    found, offer = await directory(clinic_id=clinic_id)
    site = found.site(site_id)
    if site is None:
        return None
    slots = await _slots(
        clinic_id=clinic_id,
        time_zone=time_zone,
        period=period,
        now=now,
        offer=offer,
        column="site",
        value=site_id,
    )
    with_slots = {slot.practitioner_id for slot in slots}
    columns = tuple(
        p for p in found.practitioners if p.id in with_slots or (p.id, site_id) in found.works_at
    )
    return Agenda(
        period=period,
        time_zone=time_zone,
        slots=slots,
        directory=found,
        site=site,
        columns=columns,
        shown_days=_shown_days(period, slots),
    )


def _shown_days(period: Period, slots: tuple[SlotCell, ...]) -> tuple[date, ...]:
    """A week shows Monday to Friday, and a weekend day only when it has slots."""
    used = {slot.local_date for slot in slots}
    return tuple(
        day
        for day in period.days
        if day.weekday() not in WEEKEND or day in used or day == period.day
    )


# A period's slots of one practitioner or one site, each with its activity and the
# appointments on it (an active one, and any cancelled before), in one statement. The UTC
# bounds let the (practitioner, starts_at) and (clinic, site, starts_at) indexes find the
# slots, and appointment_slot each slot's appointments.
_SLOTS = """
SELECT s.id, s.starts_at, s.ends_at, s.local_date, s.origin, s.state, s.publish_at,
       s.hold_until, s.practitioner, s.site, s.activity,
       ac.name_fr AS activity_name_fr, ac.name_en AS activity_name_en,
       at.name_fr AS activity_type_fr, at.name_en AS activity_type_en,
       at.telemedicine AS activity_telemedicine, at.video_platform AS activity_video_platform,
       ap.id AS appointment_id, ap.status, ap.source, ap.provisional, ap.patient,
       pa.first_name, pa.last_name,
       ty.name_fr AS type_name_fr, ty.name_en AS type_name_en, ty.telemedicine,
       ty.video_platform, ap.video_link
  FROM slot s
  JOIN activity ac ON ac.id = s.activity
  LEFT JOIN appointment_type at ON at.id = ac.appointment_type
  LEFT JOIN appointment ap ON ap.slot = s.id AND ap.clinic = s.clinic
  LEFT JOIN patient pa ON pa.id = ap.patient
  LEFT JOIN appointment_type ty ON ty.id = ap.appointment_type
 WHERE s.clinic = {} AND s.{column} = {} AND s.starts_at >= {} AND s.starts_at < {}
   AND s.local_date >= {} AND s.local_date <= {}
 ORDER BY s.starts_at, s.id
"""
_COLUMNS = ("practitioner", "site")


async def _slots(
    *,
    clinic_id: int,
    time_zone: str,
    period: Period,
    now: datetime,
    offer: Offer,
    column: str,
    value: int,
) -> tuple[SlotCell, ...]:
    if column not in _COLUMNS:  # a name from this module only, never from a request
        raise ValueError(column)
    start, end = period.utc_bounds()
    sql = _SLOTS.replace("{column}", column)
    rows = await Slot.raw(sql, clinic_id, value, start, end, period.first, period.last)
    zone = ZoneInfo(time_zone)
    # A view has few (activity, practitioner) pairs and many slots: judge each pair once.
    offered = lru_cache(maxsize=None)(
        lambda activity, practitioner: offer.offers(
            activity_id=activity, practitioner_id=practitioner
        )
    )
    cells: list[SlotCell] = []
    chosen: AppointmentCell | None = None
    for i, row in enumerate(rows):
        # Rows come per slot, one per appointment on it: the slot shows its active one,
        # else its last cancelled one.
        if row["appointment_id"] is not None:
            found = _appointment(row)
            if chosen is None or _shows_before(found, chosen):
                chosen = found
        last_of_slot = i + 1 == len(rows) or rows[i + 1]["id"] != row["id"]
        if last_of_slot:
            cells.append(_cell(row, chosen, offered, zone, now))
            chosen = None
    return tuple(cells)


def _shows_before(one: AppointmentCell, other: AppointmentCell) -> bool:
    if one.active != other.active:
        return one.active
    return one.id > other.id


def _cell(row: dict, appointment: AppointmentCell | None, offered, zone: ZoneInfo, now) -> SlotCell:
    hold_until = _moment(row["hold_until"])
    if row["state"] == "booked":
        state = SlotState.BOOKED
    elif row["state"] != "open":
        state = SlotState.CLOSED
    elif hold_until is not None and hold_until > now:
        state = SlotState.HELD
    else:
        state = SlotState.FREE
    starts_at, ends_at = _moment(row["starts_at"]), _moment(row["ends_at"])
    publish_at = _moment(row["publish_at"])
    publication = Publication(
        publication_state(
            origin=row["origin"],
            publish_at=publish_at,
            activity_offered=offered(row["activity"], row["practitioner"]),
            now=now,
        )
    )
    active = appointment if appointment is not None and appointment.active else None
    return SlotCell(
        id=row["id"],
        starts_at=starts_at,
        ends_at=ends_at,
        local_date=_day(row["local_date"]),
        start=starts_at.astimezone(zone).time(),
        end=ends_at.astimezone(zone).time(),
        practitioner_id=row["practitioner"],
        site_id=row["site"],
        activity_id=row["activity"],
        activity_name_fr=row["activity_name_fr"],
        activity_name_en=row["activity_name_en"],
        state=state,
        publication=publication,
        publish_at=publish_at,
        held_until=hold_until if state is SlotState.HELD else None,
        telemedicine=active.telemedicine if active else bool(row["activity_telemedicine"]),
        appointment=appointment,
        from_recurrence=row["origin"] == "recurrence",
    )


def _appointment(row: dict) -> AppointmentCell:
    provisional = row["patient"] is None
    if provisional:
        typed = _typed(row["provisional"])
        name = " ".join(part for part in (typed.get("first_name"), typed.get("last_name")) if part)
    else:
        name = f"{row['first_name']} {row['last_name']}"
    has_type = row["type_name_fr"] is not None or row["type_name_en"] is not None
    return AppointmentCell(
        id=row["appointment_id"],
        status=AppointmentStatus(row["status"]),
        source=Source(row["source"]),
        patient_name=name,
        provisional=provisional,
        # An appointment without its own type has its activity's (SPEC §8).
        type_name_fr=(row["type_name_fr"] if has_type else row["activity_type_fr"]) or "",
        type_name_en=(row["type_name_en"] if has_type else row["activity_type_en"]) or "",
        telemedicine=bool(row["telemedicine"] if has_type else row["activity_telemedicine"]),
        in_video_room=bool(row["telemedicine"] if has_type else row["activity_telemedicine"])
        and (row["video_platform"] if has_type else row["activity_video_platform"]) == "builtin",
        video_link=(row["video_link"] or "")
        if has_type and row["telemedicine"] and row["video_platform"] == "link"
        else "",
    )


def _typed(provisional) -> dict:
    """The identity typed on the portal, as stored (a dict, or its JSON text)."""
    if isinstance(provisional, dict):
        return provisional
    if isinstance(provisional, str) and provisional:
        try:
            value = json.loads(provisional)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def _moment(value) -> datetime | None:
    """A timestamp as either database returns it to a raw statement (SQLite: ISO text)."""
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
