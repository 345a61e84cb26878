"""A parsed opening form, handed to the engine's matching way of opening."""

from __future__ import annotations

from app.events import Actor
from app.scheduling.services import SchedulingService
from app.staff.schedules.forms import ManualOpening, RecurrenceOpening, TemplateOpening


async def open_schedule(
    service: SchedulingService,
    form: ManualOpening | TemplateOpening | RecurrenceOpening,
    actor: Actor,
) -> int:
    """How many slots were opened; a refusal is the engine's ScheduleError."""
    if isinstance(form, ManualOpening):
        opened = await service.open_manual(
            practitioner_id=form.practitioner_id,
            site_id=form.site_id,
            activity_id=form.activity_id,
            day=form.day,
            start=form.start,
            end=form.end,
            publish_at=form.publish_at,
            actor=actor,
        )
    elif isinstance(form, TemplateOpening):
        opened = await service.apply_template(
            template_id=form.template_id,
            practitioner_id=form.practitioner_id,
            site_id=form.site_id,
            first_day=form.first_day,
            last_day=form.last_day,
            publish_at=form.publish_at,
            actor=actor,
        )
    else:
        opened = await service.open_recurrence(
            practitioner_id=form.practitioner_id,
            site_id=form.site_id,
            activity_id=form.activity_id,
            rule=form.rule,
            first_day=form.first_day,
            last_day=form.until,
            start=form.start,
            end=form.end,
            actor=actor,
        )
    return opened.slot_count
