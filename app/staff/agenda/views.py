"""The agenda's read model: what a day or a week of one practitioner or one site shows,
as frozen dataclasses, read in a fixed handful of queries whatever the number of slots
(the directory, the slots with their activity, the appointments on them, what the
clinic's online services put online). Every query names the clinic.

Days are the clinic's local days: a slot belongs to the `local_date` fixed when it was
opened, so a DST week needs no arithmetic here; the UTC bounds beside it only let the
database use its (…, starts_at) indexes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo

from app.booking.tables import Appointment, AppointmentStatus, Source
from app.i18n import N_
from app.online_services.services import OnlineOffer, online_offer
from app.scheduling.services import publication_state
from app.scheduling.tables import Practitioner, PractitionerSite, Slot
from tenants.tables import WorkSite

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


@dataclass(frozen=True)
class AppointmentCell:
    id: int
    status: AppointmentStatus
    source: Source
    patient_name: str  # the file's name, or the name typed online (provisional)
    provisional: bool  # an unidentified online booking, not yet attached to a file
    type_name_fr: str
    type_name_en: str
    telemedicine: bool

    @property
    def active(self) -> bool:
        return self.status is not AppointmentStatus.CANCELLED


@dataclass(frozen=True)
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


async def directory(*, clinic_id: int) -> Directory:
    practitioners = await (
        Practitioner.select(Practitioner.id, Practitioner.name)
        .where((Practitioner.clinic == clinic_id) & Practitioner.active.eq(True))
        .order_by(Practitioner.name)
    )
    sites = await (
        WorkSite.select(WorkSite.id, WorkSite.name_fr, WorkSite.name_en)
        .where(WorkSite.clinic == clinic_id)
        .order_by(WorkSite.id)
    )
    links = await PractitionerSite.select(
        PractitionerSite.practitioner, PractitionerSite.site
    ).where(PractitionerSite.clinic == clinic_id)
    return Directory(
        practitioners=tuple(PractitionerRef(r["id"], r["name"]) for r in practitioners),
        sites=tuple(SiteRef(r["id"], r["name_fr"], r["name_en"]) for r in sites),
        works_at=frozenset((r["practitioner"], r["site"]) for r in links),
    )


async def practitioner_agenda(
    *, clinic_id: int, time_zone: str, practitioner_id: int, period: Period, now: datetime
) -> Agenda | None:
    """None when the clinic has no such (active) practitioner."""
    found = await directory(clinic_id=clinic_id)
    practitioner = found.practitioner(practitioner_id)
    if practitioner is None:
        return None
    slots = await _slots(
        clinic_id=clinic_id,
        time_zone=time_zone,
        period=period,
        now=now,
        where=Slot.practitioner == practitioner_id,
        appointments_where=Appointment.practitioner == practitioner_id,
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
    found = await directory(clinic_id=clinic_id)
    site = found.site(site_id)
    if site is None:
        return None
    slots = await _slots(
        clinic_id=clinic_id,
        time_zone=time_zone,
        period=period,
        now=now,
        where=Slot.site == site_id,
        appointments_where=Appointment.site == site_id,
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


async def _slots(
    *, clinic_id: int, time_zone: str, period: Period, now: datetime, where, appointments_where
) -> tuple[SlotCell, ...]:
    start, end = period.utc_bounds()
    activity = Slot.activity
    rows = await (
        Slot.select(
            Slot.id,
            Slot.starts_at,
            Slot.ends_at,
            Slot.local_date,
            Slot.origin,
            Slot.state,
            Slot.publish_at,
            Slot.hold_until,
            Slot.practitioner,
            Slot.site,
            Slot.activity,
            activity.name_fr.as_alias("activity_name_fr"),
            activity.name_en.as_alias("activity_name_en"),
            activity.appointment_type.telemedicine.as_alias("activity_telemedicine"),
        )
        .where(
            (Slot.clinic == clinic_id)
            & where
            & (Slot.starts_at >= start)
            & (Slot.starts_at < end)
            & (Slot.local_date >= period.first)
            & (Slot.local_date <= period.last)
        )
        .order_by(Slot.starts_at)
    )
    if not rows:
        return ()
    appointments = await _appointments(
        clinic_id=clinic_id, start=start, end=end, where=appointments_where
    )
    offer = await online_offer(clinic_id=clinic_id)
    zone = ZoneInfo(time_zone)
    return tuple(_cell(row, appointments.get(row["id"]), offer, zone, now) for row in rows)


def _cell(
    row: dict, appointment: AppointmentCell | None, offer: OnlineOffer, zone: ZoneInfo, now
) -> SlotCell:
    hold_until = row["hold_until"]
    if row["state"] == "booked":
        state = SlotState.BOOKED
    elif row["state"] != "open":
        state = SlotState.CLOSED
    elif hold_until is not None and hold_until > now:
        state = SlotState.HELD
    else:
        state = SlotState.FREE
    publication = Publication(
        publication_state(
            origin=row["origin"],
            publish_at=row["publish_at"],
            activity_offered=offer.offers(
                activity_id=row["activity"], practitioner_id=row["practitioner"]
            ),
            now=now,
        )
    )
    active = appointment if appointment is not None and appointment.active else None
    return SlotCell(
        id=row["id"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        local_date=row["local_date"],
        start=row["starts_at"].astimezone(zone).time(),
        end=row["ends_at"].astimezone(zone).time(),
        practitioner_id=row["practitioner"],
        site_id=row["site"],
        activity_id=row["activity"],
        activity_name_fr=row["activity_name_fr"],
        activity_name_en=row["activity_name_en"],
        state=state,
        publication=publication,
        publish_at=row["publish_at"],
        held_until=hold_until if state is SlotState.HELD else None,
        telemedicine=active.telemedicine if active else bool(row["activity_telemedicine"]),
        appointment=appointment,
        from_recurrence=row["origin"] == "recurrence",
    )


async def _appointments(
    *, clinic_id: int, start: datetime, end: datetime, where
) -> dict[int, AppointmentCell]:
    """The appointment each slot shows, by slot id: its active one, else its last
    cancelled one (a slot freed by a cancellation still says so). The appointment copies
    its slot's times, so the agenda's (clinic, starts_at) index finds them."""
    kind = Appointment.appointment_type
    rows = await (
        Appointment.select(
            Appointment.id,
            Appointment.slot,
            Appointment.status,
            Appointment.source,
            Appointment.provisional,
            Appointment.patient,
            Appointment.patient.first_name.as_alias("first_name"),
            Appointment.patient.last_name.as_alias("last_name"),
            kind.name_fr.as_alias("type_name_fr"),
            kind.name_en.as_alias("type_name_en"),
            kind.telemedicine.as_alias("telemedicine"),
            Appointment.activity.appointment_type.name_fr.as_alias("activity_type_fr"),
            Appointment.activity.appointment_type.name_en.as_alias("activity_type_en"),
            Appointment.activity.appointment_type.telemedicine.as_alias("activity_telemedicine"),
        )
        .where(
            (Appointment.clinic == clinic_id)
            & where
            & (Appointment.starts_at >= start)
            & (Appointment.starts_at < end)
        )
        .order_by(Appointment.id)
    )
    chosen: dict[int, AppointmentCell] = {}
    for row in rows:
        cell = _appointment(row)
        current = chosen.get(row["slot"])
        if current is None or not current.active or cell.active:
            chosen[row["slot"]] = cell
    return chosen


def _appointment(row: dict) -> AppointmentCell:
    provisional = row["patient"] is None
    if provisional:
        typed = _typed(row["provisional"])
        name = " ".join(part for part in (typed.get("first_name"), typed.get("last_name")) if part)
    else:
        name = f"{row['first_name']} {row['last_name']}"
    has_type = row["type_name_fr"] is not None or row["type_name_en"] is not None
    return AppointmentCell(
        id=row["id"],
        status=AppointmentStatus(row["status"]),
        source=Source(row["source"]),
        patient_name=name,
        provisional=provisional,
        # An appointment without its own type has its activity's (SPEC §8).
        type_name_fr=(row["type_name_fr"] if has_type else row["activity_type_fr"]) or "",
        type_name_en=(row["type_name_en"] if has_type else row["activity_type_en"]) or "",
        telemedicine=bool(row["telemedicine"] if has_type else row["activity_telemedicine"]),
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
