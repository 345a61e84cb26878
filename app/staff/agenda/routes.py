"""The agenda's URLs. Each names its view so it can be bookmarked and refreshed:
/staff/agenda/practitioner/{id}/{day|week}/{YYYY-MM-DD} and /staff/agenda/site/{id}/…,
with …/print for the printable list. Navigation is plain links and GET forms (htmx swaps
#agenda-view in place and pushes the address). Everyone signed in may read every agenda;
who may change one is StaffUser.may_change_agenda_of (the toolbar's "Open a schedule")."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.response import Redirect

from app import clock
from app.staff.accounts import StaffUser
from app.staff.agenda import presentation
from app.staff.agenda.views import (
    Agenda,
    Period,
    ViewKind,
    directory,
    practitioner_agenda,
    site_agenda,
)
from app.staff.pages import staff_page
from app.staff.tables import StaffRole

# The days an agenda shows: far wider than any schedule, and far enough from date.min and
# date.max that a week's bounds and its neighbours' are still dates.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)
PAGE = "staff/agenda/page.html"
PRINT = "staff/agenda/print.html"
BLOCK = "agenda_view"  # what an htmx navigation swaps (#agenda-view)


def today(request: Request) -> date:
    zone = ZoneInfo(request.scope["state"]["clinic"].time_zone)
    return clock.now().astimezone(zone).date()


@get("/agenda", name="staff:agenda")
async def agenda_home(
    request: Request,
    staff: StaffUser,
    show: str | None = Parameter(query="show", default=None, required=False),
    view: str | None = Parameter(query="view", default=None, required=False),
    day: str | None = Parameter(query="day", default=None, required=False),
) -> Redirect:
    """The default view (a practitioner: their own week; the others: the first site's
    day), or where the picker asks to go (?show=practitioner-3&view=week&day=…)."""
    clinic = request.scope["state"]["clinic"]
    kind = ViewKind(view) if view in tuple(ViewKind) else None
    chosen = _date(day) or today(request)
    if show:
        what, _, ident = show.partition("-")
        if what in ("practitioner", "site") and ident.isdigit():
            route = f"staff:agenda_{what}"
            ident_name = f"{what}_id"
            return Redirect(
                request.app.route_reverse(
                    route,
                    **{ident_name: int(ident)},
                    view=(kind or ViewKind.DAY).value,
                    day=chosen,
                ),
                status_code=303,
            )
    if staff.role is StaffRole.PRACTITIONER and staff.practitioner_id is not None:
        return Redirect(
            request.app.route_reverse(
                "staff:agenda_practitioner",
                practitioner_id=staff.practitioner_id,
                view=(kind or ViewKind.WEEK).value,
                day=chosen,
            ),
            status_code=303,
        )
    sites = (await directory(clinic_id=clinic.id))[0].sites
    if not sites:
        raise NotFoundException("this clinic has no site")
    return Redirect(
        request.app.route_reverse(
            "staff:agenda_site",
            site_id=sites[0].id,
            view=(kind or ViewKind.DAY).value,
            day=chosen,
        ),
        status_code=303,
    )


def _date(value: str | None) -> date | None:
    try:
        found = date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None
    return found if found is not None and FIRST_DAY <= found <= LAST_DAY else None


def _period(view: str, day: date) -> Period:
    if view not in tuple(ViewKind) or not FIRST_DAY <= day <= LAST_DAY:
        raise NotFoundException("no such view")
    return Period(ViewKind(view), day)


async def _practitioner(request: Request, practitioner_id: int, period: Period) -> Agenda:
    clinic = request.scope["state"]["clinic"]
    found = await practitioner_agenda(
        clinic_id=clinic.id,
        time_zone=clinic.time_zone,
        practitioner_id=practitioner_id,
        period=period,
        now=clock.now(),
    )
    if found is None:
        raise NotFoundException("no such practitioner here")
    return found


async def _site(request: Request, site_id: int, period: Period) -> Agenda:
    clinic = request.scope["state"]["clinic"]
    found = await site_agenda(
        clinic_id=clinic.id,
        time_zone=clinic.time_zone,
        site_id=site_id,
        period=period,
        now=clock.now(),
    )
    if found is None:
        raise NotFoundException("no such site here")
    return found


def _show(request: Request, staff: StaffUser, agenda: Agenda, typed: str | None) -> Response:
    """The page, after the date field's answer: a valid date moves to its view, a bad one
    is said next to the field, what was typed kept, the current view unchanged."""
    if typed is not None:
        chosen = _date(typed)
        if chosen is not None:
            target = presentation.view_url(request, agenda, agenda.period.kind, chosen)
            return Redirect(target, status_code=303)
        context = presentation.context(request, staff, agenda, today(request), typed_date=typed)
        return staff_page(
            request, PAGE, context, section="staff:agenda", block=BLOCK, status_code=422
        )
    context = presentation.context(request, staff, agenda, today(request))
    return staff_page(request, PAGE, context, section="staff:agenda", block=BLOCK)


@get(
    "/agenda/practitioner/{practitioner_id:int}/{view:str}/{day:date}",
    name="staff:agenda_practitioner",
)
async def practitioner_view(
    request: Request,
    staff: StaffUser,
    practitioner_id: int,
    view: str,
    day: date,
    typed: str | None = Parameter(query="date", default=None, required=False),
) -> Response:
    agenda = await _practitioner(request, practitioner_id, _period(view, day))
    return _show(request, staff, agenda, typed)


@get("/agenda/site/{site_id:int}/{view:str}/{day:date}", name="staff:agenda_site")
async def site_view(
    request: Request,
    staff: StaffUser,
    site_id: int,
    view: str,
    day: date,
    typed: str | None = Parameter(query="date", default=None, required=False),
) -> Response:
    agenda = await _site(request, site_id, _period(view, day))
    return _show(request, staff, agenda, typed)


@get(
    "/agenda/practitioner/{practitioner_id:int}/{view:str}/{day:date}/print",
    name="staff:agenda_practitioner_print",
)
async def practitioner_print(
    request: Request, staff: StaffUser, practitioner_id: int, view: str, day: date
) -> Response:
    agenda = await _practitioner(request, practitioner_id, _period(view, day))
    return staff_page(request, PRINT, presentation.print_context(request, agenda))


@get("/agenda/site/{site_id:int}/{view:str}/{day:date}/print", name="staff:agenda_site_print")
async def site_print(
    request: Request, staff: StaffUser, site_id: int, view: str, day: date
) -> Response:
    agenda = await _site(request, site_id, _period(view, day))
    return staff_page(request, PRINT, presentation.print_context(request, agenda))


ROUTES = [agenda_home, practitioner_view, site_view, practitioner_print, site_print]
