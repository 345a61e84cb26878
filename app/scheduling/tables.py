"""Practitioners, activities, schedule templates and openings, and the slots they open."""

from enum import StrEnum

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    SmallInt,
    Text,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from app.scheduling.expansion import DayPart
from tenants.tables import Clinic, WorkSite

PRACTITIONER_KINDS = ("gp", "specialist", "nurse_practitioner", "nurse", "resident", "extern")
ORIGINS = ("manual", "template", "recurrence")
ONLINE_ORIGINS = ("manual", "template")  # recurrence slots are never offered online
DAY_PARTS = tuple(DayPart)


class SlotState(StrEnum):
    OPEN = "open"  # free (a patient may hold it for a few minutes)
    BOOKED = "booked"  # carries an active appointment
    # Closed over a range (a practitioner is away): never offered, never booked. It still
    # occupies its time, so opening those hours again is refused as an overlap.
    CLOSED = "closed"


class Practitioner(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    name = Varchar(length=200)
    kind = Varchar(length=32, default="gp")
    is_family_doctor = Boolean(default=False)  # takes patients as their family doctor
    active = Boolean(default=True)


class PractitionerSite(Table):
    """Where a practitioner works (a GP may work at several sites)."""

    clinic = ForeignKey(references=Clinic, null=False)
    practitioner = ForeignKey(references=Practitioner, null=False)
    site = ForeignKey(references=WorkSite, null=False)


class VideoPlatform(StrEnum):
    NONE = "none"
    BUILTIN = "builtin"  # our own video room (app.video)
    EXTERNAL = "external"  # an integrated platform, Reacts-style
    LINK = "link"  # another platform, its link typed on the appointment


class AppointmentType(Table):
    """Carries the statuses of SPEC §8 that drive communications."""

    clinic = ForeignKey(references=Clinic, null=False)
    name_fr = Varchar(length=200)
    name_en = Varchar(length=200)
    on_site = Boolean(default=True)
    telemedicine = Boolean(default=False)
    telephone = Boolean(default=False)
    no_automated_communication = Boolean(default=False)
    no_communication = Boolean(default=False)  # no automated or manual communication
    hidden_from_portal = Boolean(default=False)  # and no communication
    active = Boolean(default=True)
    # A teleconsultation's platform (SPEC §9): VideoPlatform.
    video_platform = Varchar(length=16, default="none")


class Activity(Table):
    """What a block of availability is for; its duration is the slot length."""

    clinic = ForeignKey(references=Clinic, null=False)
    name_fr = Varchar(length=200)
    name_en = Varchar(length=200)
    duration_minutes = SmallInt(default=15)
    appointment_type = ForeignKey(references=AppointmentType, null=True, default=None)
    active = Boolean(default=True)


class ScheduleTemplate(Table):
    """A weekly pattern of blocks, applied to a practitioner, a site and a date range."""

    clinic = ForeignKey(references=Clinic, null=False)
    name = Varchar(length=200)


class ScheduleTemplateBlock(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    template = ForeignKey(references=ScheduleTemplate, null=False)
    weekday = SmallInt()  # 0 = Monday … 6 = Sunday
    start_time = Time()  # clinic local time
    end_time = Time()
    activity = ForeignKey(references=Activity, null=False)


class ScheduleOpening(Table):
    """One act of opening availability; every slot remembers the opening it came from."""

    clinic = ForeignKey(references=Clinic, null=False)
    practitioner = ForeignKey(references=Practitioner, null=False)
    site = ForeignKey(references=WorkSite, null=False)
    origin = Varchar(length=16)  # manual | template | recurrence
    template = ForeignKey(references=ScheduleTemplate, null=True, default=None)
    rrule = Text(null=True, default=None)  # RFC 5545, for origin recurrence
    first_day = Date()
    last_day = Date()
    publish_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    created_by = Varchar(length=100, default="")


class Slot(Table):
    """One bookable time. Taken by an atomic conditional update (see booking.services)."""

    clinic = ForeignKey(references=Clinic, null=False)
    site = ForeignKey(references=WorkSite, null=False)
    practitioner = ForeignKey(references=Practitioner, null=False)
    activity = ForeignKey(references=Activity, null=False)
    opening = ForeignKey(references=ScheduleOpening, null=True, default=None)
    origin = Varchar(length=16)
    starts_at = Timestamptz()  # UTC
    ends_at = Timestamptz()
    # Local date and part of day, fixed when the slot is opened, so the
    # time-of-day filter is an indexed equality instead of time-zone arithmetic.
    local_date = Date()
    day_part = Varchar(length=16)
    publish_at = Timestamptz(null=True, default=None)
    state = Varchar(length=16, default="open")  # SlotState
    hold_token = Varchar(length=64, null=True, default=None)
    hold_until = Timestamptz(null=True, default=None)
    # Booked when its range was closed (the practitioner is away): once the appointment
    # is cancelled or moved, the slot closes instead of going back online.
    closes_when_freed = Boolean(default=False)
