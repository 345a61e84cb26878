"""What every route may take by injection, built once per app by create_app: the settings,
the event bus, the clinic (tenants), and the booking engine bound to that clinic."""

from __future__ import annotations

from litestar.di import Provide

from app.booking.services import BookingService
from app.events import EventBus
from app.settings import Settings
from tenants.dependencies import provide_clinic
from tenants.resolution import ClinicRef


def provide_booking(clinic: ClinicRef, settings: Settings, bus: EventBus) -> BookingService:
    return BookingService(clinic_id=clinic.id, bus=bus, hold_for=settings.hold_duration)


def dependencies(settings: Settings, bus: EventBus) -> dict[str, Provide]:
    return {
        "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
        "bus": Provide(lambda: bus, use_cache=True, sync_to_thread=False),
        "clinic": Provide(provide_clinic, sync_to_thread=False),
        "booking": Provide(provide_booking, sync_to_thread=False),
    }
