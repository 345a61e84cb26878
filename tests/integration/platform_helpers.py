"""The external video platform in tests: the Reacts-style simulator on a free port (a real
HTTP server speaking its API and signing its webhooks), settings pointing at it, and a
Reacts teleconsultation of Marie Tremblay with Dre Julie Roy booked through the engine."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.booking.services import BookingDetails, BookingService, Outcome
from app.listeners import make_bus
from app.platforms import sessions
from app.platforms.simulator import Simulator
from app.platforms.tables import ExternalSession
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Slot
from app.settings import PlatformSettings, Settings, load
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION

MONTREAL = ZoneInfo("America/Montreal")
REACTS = "Téléconsultation Reacts"  # the demo seed's activity and type


def settings_with(simulator: Simulator, redis_url: str | None) -> Settings:
    """The web process of a deployment with a worker (REDIS_URL: nothing runs in the
    background), so each call to the platform is the test's own (`run_jobs`)."""
    return replace(
        load(),
        redis_url=redis_url,
        video_platform=PlatformSettings(simulator.url, simulator.api_key, simulator.webhook_secret),
    )


async def run_jobs(settings: Settings) -> int:
    """What the worker's cron does: one pass over the due sessions."""
    return await sessions.run_due(sessions.platform_from(settings), settings)


@dataclass(frozen=True)
class Demo:
    clinic: int
    practitioner: int
    site: int
    activity: int
    marie: int

    @property
    def booking(self) -> BookingService:
        return BookingService(clinic_id=self.clinic, bus=make_bus())

    async def slot(self, starts_at: datetime, *, activity: int | None = None) -> int:
        local = starts_at.astimezone(MONTREAL)
        end = (datetime.combine(local.date(), local.time()) + timedelta(minutes=20)).time()
        opened = await SchedulingService(clinic_id=self.clinic, bus=make_bus()).open_manual(
            actor=RECEPTION,
            practitioner_id=self.practitioner,
            site_id=self.site,
            activity_id=activity or self.activity,
            day=local.date(),
            start=time(local.hour, local.minute),
            end=end,
        )
        row = await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).first()
        return row["id"]

    async def book(self, starts_at: datetime, **details) -> Outcome:
        return await self.booking.staff_book(
            slot_id=await self.slot(starts_at),
            details=BookingDetails(source="staff", patient_id=self.marie, **details),
            actor=RECEPTION,
        )


async def demo_world() -> Demo:
    clinic = await demo_lookup.clinic_id("demo")
    return Demo(
        clinic=clinic,
        practitioner=await demo_lookup.practitioner_id(clinic, "Dre Julie Roy"),
        site=await demo_lookup.site_id(clinic, "centre-ville"),
        activity=await demo_lookup.activity_id(clinic, REACTS),
        marie=await demo_lookup.patient_id(clinic, "Tremblay"),
    )


async def session_row(appointment_id: int) -> dict | None:
    return (
        await ExternalSession.select().where(ExternalSession.appointment == appointment_id).first()
    )


def local(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """A Montreal wall time, `day_offset` days after tests.moments.NOW's day."""
    from tests.moments import NOW

    day = NOW.astimezone(MONTREAL).date() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour, minute), tzinfo=MONTREAL)


async def platform_values() -> dict[str, str]:
    """For the isolation walk and the fuzzers: the demo clinic's Reacts teleconsultation
    of tomorrow, its session made on the platform (as the job would record it)."""
    from app import clock
    from app.platforms.tables import SessionState

    world = await demo_world()
    outcome = await world.book(local(1, 16, 40))
    assert outcome.ok, outcome
    await ExternalSession.update(
        {
            ExternalSession.state: SessionState.CREATED.value,
            ExternalSession.external_id: "ses_isolation",
            ExternalSession.staff_url: "http://127.0.0.1:9/join/ses_isolation/staff",
            ExternalSession.patient_url: "http://127.0.0.1:9/join/ses_isolation/patient",
            ExternalSession.next_attempt_at: None,
            ExternalSession.updated_at: clock.now(),
        }
    ).where(ExternalSession.appointment == outcome.appointment_id)
    return {"platform_appointment_id": str(outcome.appointment_id)}
