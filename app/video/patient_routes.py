"""The patient's side of a call, under the details link: the room page (device check,
waiting room, call, end: one page whose script swaps the states) and its WebSocket.
The link is the credential (app.video.access.patient_pass); a refusal says why in the
patient's language: a bad link is not found, too early says when the room opens."""

from __future__ import annotations

from litestar import Controller, Request, Response, WebSocket, get, websocket
from litestar.channels import ChannelsPlugin

from app import clock
from app.booking.links import PREFIX, pay_path
from app.client_address import client_address
from app.events import PATIENT, EventBus
from app.htmx import page_or_fragment
from app.payments.money import money
from app.payments.views import latest_payment
from app.portal.details import AppointmentLinkInvalid, linked_appointment
from app.settings import Settings
from app.video import signalling
from app.video.access import OPENS_BEFORE, Refusal, patient_pass
from app.video.rooms import room_status
from tenants.resolution import ClinicRef

# Too early is an ordinary visit (come back at…); too late and cancelled are gone for good.
REFUSAL_STATUS = {Refusal.TOO_EARLY: 200, Refusal.TOO_LATE: 410, Refusal.CANCELLED: 410}


class PatientRoom(Controller):
    path = PREFIX + "/{token:str}/room"

    @get("/", name="portal:room")
    async def page(
        self, request: Request, token: str, clinic: ClinicRef, settings: Settings
    ) -> Response:
        room = await patient_pass(
            secret=settings.secret_key, clinic_id=clinic.id, token=token, now=clock.now()
        )
        if room == Refusal.NOT_FOUND:
            raise AppointmentLinkInvalid("not a video room")
        if isinstance(room, Refusal):
            return await self.refused(request, settings, clinic, token, room)
        status = await room_status(clinic_id=clinic.id, appointment_id=room.appointment_id)
        appointment = await linked_appointment(settings, clinic, token)
        payment = await latest_payment(clinic_id=clinic.id, appointment_id=room.appointment_id)
        return page_or_fragment(
            request,
            "video/patient_room.html",
            {
                "token": token,
                "room": room,
                "appointment": appointment,
                "status": status,
                "side": "patient",
                "socket_path": request.app.route_reverse("portal:room_socket", token=token),
                "chat_url": request.app.route_reverse("portal:room", token=token) + "/chat",
                "details_url": request.app.route_reverse("portal:appointment", token=token),
                # "Pay" (issue 14): shown while a request waits; the room's "payment"
                # event shows it live.
                "payment": payment,
                "payment_amount": money(payment.amount_cents, payment.currency) if payment else "",
                "pay_url": pay_path(token),
            },
        )

    async def refused(
        self, request: Request, settings: Settings, clinic: ClinicRef, token: str, why: Refusal
    ) -> Response:
        appointment = await linked_appointment(settings, clinic, token)
        return page_or_fragment(
            request,
            "video/patient_refused.html",
            {
                "why": why.value,
                "opens_at": appointment.starts_at - OPENS_BEFORE,
                "appointment": appointment,
                "details_url": request.app.route_reverse("portal:appointment", token=token),
            },
            status_code=REFUSAL_STATUS[why],
        )

    @websocket("/ws", name="portal:room_socket")
    async def socket(
        self,
        socket: WebSocket,
        token: str,
        clinic: ClinicRef,
        settings: Settings,
        bus: EventBus,
        channels: ChannelsPlugin,
    ) -> None:
        room = await patient_pass(
            secret=settings.secret_key, clinic_id=clinic.id, token=token, now=clock.now()
        )
        await signalling.serve(
            socket,
            None if isinstance(room, Refusal) else room,
            channels=channels,
            settings=settings,
            bus=bus,
            actor=PATIENT.at(client_address(socket, settings.trusted_proxies)),
        )
