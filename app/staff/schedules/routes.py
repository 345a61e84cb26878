"""Opening schedules (manually, from a template, as a recurrence) and closing free slots
over a range (the templates are in template_routes.py). Thin: read the form, call the
engine, render.

Who may: administrators and secretaries for every practitioner; a practitioner for their
own agenda only (a forged practitioner id is the 403 page).
The engine's refusals are shown next to the field they are about, with what was typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import PermissionDeniedException

from app import clock, i18n
from app.events import EventBus
from app.form_fields import text_fields
from app.numbers import MAX_ID, whole_number
from app.scheduling.services import ScheduleError, ScheduleRefusal, SchedulingService
from app.scheduling.templates import TemplateService
from app.staff.accounts import StaffUser
from app.staff.pages import staff_page
from app.staff.schedules import links
from app.staff.schedules.booked import booked_appointments
from app.staff.schedules.choices import choices_for
from app.staff.schedules.forms import (
    Way,
    parse_closing,
    parse_opening,
)
from app.staff.schedules.openings import open_schedule
from tenants.resolution import ClinicRef

SECTION = "staff:agenda"  # the navigation entry these pages belong to

# Which field an engine refusal is shown next to, per form (else the first listed field).
REFUSAL_FIELDS: dict[Way | str, dict[ScheduleRefusal, str]] = {
    Way.MANUAL: {
        ScheduleRefusal.NO_ACTIVITY: "activity",
        ScheduleRefusal.NO_PRACTITIONER_OR_SITE: "practitioner",
        ScheduleRefusal.NOT_AT_SITE: "site",
        ScheduleRefusal.NO_SLOT: "end",
        ScheduleRefusal.OVERLAP: "start",
        ScheduleRefusal.OVERLAP_RACE: "start",
        ScheduleRefusal.OVERLAP_CLOSED: "start",
        ScheduleRefusal.LAST_BEFORE_FIRST: "day",
        ScheduleRefusal.RANGE_TOO_LONG: "day",
    },
    Way.TEMPLATE: {
        ScheduleRefusal.NO_TEMPLATE: "template",
        ScheduleRefusal.NO_PRACTITIONER_OR_SITE: "practitioner",
        ScheduleRefusal.NOT_AT_SITE: "site",
        ScheduleRefusal.NO_SLOT: "first_day",
        ScheduleRefusal.OVERLAP: "first_day",
        ScheduleRefusal.OVERLAP_RACE: "first_day",
        ScheduleRefusal.OVERLAP_CLOSED: "first_day",
        ScheduleRefusal.LAST_BEFORE_FIRST: "last_day",
        ScheduleRefusal.RANGE_TOO_LONG: "last_day",
    },
    Way.RECURRENCE: {
        ScheduleRefusal.NO_ACTIVITY: "activity",
        ScheduleRefusal.BAD_RULE: "weekdays",
        ScheduleRefusal.NO_PRACTITIONER_OR_SITE: "practitioner",
        ScheduleRefusal.NOT_AT_SITE: "site",
        ScheduleRefusal.NO_SLOT: "weekdays",
        ScheduleRefusal.OVERLAP: "start",
        ScheduleRefusal.OVERLAP_RACE: "start",
        ScheduleRefusal.OVERLAP_CLOSED: "start",
        ScheduleRefusal.LAST_BEFORE_FIRST: "until",
        ScheduleRefusal.RANGE_TOO_LONG: "until",
    },
    "close": {
        ScheduleRefusal.NO_PRACTITIONER_OR_SITE: "practitioner",
        ScheduleRefusal.LAST_BEFORE_FIRST: "last_day",
        ScheduleRefusal.RANGE_TOO_LONG: "last_day",
        ScheduleRefusal.END_BEFORE_START: "end",
    },
}


def refusal_errors(way: Way | str, error: ScheduleError) -> dict[str, str]:
    field = REFUSAL_FIELDS[way].get(error.code, "practitioner")
    return {f"{way}-{field}" if way != "close" else field: error.text()}


class NotYourAgenda(PermissionDeniedException):
    """A practitioner posted another practitioner's id: the 403 page."""


def refuse_others_agenda(staff: StaffUser, data: dict[str, str], field: str) -> None:
    value = whole_number(data.get(field, "").strip(), maximum=MAX_ID)
    if value is not None and not staff.may_change_agenda_of(value):
        raise NotYourAgenda("a practitioner may change only their own agenda")


@dataclass(frozen=True)
class Opened:
    slot_count: int
    agenda_url: str


def weekday_names() -> list[tuple[int, str]]:
    names = get_day_names("wide", locale=i18n.current())
    return [(day, names[day].capitalize()) for day in range(7)]


def _today(clinic: ClinicRef) -> date:
    return clock.now().astimezone(ZoneInfo(clinic.time_zone)).date()


class OpenSchedules(Controller):
    path = "/schedules/open"

    @staticmethod
    def prefilled(request: Request, staff: StaffUser, clinic: ClinicRef) -> dict[Way, dict]:
        """The agenda links here with ?practitioner=&site=&day=; every form starts from them."""
        query = request.query_params
        practitioner = query.get("practitioner", "") or str(staff.practitioner_id or "")
        site = query.get("site", "")
        day = query.get("day", "") or _today(clinic).isoformat()
        return {
            Way.MANUAL: {
                "manual-practitioner": practitioner,
                "manual-site": site,
                "manual-day": day,
            },
            Way.TEMPLATE: {
                "template-practitioner": practitioner,
                "template-site": site,
                "template-first_day": day,
                "template-last_day": _plus(day, 6),
            },
            Way.RECURRENCE: {
                "recurrence-practitioner": practitioner,
                "recurrence-site": site,
                "recurrence-first_day": day,
                "recurrence-until": _plus(day, 27),
            },
        }

    async def render(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        *,
        way: Way | None = None,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        opened: Opened | None = None,
    ) -> Response:
        forms: dict[Way, dict[str, Any]] = {
            w: {"values": v, "errors": {}, "opened": None}
            for w, v in self.prefilled(request, staff, clinic).items()
        }
        if way is not None:
            forms[way] = {"values": values or {}, "errors": errors or {}, "opened": opened}
        context = {
            "choices": await choices_for(staff, TemplateService(clinic_id=clinic.id, bus=bus)),
            "forms": forms,
            "weekdays": weekday_names(),
        }
        return staff_page(
            request,
            "staff/schedules/open.html",
            context,
            section=SECTION,
            block=f"{way}_form" if way else None,
            status_code=422 if errors else 200,
        )

    @get("/", name="staff:schedules_open")
    async def page(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        return await self.render(request, staff, clinic, bus)

    async def submit(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus, way: Way
    ) -> Response:
        data = await text_fields(request)
        refuse_others_agenda(staff, data, f"{way}-practitioner")
        choices = await choices_for(staff, TemplateService(clinic_id=clinic.id, bus=bus))
        service = SchedulingService(clinic_id=clinic.id, bus=bus)
        values = {k: v for k, v in data.items() if k.startswith(f"{way}-")}
        form, errors = parse_opening(way, data, choices, clinic.time_zone)
        if form is not None:
            try:
                count = await open_schedule(service, form, staff.actor())
            except ScheduleError as error:
                form, errors = None, refusal_errors(way, error)
        if form is None:
            return await self.render(
                request, staff, clinic, bus, way=way, values=values, errors=errors
            )
        opened = Opened(count, links.agenda_week(request, form.practitioner_id, form.first_day))
        return await self.render(request, staff, clinic, bus, way=way, values=values, opened=opened)

    @post("/manual", name="staff:schedules_open_manual")
    async def manual(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        return await self.submit(request, staff, clinic, bus, Way.MANUAL)

    @post("/template", name="staff:schedules_open_template")
    async def from_template(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        return await self.submit(request, staff, clinic, bus, Way.TEMPLATE)

    @post("/recurrence", name="staff:schedules_open_recurrence")
    async def recurrence(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        return await self.submit(request, staff, clinic, bus, Way.RECURRENCE)


class CloseSchedules(Controller):
    """Closing a practitioner's free slots over a range: they are away."""

    path = "/schedules/close"

    async def render(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        values: dict[str, str],
        errors: dict[str, str] | None = None,
        closed: Any = None,
        booked: list | None = None,
    ) -> Response:
        context = {
            "choices": await choices_for(staff, TemplateService(clinic_id=clinic.id, bus=bus)),
            "values": values,
            "errors": errors or {},
            "closed": closed,
            "booked": booked or [],
        }
        return staff_page(
            request,
            "staff/schedules/close.html",
            context,
            section=SECTION,
            block="close_form",
            status_code=422 if errors else 200,
        )

    @get("/", name="staff:schedules_close")
    async def page(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        query = request.query_params
        values = {
            "practitioner": query.get("practitioner", "") or str(staff.practitioner_id or ""),
            "first_day": query.get("day", "") or _today(clinic).isoformat(),
            "last_day": query.get("day", "") or _today(clinic).isoformat(),
        }
        return await self.render(request, staff, clinic, bus, values)

    @post("/", name="staff:schedules_close_submit")
    async def submit(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        data = await text_fields(request)
        refuse_others_agenda(staff, data, "practitioner")
        choices = await choices_for(staff, TemplateService(clinic_id=clinic.id, bus=bus))
        form, errors = parse_closing(data, choices)
        if form is None:
            return await self.render(request, staff, clinic, bus, data, errors)
        try:
            closed = await SchedulingService(clinic_id=clinic.id, bus=bus).close_free_slots(
                practitioner_id=form.practitioner_id,
                first_day=form.first_day,
                last_day=form.last_day,
                start=form.start,
                end=form.end,
                actor=staff.actor(),
            )
        except ScheduleError as error:
            return await self.render(
                request, staff, clinic, bus, data, refusal_errors("close", error)
            )
        booked = await booked_appointments(request, clinic, closed.booked)
        return await self.render(request, staff, clinic, bus, data, closed=closed, booked=booked)


def _plus(day: str, days: int) -> str:
    """A prefilled day further on, or nothing when the query's day is not a date."""
    try:
        return (date.fromisoformat(day) + timedelta(days=days)).isoformat()
    except ValueError:
        return ""
