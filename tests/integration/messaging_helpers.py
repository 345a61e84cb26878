"""The world of the messaging tests: the seeded demo clinics, an SMTP server and an
SMS provider, staff bookings made with the real services, and a dispatcher wired to
those servers exactly as settings would wire it.

The clock is frozen on tests.moments.NOW (Monday 23 November 2026, 07:00 in Montreal);
tests move it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from app import clock
from app.booking.services import BookingDetails, BookingService
from app.listeners import make_bus
from app.messaging.dispatch import Dispatcher
from app.messaging.tables import Message
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Activity, AppointmentType, Slot
from app.settings import Settings, SmsSettings, load
from app.templating import make_environment
from tenants.tables import Clinic, WorkSite
from tests.integration.demo_lookup import clinic_id, patient_id, practitioner_id, site_id
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.messaging_fakes import SmsProvider, SmtpSink
from tests.moments import freeze

MONTREAL = ZoneInfo("America/Montreal")
MARIE_EMAIL, MARIE_CELL = "marie.tremblay@example.org", "+15145550101"
JEAN_EMAIL = "jean.cote@example.org"
# What patients tell the clinic and that must never travel by email or SMS.
REASON, DETAILS = "Douleur thoracique depuis hier", "Antécédents d'infarctus"


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=MONTREAL)


@dataclass
class Comms:
    clinic: int
    smtp: SmtpSink
    sms: SmsProvider
    settings: Settings
    sites: dict[str, int] = field(default_factory=dict)
    patients: dict[str, int] = field(default_factory=dict)
    practitioner: int = 0  # who the slots are with
    usual: tuple[str, str] = ("Suivi", "Sur place")  # the usual activity and its type
    dispatcher: Dispatcher | None = None

    @property
    def booking(self) -> BookingService:
        return BookingService(clinic_id=self.clinic, bus=make_bus())

    async def activity(self, name_fr: str, *, type_fr: str = "Sur place", **type_statuses) -> int:
        """An activity of the appointment type named `type_fr`; with statuses, a new type
        of that name carrying them."""
        if type_statuses:
            created = AppointmentType(
                clinic=self.clinic, name_fr=type_fr, name_en=type_fr, **type_statuses
            )
            await created.save()
            type_id = created.id
        else:
            kind = (
                await AppointmentType.select(AppointmentType.id)
                .where(
                    (AppointmentType.clinic == self.clinic) & (AppointmentType.name_fr == type_fr)
                )
                .first()
            )
            type_id = kind["id"]
        existing = (
            await Activity.select(Activity.id)
            .where((Activity.clinic == self.clinic) & (Activity.name_fr == name_fr))
            .first()
        )
        if existing:
            await Activity.update({Activity.appointment_type: type_id}).where(
                Activity.id == existing["id"]
            )
            return existing["id"]
        activity = Activity(
            clinic=self.clinic,
            name_fr=name_fr,
            name_en=name_fr,
            duration_minutes=30,
            appointment_type=type_id,
        )
        await activity.save()
        return activity.id

    async def slot(
        self, starts: datetime, *, activity: int | None = None, site: str | None = None
    ) -> int:
        """The practitioner's slot starting at `starts`: the one already open there, or a new
        one."""
        activity = activity or await self.activity(self.usual[0], type_fr=self.usual[1])
        existing = (
            await Slot.select(Slot.id)
            .where(
                (Slot.practitioner == self.practitioner)
                & (Slot.starts_at == starts)
                & (Slot.state == "open")
            )
            .first()
        )
        if existing:
            return existing["id"]
        zone = ZoneInfo(
            (await Clinic.select(Clinic.time_zone).where(Clinic.id == self.clinic).first())[
                "time_zone"
            ]
        )
        wall = starts.astimezone(zone)
        minutes = (
            await Activity.select(Activity.duration_minutes).where(Activity.id == activity).first()
        )["duration_minutes"]
        end = (datetime.combine(wall.date(), wall.time()) + timedelta(minutes=minutes)).time()
        opened = await SchedulingService(clinic_id=self.clinic, bus=make_bus()).open_manual(
            actor=RECEPTION,
            practitioner_id=self.practitioner,
            site_id=self.sites[site] if site else next(iter(self.sites.values())),
            activity_id=activity,
            day=wall.date(),
            start=wall.time(),
            end=end,
        )
        row = await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).first()
        return row["id"]

    async def staff_book(
        self,
        starts: datetime,
        *,
        patient: str | None = "marie",
        language: str = "fr",
        activity: int | None = None,
        site: str | None = None,
        **contacts,
    ) -> int:
        """Reception books a slot for a patient's file (no contacts typed, unless given)."""
        slot_id = await self.slot(starts, activity=activity, site=site)
        outcome = await self.booking.staff_book(
            actor=RECEPTION,
            slot_id=slot_id,
            details=BookingDetails(
                source="staff",
                patient_id=self.patients[patient] if patient else None,
                language=language,
                reason=REASON,
                details=DETAILS,
                **contacts,
            ),
        )
        assert outcome.code == "booked", outcome
        return outcome.appointment_id

    async def move(self, appointment_id: int, starts: datetime) -> None:
        outcome = await self.booking.move(
            actor=RECEPTION, appointment_id=appointment_id, new_slot_id=await self.slot(starts)
        )
        assert outcome.code == "moved", outcome

    async def cancel(self, appointment_id: int) -> None:
        assert (
            await self.booking.cancel(actor=RECEPTION, appointment_id=appointment_id)
        ).code == "cancelled"

    async def deliver(self) -> int:
        """What a worker does each second: deliver everything due now."""
        return await self.dispatcher.run_until_idle()

    async def at(self, moment: datetime) -> int:
        """The clock reaches `moment` and a worker runs."""
        clock.freeze(moment)
        return await self.deliver()

    def emails(self, address: str = MARIE_EMAIL) -> list[EmailMessage]:
        return self.smtp.to(address)

    def subjects(self, address: str = MARIE_EMAIL) -> list[str]:
        return [m["Subject"] for m in self.smtp.to(address)]

    def texts(self, number: str = MARIE_CELL) -> list[str]:
        return [m.body for m in self.sms.to(number)]


def settings_for(smtp: SmtpSink, sms: SmsProvider) -> Settings:
    return replace(
        load(),
        smtp_url=smtp.url,
        sms=SmsSettings(
            sms.url, SmsProvider.account_sid, SmsProvider.auth_token, SmsProvider.sender
        ),
    )


def new_dispatcher(settings: Settings) -> Dispatcher:
    return Dispatcher(settings, make_environment())


async def outbox(appointment_id: int | None = None, **where) -> list[dict]:
    """The outbox rows, oldest first, optionally of one appointment and matching `where`."""
    condition = Message.id > 0
    if appointment_id is not None:
        condition &= Message.appointment == appointment_id
    for column, value in where.items():
        condition &= getattr(Message, column) == value
    return await Message.select().where(condition).order_by(Message.id)


def body(message: EmailMessage, subtype: str = "plain") -> str:
    """One part of an email as the patient reads it (SMTP's CRLF line ends as plain ones)."""
    return message.get_body(preferencelist=(subtype,)).get_content().replace("\r\n", "\n")


@pytest.fixture
async def servers():
    smtp, sms = SmtpSink(), SmsProvider()
    await smtp.start()
    sms.start()
    yield smtp, sms
    await smtp.stop()
    sms.stop()


async def autre_world(demo: Comms) -> Comms:
    """The other clinic (Paris), on the same servers and workers as `demo`."""
    autre = await clinic_id("autre")
    return Comms(
        clinic=autre,
        smtp=demo.smtp,
        sms=demo.sms,
        settings=demo.settings,
        dispatcher=demo.dispatcher,
        sites={"principal": await site_id(autre, "principal")},
        patients={"camille": await patient_id(autre, "Dubois")},
        practitioner=await practitioner_id(autre, "Dr Claire Martin"),
        usual=("Consultation", "Au cabinet"),
    )


@pytest.fixture
async def comms(demo_data, servers):
    """Clinique Démo (Montreal): Dre Julie Roy's patients Marie (cell phone, then email)
    and Jean (email only)."""
    smtp, sms = servers
    freeze()
    demo = await clinic_id("demo")
    settings = settings_for(smtp, sms)
    return Comms(
        clinic=demo,
        smtp=smtp,
        sms=sms,
        settings=settings,
        dispatcher=new_dispatcher(settings),
        sites={slug: await site_id(demo, slug) for slug in ("centre-ville", "laval")},
        patients={
            "marie": await patient_id(demo, "Tremblay"),
            "jean": await patient_id(demo, "Côté"),
        },
        practitioner=await practitioner_id(demo, "Dre Julie Roy"),
    )


async def set_clinic(clinic: int, **values) -> None:
    await Clinic.update({getattr(Clinic, k): v for k, v in values.items()}).where(
        Clinic.id == clinic
    )


async def set_site(site: int, **values) -> None:
    await WorkSite.update({getattr(WorkSite, k): v for k, v in values.items()}).where(
        WorkSite.id == site
    )
