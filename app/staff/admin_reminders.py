"""Two administration pages (administrators only) about reminders:

- the clinic's reminder schedule (app.reminders): rows of amount + unit + "asks to
  confirm"; saved with its audit row (SettingChanged "reminder_schedule"); appointments
  booked or moved from then on follow it, those already planned keep theirs;
- the month's no-show rate per activity and per reminder schedule, with a month picker."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_date
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from app import clock, i18n
from app.db import write_transaction
from app.events import EventBus
from app.form_fields import text_fields
from app.reminders import form, store
from app.reminders.no_shows import month_rates, read_month
from app.reminders.schedule import MAX_HOURS, UNITS
from app.staff.accounts import StaffUser
from app.staff.guards import administrators
from app.staff.pages import staff_page
from tenants.events import SettingChanged
from tenants.resolution import ClinicRef
from tenants.tables import Clinic

SETTING = "reminder_schedule"


async def _time_zone(clinic_id: int) -> str:
    row = await Clinic.select(Clinic.time_zone).where(Clinic.id == clinic_id).first()
    return row["time_zone"]


class RemindersAdministration(Controller):
    path = "/administration/reminders"
    guards = [administrators]

    @get("", name="staff:admin_reminders")
    async def page(self, request: Request, staff: StaffUser, clinic: ClinicRef) -> Response:
        schedule = await store.schedule_of(staff.clinic_id)
        return self._page(request, form.rows_of(schedule), {}, form.describe(schedule))

    @post("", name="staff:admin_reminders_save")
    async def save(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        read = form.read(await text_fields(request))
        if read.schedule is None:
            current = await store.schedule_of(staff.clinic_id)
            return self._page(
                request, read.typed, read.errors, form.describe(current), status_code=422
            )
        async with write_transaction():
            before = await store.schedule_of(staff.clinic_id)
            if before.text() != read.schedule.text():
                await store.save(staff.clinic_id, read.schedule)
                await bus.emit(
                    SettingChanged(
                        staff.clinic_id,
                        staff.actor(),
                        SETTING,
                        before.text(),
                        read.schedule.text(),
                    )
                )
        return Redirect(
            request.app.route_reverse("staff:admin_reminders") + "?saved=1", status_code=303
        )

    def _page(
        self,
        request: Request,
        rows: list[dict],
        errors: dict[str, str],
        current: list[str],
        *,
        status_code: int = 200,
    ) -> Response:
        return staff_page(
            request,
            "staff/admin/reminders.html",
            {
                "rows": rows,
                "problems": errors,
                "current": current,
                "units": UNITS,
                "max_days": MAX_HOURS // 24,
                "saved": request.query_params.get("saved") == "1" and not errors,
            },
            section="staff:administration",
            block="reminders",
            status_code=status_code,
        )


class NoShowsAdministration(Controller):
    path = "/administration/no-shows"
    guards = [administrators]

    @get("", name="staff:admin_no_shows")
    async def page(self, request: Request, staff: StaffUser, clinic: ClinicRef) -> Response:
        zone = await _time_zone(staff.clinic_id)
        today = clock.now().astimezone(ZoneInfo(zone)).date()
        typed = request.query_params.get("month", "")
        month = read_month(typed) if typed else today.replace(day=1)
        if month is None:
            return staff_page(
                request,
                "staff/admin/no_shows.html",
                {
                    "rates": None,
                    "typed": typed[:20],
                    "problems": {
                        "month": i18n.gettext(
                            "Choose a month, for example %(example)s.",
                            example=today.strftime("%Y-%m"),
                        )
                    },
                },
                section="staff:administration",
                block="no_shows",
                status_code=400,
            )
        rates = await month_rates(clinic_id=staff.clinic_id, month=month, time_zone=zone)
        return staff_page(
            request,
            "staff/admin/no_shows.html",
            {
                "rates": rates,
                "typed": month.strftime("%Y-%m"),
                "month_label": format_month(month),
                "problems": {},
                "label": form.label,
                "language": i18n.current(),
            },
            section="staff:administration",
            block="no_shows",
        )


def format_month(month: date) -> str:
    return format_date(month, "MMMM yyyy", locale=i18n.current())
