"""What the agenda's templates need beside the read model: the navigation's addresses,
the grids, and formatters of times and days in the staff's language. Formatting goes
through small caches: a week has hundreds of slots but few distinct times, and Babel's
formatting costs tens of microseconds a call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from litestar import Request
from litestar.exceptions import NoRouteMatchFoundException

from app import i18n
from app.staff.accounts import StaffUser
from app.staff.agenda import grid
from app.staff.agenda.render import SlotLinks, icon, sprite
from app.staff.agenda.views import (
    ICON_LABELS,
    STATE_LABELS,
    STATUS_LABELS,
    Agenda,
    Icon,
    SlotCell,
    SlotState,
    ViewKind,
)
from app.staff.tables import StaffRole

# Other parts' addresses, by the shared contract (used as written when the route is absent).
SCHEDULES_OPEN = ("staff:schedules_open", "/staff/schedules/open")
LEGEND_STATES = (SlotState.FREE, SlotState.HELD, SlotState.BOOKED, SlotState.CLOSED)


@lru_cache(maxsize=4096)
def _time(moment: time, locale: str) -> str:
    return format_time(moment, format="short", locale=locale)


@lru_cache(maxsize=1024)
def _day(day: date, pattern: str, locale: str) -> str:
    return format_date(day, format=pattern, locale=locale)


class Formats:
    """Bound to the request's language and the clinic's zone, for the templates."""

    def __init__(self, time_zone: str) -> None:
        self.locale = i18n.current()
        self.zone = ZoneInfo(time_zone)

    def time(self, moment: time | datetime) -> str:
        if isinstance(moment, datetime):
            moment = moment.astimezone(self.zone).time()
        return _time(moment.replace(second=0, microsecond=0), self.locale)

    def day(self, day: date | datetime, pattern: str = "full") -> str:
        if isinstance(day, datetime):
            day = day.astimezone(self.zone).date()
        return _day(day, pattern, self.locale)

    def short_day(self, day: date) -> str:
        """ "lun. 7 déc." / "Mon, Dec 7": a week's column heading."""
        return _day(day, "EEE d MMM" if self.locale == "fr" else "EEE, MMM d", self.locale)

    def moment(self, moment: datetime) -> str:
        """A day and a time, as in a tooltip: "lundi 7 décembre 2026, 08:00"."""
        return f"{self.day(moment, 'long')}, {self.time(moment)}"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    selected: bool


def route_or(request: Request, route: tuple[str, str], **params: Any) -> str:
    try:
        return request.app.route_reverse(route[0], **params)
    except NoRouteMatchFoundException:
        return route[1]


def view_url(request: Request, agenda: Agenda, kind: ViewKind, day: date, *, print_=False) -> str:
    suffix = "_print" if print_ else ""
    if agenda.practitioner is not None:
        return request.app.route_reverse(
            f"staff:agenda_practitioner{suffix}",
            practitioner_id=agenda.practitioner.id,
            view=kind.value,
            day=day,
        )
    return request.app.route_reverse(
        f"staff:agenda_site{suffix}", site_id=agenda.site.id, view=kind.value, day=day
    )


def may_change(staff: StaffUser, agenda: Agenda) -> bool:
    """Whether "Open a schedule" is offered: the practitioner's agenda if the role may
    change it; a site's if the role runs every agenda, or it is the practitioner's site."""
    if agenda.practitioner is not None:
        return staff.may_change_agenda_of(agenda.practitioner.id)
    if staff.role is not StaffRole.PRACTITIONER:
        return True
    return staff.practitioner_id in {p.id for p in agenda.columns}


def open_schedule_url(request: Request, staff: StaffUser, agenda: Agenda) -> str:
    practitioner = agenda.practitioner.id if agenda.practitioner else None
    if practitioner is None and staff.role is StaffRole.PRACTITIONER:
        practitioner = staff.practitioner_id
    site = agenda.site.id if agenda.site else None
    if site is None:  # the practitioner's site when they work at one only
        sites = {s for (p, s) in agenda.directory.works_at if p == practitioner}
        site = next(iter(sites)) if len(sites) == 1 else None
    params = {"practitioner": practitioner, "site": site, "day": agenda.period.day.isoformat()}
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{route_or(request, SCHEDULES_OPEN)}?{query}"


def choices(agenda: Agenda, locale: str) -> tuple[tuple[str, tuple[Choice, ...]], ...]:
    """The picker: sites, then practitioners (optgroups)."""
    sites = tuple(
        Choice(
            f"site-{s.id}",
            i18n.localized(s, "name", locale),
            agenda.site is not None and agenda.site.id == s.id,
        )
        for s in agenda.directory.sites
    )
    people = tuple(
        Choice(
            f"practitioner-{p.id}",
            p.name,
            agenda.practitioner is not None and agenda.practitioner.id == p.id,
        )
        for p in agenda.directory.practitioners
    )
    return ((i18n.gettext("Sites"), sites), (i18n.gettext("Practitioners"), people))


@dataclass(frozen=True)
class Run:
    """Consecutive slots of one activity (a site's week names the activity once a run)."""

    activity: str
    colour: int
    slots: tuple[SlotCell, ...]


def runs(slots: tuple[SlotCell, ...], locale: str) -> list[Run]:
    found: list[Run] = []
    for slot in slots:
        if found and found[-1].slots[-1].activity_id == slot.activity_id:
            last = found.pop()
            found.append(Run(last.activity, last.colour, (*last.slots, slot)))
        else:
            name = i18n.localized(slot, "activity_name", locale)
            found.append(Run(name, slot.colour, (slot,)))
    return found


def heading(agenda: Agenda, formats: Formats) -> str:
    if agenda.practitioner is not None:
        who = agenda.practitioner.name
    else:
        who = i18n.localized(agenda.site, "name", formats.locale)
    period = agenda.period
    if period.kind is ViewKind.DAY:
        when = formats.day(period.day)
    else:
        when = i18n.gettext("Week of %(day)s", day=formats.day(period.first, "long"))
    return f"{who} · {when}"


def grids(agenda: Agenda) -> dict[str, Any]:
    """The tables the view draws: a practitioner's day (one column) or week (a column per
    day), a site's day (a column per practitioner). A site's week is lists, not a grid."""
    period = agenda.period
    if agenda.practitioner is not None:
        days = agenda.shown_days
        return {"grid": grid.build(days, {day: agenda.on(day) for day in days})}
    if period.kind is ViewKind.DAY:
        ids = tuple(p.id for p in agenda.columns)
        return {
            "grid": grid.build(ids, {pid: agenda.of(pid, period.day) for pid in ids}),
        }
    return {}


def context(
    request: Request,
    staff: StaffUser,
    agenda: Agenda,
    today: date,
    *,
    typed_date: str | None = None,
) -> dict[str, Any]:
    formats = Formats(agenda.time_zone)
    period = agenda.period
    multi_site = len({slot.site_id for slot in agenda.slots}) > 1
    return {
        "agenda": agenda,
        "period": period,
        "formats": formats,
        "today": today,
        "heading": heading(agenda, formats),
        "kind": "practitioner" if agenda.practitioner else "site",
        "urls": {
            "day": view_url(request, agenda, ViewKind.DAY, period.day),
            "week": view_url(request, agenda, ViewKind.WEEK, period.day),
            "previous": view_url(request, agenda, period.kind, period.previous()),
            "next": view_url(request, agenda, period.kind, period.next()),
            "today": view_url(request, agenda, period.kind, today),
            "self": view_url(request, agenda, period.kind, period.day),
            "print": view_url(request, agenda, period.kind, period.day, print_=True),
            "picker": request.app.route_reverse("staff:agenda"),
            "open_schedule": open_schedule_url(request, staff, agenda),
            "day_of": lambda day: view_url(request, agenda, ViewKind.DAY, day),
        },
        "may_change": may_change(staff, agenda),
        "choices": choices(agenda, formats.locale),
        "typed_date": typed_date,
        "date_error": date_error(typed_date, today) if typed_date is not None else None,
        "names": {p.id: p.name for p in agenda.directory.practitioners},
        "runs": lambda slots: runs(slots, formats.locale),
        "live": {
            "practitioners": ",".join(str(i) for i in agenda.practitioner_ids),
            "sites": ",".join(str(i) for i in agenda.site_ids),
            "days": ",".join(day.isoformat() for day in period.days),
        },
        "render_slot": SlotLinks(
            formats,
            show_site=multi_site,
            site_names={
                s.id: i18n.localized(s, "name", formats.locale) for s in agenda.directory.sites
            },
        ),
        "icon_sprite": sprite(),
        "legend": {
            "states": [(state, i18n.gettext(STATE_LABELS[state])) for state in LEGEND_STATES],
            "icons": [
                (icon(kind, "", decorative=True), i18n.gettext(ICON_LABELS[kind])) for kind in Icon
            ],
        },
        **grids(agenda),
    }


def date_error(typed: str, today: date) -> str:
    """What the date field says of a date it could not show (routes.py refused it)."""
    try:
        date.fromisoformat(typed.strip())
    except ValueError:
        return i18n.gettext(
            "Enter a date as YYYY-MM-DD, for example %(example)s.", example=today.isoformat()
        )
    return i18n.gettext("Choose a date between 1900 and 2200.")


def print_context(request: Request, agenda: Agenda) -> dict[str, Any]:
    formats = Formats(agenda.time_zone)
    if agenda.practitioner is not None:
        groups = [
            (formats.day(day), [(agenda.practitioner.name, agenda.on(day))])
            for day in agenda.shown_days
        ]
    else:
        groups = [
            (
                formats.day(day),
                [(p.name, agenda.of(p.id, day)) for p in agenda.columns if agenda.of(p.id, day)],
            )
            for day in agenda.shown_days
        ]
    return {
        "agenda": agenda,
        "formats": formats,
        "heading": heading(agenda, formats),
        "groups": groups,
        "back": view_url(request, agenda, agenda.period.kind, agenda.period.day),
        "show_site": len({slot.site_id for slot in agenda.slots}) > 1,
        "site_names": {
            s.id: i18n.localized(s, "name", formats.locale) for s in agenda.directory.sites
        },
        "icon_labels": ICON_LABELS,
        "state_labels": STATE_LABELS,
        "agenda_status_labels": STATUS_LABELS,
        "SlotState": SlotState,
    }
