"""The patient's "Pay" (GET /a/{token}/pay, the link in the call, on its last page and in
the end-of-consultation message): our page, under the appointment's signed link, which
sends the patient on to the provider's checkout for the appointment's latest request,
or says it is paid or expired. Without a provider, on the embedded default only, it is
a dev page whose button marks the request paid (POST /a/{token}/pay/dev), as the
provider's webhook would."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app.booking.links import PREFIX, pay_path
from app.booking.views import AppointmentView
from app.db import write_transaction
from app.events import PATIENT, EventBus
from app.form_fields import text_fields
from app.htmx import page_or_fragment
from app.payments.live import tell_room
from app.payments.money import money
from app.payments.requests import settle
from app.payments.tables import PaymentStatus
from app.payments.views import PaymentView, latest_payment
from app.portal.details import linked_appointment
from app.portal.form_tokens import check_form_token, form_token
from app.portal.guards import clinic_pages_only
from app.settings import Settings
from tenants.resolution import ClinicRef

TEMPLATE = "video/pay.html"


def _scope(appointment_id: int) -> str:
    return f"pay:{appointment_id}"


class PatientPay(Controller):
    path = PREFIX + "/{token:str}/pay"
    opt = {"exclude_from_csrf": True}  # the signed link plus a signed form token guard these
    guards = [clinic_pages_only]

    @get("/", name="portal:pay")
    async def pay(
        self, request: Request, token: str, clinic: ClinicRef, settings: Settings
    ) -> Response:
        appointment = await linked_appointment(settings, clinic, token)
        payment = await latest_payment(clinic_id=clinic.id, appointment_id=appointment.id)
        if payment is None:
            return self._page(request, settings, token, appointment, None, "none")
        if payment.status is PaymentStatus.PAID:
            return self._page(request, settings, token, appointment, payment, "paid")
        if payment.status is PaymentStatus.EXPIRED:
            return self._page(request, settings, token, appointment, payment, "expired", 410)
        if settings.payment is not None and payment.checkout_url:
            # The address the provider gave for this session (the configured provider's).
            return Redirect(payment.checkout_url, status_code=303)
        if settings.payment is None and settings.dev_payments:
            return self._page(request, settings, token, appointment, payment, "dev")
        return self._page(request, settings, token, appointment, payment, "unavailable", 503)

    def _page(
        self,
        request: Request,
        settings: Settings,
        token: str,
        appointment: AppointmentView,
        payment: PaymentView | None,
        state: str,
        code: int = 200,
    ) -> Response:
        return page_or_fragment(
            request,
            TEMPLATE,
            {
                "state": state,
                "appointment": appointment,
                "amount": money(payment.amount_cents, payment.currency) if payment else "",
                "details_url": request.app.route_reverse("portal:appointment", token=token),
                "dev_url": pay_path(token) + "/dev",
                "form_token": form_token(settings.secret_key, _scope(appointment.id)),
            },
            status_code=code,
        )

    @post("/dev", name="portal:pay_dev")
    async def dev_paid(
        self,
        request: Request,
        token: str,
        clinic: ClinicRef,
        settings: Settings,
        bus: EventBus,
        channels: ChannelsPlugin,
    ) -> Response:
        if not settings.dev_payments:
            raise NotFoundException("no dev payments here")
        appointment = await linked_appointment(settings, clinic, token)
        fields = await text_fields(request)
        if not check_form_token(
            settings.secret_key, fields.get("form_token", ""), _scope(appointment.id)
        ):
            payment = await latest_payment(clinic_id=clinic.id, appointment_id=appointment.id)
            return self._page(request, settings, token, appointment, payment, "expired_form", 409)
        payment = await latest_payment(clinic_id=clinic.id, appointment_id=appointment.id)
        if payment is not None and payment.status is PaymentStatus.REQUESTED:
            async with write_transaction():
                await settle(
                    clinic_id=clinic.id,
                    payment_id=payment.id,
                    status=PaymentStatus.PAID,
                    actor=PATIENT,
                    bus=bus,
                    detail={"dev": True},
                )
            await tell_room(channels, clinic.id, appointment.id)
        return Redirect(pay_path(token), status_code=303)
