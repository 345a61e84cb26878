"""Who reacts to which event: the one list, for the web app and the worker alike."""

from __future__ import annotations

from app.audit.listeners import LISTENERS as AUDIT_LISTENERS
from app.booking.events import AppointmentChanged
from app.events import EventBus
from app.messaging import planner


def make_bus() -> EventBus:
    bus = EventBus()
    bus.on(AppointmentChanged, planner.on_appointment_changed)  # messages commit with the change
    for event_type, listener in AUDIT_LISTENERS:  # the audit row commits with the change
        bus.on(event_type, listener)
    return bus
