"""The staff "Payments" page: one day's payment requests (the day they were made, in the
clinic's time zone), each with its patient, practitioner, amount and status (requested,
paid, expired), and the count and sum per status. Every read is filtered to the clinic.

Who sees what: secretaries and administrators see every request of the clinic (the front
desk follows up unpaid ones, the administration reconciles the day); a practitioner sees
only the requests of their own appointments: what colleagues bill, and to which patients,
is not theirs to read, and their own list is what they need to check a call's request
went out and was paid. A practitioner account linked to no practitioner sees none.

Navigation is plain links and a GET form (?date=YYYY-MM-DD), like the agenda's: a date
that cannot be read is said next to the field, what was typed kept, today's list shown."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from litestar import Request, Response, get
from litestar.params import Parameter

from app import clock, i18n
from app.i18n import N_
from app.payments.admin_changes import stored_settings
from app.payments.money import money
from app.payments.tables import PaymentRequest, PaymentStatus
from app.staff.accounts import StaffUser
from app.staff.agenda.presentation import date_error
from app.staff.agenda.routes import FIRST_DAY, LAST_DAY
from app.staff.pages import staff_page
from app.staff.tables import StaffRole
from tenants.resolution import ClinicRef

PAGE = "payments/report.html"
BLOCK = "payments_report"  # #payments-report, what an htmx navigation swaps
STATUS_LABELS = {
    PaymentStatus.REQUESTED: N_("Requested"),
    PaymentStatus.PAID: N_("Paid"),
    PaymentStatus.EXPIRED: N_("Expired"),
}


@dataclass(frozen=True)
class PaymentLine:
    id: int
    at: datetime  # when it was requested, in the clinic's time zone
    patient: str
    practitioner: str
    label: str
    amount_cents: int
    currency: str
    status: PaymentStatus
    slot_id: int  # the appointment's slot, for its page


@dataclass(frozen=True)
class StatusTotal:
    status: PaymentStatus | None  # None: every status
    count: int
    sums: tuple[tuple[str, int], ...]  # (currency, cents): one per currency used that day


@dataclass(frozen=True)
class DayReport:
    day: date
    lines: tuple[PaymentLine, ...]
    totals: tuple[StatusTotal, ...]  # requested, paid, expired, then all


def _patient(row: dict) -> str:
    if row["first_name"] is not None:
        return f"{row['first_name']} {row['last_name']}"
    typed = row["provisional"] or {}
    if isinstance(typed, str):  # JSON columns come back as text
        typed = json.loads(typed or "{}")
    name = f"{typed.get('first_name') or ''} {typed.get('last_name') or ''}".strip()
    return name or "—"


def totals_of(lines: tuple[PaymentLine, ...]) -> tuple[StatusTotal, ...]:
    def total(status: PaymentStatus | None) -> StatusTotal:
        chosen = [line for line in lines if status is None or line.status is status]
        sums: dict[str, int] = {}
        for line in chosen:
            sums[line.currency] = sums.get(line.currency, 0) + line.amount_cents
        return StatusTotal(status, len(chosen), tuple(sorted(sums.items())))

    return (*(total(status) for status in PaymentStatus), total(None))


async def day_report(
    *, clinic_id: int, time_zone: str, day: date, practitioner_id: int | None, everyone: bool
) -> DayReport:
    """The day's requests of the clinic: all of them (`everyone`), or those of the
    practitioner's own appointments (none without a practitioner)."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    appointment = PaymentRequest.appointment
    where = (
        (PaymentRequest.clinic == clinic_id)
        & (appointment.clinic == clinic_id)
        & (PaymentRequest.created_at >= start)
        & (PaymentRequest.created_at < end)
    )
    if not everyone:
        if practitioner_id is None:
            return DayReport(day, (), totals_of(()))
        where &= appointment.practitioner == practitioner_id
    rows = await (
        PaymentRequest.select(
            PaymentRequest.id,
            PaymentRequest.created_at,
            PaymentRequest.label,
            PaymentRequest.amount_cents,
            PaymentRequest.currency,
            PaymentRequest.status,
            appointment.slot.as_alias("slot_id"),
            appointment.provisional.as_alias("provisional"),
            appointment.patient.first_name.as_alias("first_name"),
            appointment.patient.last_name.as_alias("last_name"),
            appointment.practitioner.name.as_alias("practitioner"),
        )
        .where(where)
        .order_by(PaymentRequest.created_at)
        .order_by(PaymentRequest.id)
    )
    lines = tuple(
        PaymentLine(
            id=row["id"],
            at=row["created_at"].astimezone(zone),
            patient=_patient(row),
            practitioner=row["practitioner"] or "",
            label=row["label"],
            amount_cents=row["amount_cents"],
            currency=row["currency"],
            status=PaymentStatus(row["status"]),
            slot_id=row["slot_id"],
        )
        for row in rows
    )
    return DayReport(day, lines, totals_of(lines))


def _date(value: str | None) -> date | None:
    try:
        found = date.fromisoformat(value.strip()) if value else None
    except ValueError:
        return None
    return found if found is not None and FIRST_DAY <= found <= LAST_DAY else None


@get("/payments", name="staff:payments")
async def payments_page(
    request: Request,
    staff: StaffUser,
    clinic: ClinicRef,
    typed: str | None = Parameter(query="date", default=None, required=False),
) -> Response:
    today = clock.now().astimezone(ZoneInfo(clinic.time_zone)).date()
    chosen = _date(typed)
    error = date_error(typed, today) if typed is not None and chosen is None else None
    day = chosen or today
    report = await day_report(
        clinic_id=staff.clinic_id,
        time_zone=clinic.time_zone,
        day=day,
        practitioner_id=staff.practitioner_id,
        everyone=staff.role is not StaffRole.PRACTITIONER,
    )
    currency = (await stored_settings(clinic_id=staff.clinic_id)).currency
    url = request.app.route_reverse("staff:payments")

    def link(to: date) -> str:
        return f"{url}?date={to.isoformat()}"

    def show(total: StatusTotal) -> str:
        if not total.sums:
            return money(0, currency, clinic.country)
        return " + ".join(money(cents, cur, clinic.country) for cur, cents in total.sums)

    return staff_page(
        request,
        PAGE,
        {
            "report": report,
            "heading": format_date(day, format="full", locale=i18n.current()),
            "own_only": staff.role is StaffRole.PRACTITIONER,
            "status_labels": STATUS_LABELS,
            "amount": lambda line: money(line.amount_cents, line.currency, clinic.country),
            "total_text": show,
            "urls": {
                "self": url,
                "previous": link(max(day - timedelta(days=1), FIRST_DAY)),
                "next": link(min(day + timedelta(days=1), LAST_DAY)),
                "today": link(today),
            },
            "typed_date": typed if error else None,
            "date_error": error,
        },
        section="staff:payments",
        block=BLOCK,
        status_code=422 if error else 200,
    )
