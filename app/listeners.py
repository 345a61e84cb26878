"""Who reacts to which event: the one list, for the web app and the worker alike."""

from __future__ import annotations

from app.audit.listeners import LISTENERS as AUDIT_LISTENERS
from app.booking.events import AppointmentChanged
from app.events import EventBus
from app.live.notifier import AgendaNotifier
from app.messaging import consultation_end, planner
from app.platforms import sessions as platform_sessions
from app.scheduling.events import ScheduleChanged
from app.video.events import CallChange, CallChanged
from app.waitlist import listeners as waitlist
from tenants.events import SettingChanged


async def on_call_changed(event: CallChanged) -> None:
    """A call in our video room ended: the end-of-consultation message commits with it."""
    if event.kind is CallChange.ENDED:
        await consultation_end.plan(clinic_id=event.clinic_id, appointment_id=event.appointment_id)


def make_bus(live: AgendaNotifier | None = None, tenancy=None) -> EventBus:
    """`live`: the web app's channels, to tell open agendas once a change has committed
    (the worker and the tests' engine have none); `tenancy`: the web app's TenancySync,
    to put a committed setting change in force on every instance."""
    bus = EventBus()
    bus.on(AppointmentChanged, planner.on_appointment_changed)  # messages commit with the change
    bus.on(AppointmentChanged, platform_sessions.on_appointment_changed)  # its platform session
    bus.on(AppointmentChanged, waitlist.on_appointment_changed)  # offers close with the booking
    bus.on(AppointmentChanged, waitlist.on_slot_freed, after_commit=True)  # a slot to offer
    bus.on(ScheduleChanged, waitlist.on_schedule_changed, after_commit=True)  # new slots
    bus.on(CallChanged, on_call_changed)
    for event_type, listener in AUDIT_LISTENERS:  # the audit row commits with the change
        bus.on(event_type, listener)
    if live is not None:
        bus.on(AppointmentChanged, live.on_change, after_commit=True)
        bus.on(ScheduleChanged, live.on_change, after_commit=True)
    if tenancy is not None:
        bus.on(SettingChanged, tenancy.on_setting_changed, after_commit=True)
    return bus
