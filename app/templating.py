"""The one Jinja environment: templates/, autoescape, gettext bound to the request locale."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app import i18n
from app.booking.tables import STATUS_LABELS
from app.i18n import localized
from app.scheduling.expansion import DAY_PART_LABELS
from app.security_headers import JS_FLAG

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        enable_async=False,
        # Templates change with a deployment, never under a running process: no stat() of
        # each template file at every render (a tenth of a storm request's CPU).
        auto_reload=False,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.globals["localized"] = localized
    env.globals["day_part_labels"] = DAY_PART_LABELS
    env.globals["status_labels"] = STATUS_LABELS
    env.globals["js_flag"] = JS_FLAG
    env.filters["local_day"] = local_day
    env.filters["local_time"] = local_time
    return env


def local_day(moment: datetime, time_zone: str) -> str:
    """ "lundi 23 novembre 2026" / "Monday, November 23, 2026" in the clinic's zone."""
    return _day(moment.astimezone(ZoneInfo(time_zone)).date(), i18n.current())


def local_time(moment: datetime, time_zone: str) -> str:
    """ "09 h 00" / "9:00 AM" in the clinic's zone."""
    return _time(moment.astimezone(ZoneInfo(time_zone)).time(), i18n.current())


# Babel formats a date in about a tenth of a millisecond, and a page of slots or an agenda
# shows the same few days and times again and again: each is formatted once per locale.
@lru_cache(maxsize=8192)
def _day(day: date, locale: str) -> str:
    return format_date(day, format="full", locale=locale)


@lru_cache(maxsize=8192)
def _time(moment: time, locale: str) -> str:
    return format_time(moment, format="short", locale=locale)
