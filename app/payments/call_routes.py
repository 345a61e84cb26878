"""The staff's side of payments: "Request payment" in the call window (a panel the window
loads, like the chat: GET shows it, POST makes the request; htmx gets the panel back),
and the payment's status on the staff appointment (a fragment the slot dialog loads).

Who: the room's pass (app.video.staff_routes.staff_room: another clinic's or another
practitioner's appointment is 404); asking is for those who may join (a secretary sees
the status only). Bad input is 422 with its message next to the field, nothing saved."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar import Controller, Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.exceptions import NotFoundException
from litestar.utils.scope.state import ScopeState

from app import i18n
from app.booking.links import details_path, make_token
from app.booking.views import appointment_view
from app.events import EventBus
from app.form_fields import text_fields
from app.htmx import is_fragment_request
from app.i18n import N_
from app.numbers import MAX_ID, whole_number
from app.payments.live import tell_room
from app.payments.money import REFUSALS, Amount, AmountRefusal, money, parse_amount
from app.payments.options import PaymentOptions, payment_options
from app.payments.requests import Asked, RequestRefusal, new_form_key, request_payment
from app.payments.views import PaymentView, latest_payment
from app.settings import Settings
from app.staff.accounts import StaffUser
from app.staff.pages import staff_page
from app.video.access import RoomPass
from app.video.staff_routes import may_join, staff_room
from tenants.resolution import ClinicRef

PANEL = "video/payment_panel.html"
STATUS = "staff/appointments/payment_status.html"
# In the call, an empty amount may also mean "choose one of the presets".
AMOUNT_ERRORS = REFUSALS | {
    AmountRefusal.MISSING: N_("Enter an amount, or choose one of the clinic's amounts.")
}
STATUS_LABELS = {
    "requested": N_("Awaiting payment"),
    "paid": N_("Paid"),
    "expired": N_("Expired"),
}


@dataclass(frozen=True)
class PaymentPanel:
    room: RoomPass
    options: PaymentOptions
    payment: PaymentView | None
    form_key: str
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)

    def amount(self, cents: int) -> str:
        return money(cents, self.options.currency)


def status_line(payment: PaymentView | None) -> dict | None:
    if payment is None:
        return None
    return {
        "status": payment.status.value,
        "label": i18n.gettext(STATUS_LABELS[payment.status.value]),
        "amount": money(payment.amount_cents, payment.currency),
    }


def _csrf(request: Request) -> str:
    return ScopeState.from_scope(request.scope).csrf_token or ""


async def _panel(room: RoomPass, **changes) -> PaymentPanel:
    return PaymentPanel(
        room=room,
        options=await payment_options(clinic_id=room.clinic_id),
        payment=await latest_payment(clinic_id=room.clinic_id, appointment_id=room.appointment_id),
        form_key=changes.pop("form_key", None) or new_form_key(),
        **changes,
    )


def _render(request: Request, panel: PaymentPanel, settings: Settings, code: int = 200) -> Response:
    response = staff_page(
        request,
        PANEL,
        {
            "panel": panel,
            "status": status_line(panel.payment),
            "csrf": _csrf(request),
            "available": settings.payment is not None or settings.dev_payments,
        },
        block="payment_panel",
        status_code=code,
    )
    if is_fragment_request(request):  # a part of the call window: its address stays
        response.headers["HX-Push-Url"] = "false"
    return response


def _asked(fields: dict[str, str], options: PaymentOptions, form_key: str) -> Asked | dict:
    """The preset pressed, else the typed amount; errors by field otherwise."""
    preset_id = fields.get("preset", "")
    if preset_id:
        chosen = whole_number(preset_id, maximum=MAX_ID)
        for preset in options.presets:
            if preset.id == chosen and 0 < preset.amount_cents <= options.maximum_cents:
                return Asked(preset.amount_cents, options.currency, preset.label, form_key)
        return {"form": i18n.gettext("This amount is no longer offered. Choose another.")}
    parsed = parse_amount(fields.get("amount", ""), maximum_cents=options.maximum_cents)
    if isinstance(parsed, Amount):
        return Asked(parsed.cents, options.currency, "", form_key)
    maximum = money(options.maximum_cents, options.currency)
    return {"amount": i18n.gettext(AMOUNT_ERRORS[parsed], maximum=maximum)}


class CallPayment(Controller):
    path = "/calls/{appointment_id:int}/payment"

    @get("/", name="staff:call_payment")
    async def show(
        self, request: Request, staff: StaffUser, appointment_id: int, settings: Settings
    ) -> Response:
        room = await staff_room(staff, appointment_id)
        return _render(request, await _panel(room), settings)

    @post("/", name="staff:call_payment_request", guards=[may_join])
    async def ask(
        self,
        request: Request,
        staff: StaffUser,
        appointment_id: int,
        settings: Settings,
        clinic: ClinicRef,
        bus: EventBus,
        channels: ChannelsPlugin,
    ) -> Response:
        room = await staff_room(staff, appointment_id)
        fields = await text_fields(request)
        form_key = fields.get("form_key", "")[:64]
        options = await payment_options(clinic_id=room.clinic_id)
        asked = _asked(fields, options, form_key)
        if not (settings.payment is not None or settings.dev_payments):
            asked = {"form": i18n.gettext("Payments are not set up for this clinic.")}
        if isinstance(asked, dict):
            values = {"amount": fields.get("amount", "")[:50]}
            panel = await _panel(room, errors=asked, values=values, form_key=form_key)
            return _render(request, panel, settings, 422)
        appointment = await appointment_view(
            clinic_id=room.clinic_id, appointment_id=appointment_id
        )
        token = make_token(settings.secret_key, appointment_id, appointment.ends_at)
        made = await request_payment(
            room,
            asked,
            provider=settings.payment,
            back_url=settings.clinic_url(clinic.slug) + details_path(token),
            description=clinic.name,
            actor=staff.actor(),
            bus=bus,
        )
        if made is RequestRefusal.PROVIDER:
            error = i18n.gettext("The payment service did not answer. Try again in a moment.")
            values = {"amount": fields.get("amount", "")[:50]}
            panel = await _panel(room, errors={"form": error}, values=values, form_key=form_key)
            return _render(request, panel, settings, 503)
        if made is RequestRefusal.NOT_ALLOWED:
            raise NotFoundException("no such call")
        await tell_room(channels, room.clinic_id, appointment_id)
        return _render(request, await _panel(room), settings)


@get("/appointments/{appointment_id:int}/payment", name="staff:appointment_payment")
async def appointment_payment(request: Request, staff: StaffUser, appointment_id: int) -> Response:
    """The payment status on the staff appointment; 404 for another clinic's."""
    appointment = await appointment_view(clinic_id=staff.clinic_id, appointment_id=appointment_id)
    if appointment is None:
        raise NotFoundException("no such appointment")
    payment = await latest_payment(clinic_id=staff.clinic_id, appointment_id=appointment_id)
    response = staff_page(
        request,
        STATUS,
        {"payment": status_line(payment), "appointment_id": appointment_id},
        block="payment_status",
    )
    if is_fragment_request(request):
        response.headers["HX-Push-Url"] = "false"
    return response
