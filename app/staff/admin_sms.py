"""SMS usage, administrators only: this month's and the previous 12 months' messages,
segments and cost (app.messaging.usage, months in the clinic's time zone), with a bar
chart of the segments drawn here as SVG (no chart library): the chart has a title and a
description, and the table under it carries the same figures for anyone who cannot see it.

Known limit of the usage data: a month's cost is its segments at today's price per segment
(the price is not kept per message)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency
from litestar import Controller, Request, Response, get
from markupsafe import Markup, escape

from app import clock, i18n
from app.messaging.usage import SmsUsage, sms_usage
from app.staff.accounts import StaffUser
from app.staff.guards import administrators
from app.staff.pages import staff_page
from tenants.resolution import ClinicRef
from tenants.tables import Clinic

MONTHS = 13  # this month and the 12 before
CURRENCIES = {"CA": "CAD", "FR": "EUR"}
WIDTH, HEIGHT, BAR_GAP, TOP, BOTTOM = 650, 190, 8, 14, 34


@dataclass(frozen=True)
class MonthRow:
    usage: SmsUsage
    label: str  # "nov. 2026"
    short: str  # "nov.", under its bar, the year on a line below (13 full labels overlap)
    year: str
    cost: str  # formatted in the clinic's currency


def months_back(first: date, count: int) -> list[date]:
    """`first` (a month's first day) and the `count - 1` months before, oldest first."""
    out, year, month = [], first.year, first.month
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def chart(rows: list[MonthRow], title: str, description: str) -> Markup:
    """Bars of segments per month, each with its figure above and its month below."""
    most = max((row.usage.segments for row in rows), default=0) or 1
    slot = WIDTH / len(rows)
    bar = slot - BAR_GAP
    usable = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="sms-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-labelledby="sms-chart-title sms-chart-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="sms-chart-title">{escape(title)}</title>',
        f'<desc id="sms-chart-desc">{escape(description)}</desc>',
    ]
    for index, row in enumerate(rows):
        height = round(usable * row.usage.segments / most, 1)
        x = round(index * slot + BAR_GAP / 2, 1)
        y = round(TOP + usable - height, 1)
        middle = round(x + bar / 2, 1)
        parts.append(
            f'<rect x="{x}" y="{y}" width="{round(bar, 1)}" height="{height}" class="bar"/>'
            f'<text x="{middle}" y="{y - 3}" text-anchor="middle" class="figure">'
            f"{row.usage.segments}</text>"
            f'<text x="{middle}" y="{HEIGHT - BOTTOM + 13}" text-anchor="middle" class="month">'
            f"{escape(row.short)}</text>"
            f'<text x="{middle}" y="{HEIGHT - 3}" text-anchor="middle" class="month">'
            f"{escape(row.year)}</text>"
        )
    parts.append(
        f'<line x1="0" y1="{TOP + usable}" x2="{WIDTH}" y2="{TOP + usable}" class="axis"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


async def usage_rows(*, clinic_id: int) -> tuple[list[MonthRow], str]:
    clinic = (
        await Clinic.select(Clinic.time_zone, Clinic.country).where(Clinic.id == clinic_id).first()
    )
    today = clock.now().astimezone(ZoneInfo(clinic["time_zone"])).date()
    currency = CURRENCIES.get(clinic["country"], "CAD")
    # The page's language in the clinic's country: 0,15 $ in Quebec, 0,15 € in France.
    locale = f"{i18n.current()}_{clinic['country']}"
    rows = []
    for month in months_back(date(today.year, today.month, 1), MONTHS):
        usage = await sms_usage(clinic_id=clinic_id, month=month)
        rows.append(
            MonthRow(
                usage=usage,
                label=format_date(month, "MMM yyyy", locale=locale),
                short=format_date(month, "MMM", locale=locale),
                year=str(month.year),
                cost=format_currency(usage.cost_cents / 100, currency, locale=locale),
            )
        )
    price = format_currency(rows[-1].usage.price_cents / 100, currency, locale=locale)
    return rows, price


class SmsUsageAdministration(Controller):
    path = "/administration/sms-usage"
    guards = [administrators]

    @get("", name="staff:admin_sms_usage")
    async def page(self, request: Request, staff: StaffUser, clinic: ClinicRef) -> Response:
        rows, price = await usage_rows(clinic_id=staff.clinic_id)
        title = i18n.gettext("SMS segments sent per month")
        description = i18n.gettext(
            "%(first)s to %(last)s; the same figures are in the table below.",
            first=rows[0].label,
            last=rows[-1].label,
        )
        return staff_page(
            request,
            "staff/admin/sms_usage.html",
            {
                "rows": rows,
                "this_month": rows[-1],
                "price": price,
                "chart": chart(rows, title, description),
                "total_messages": sum(r.usage.messages for r in rows),
                "total_segments": sum(r.usage.segments for r in rows),
            },
            section="staff:administration",
            block="sms_usage",
        )
