"""Telling an open call that its payment changed (a room event, after the commit): the
patient's page shows "Pay" (or that it is paid), the call window its status. A courtesy,
like every room event: the pages show the truth on refresh."""

from __future__ import annotations

from litestar.channels import ChannelsPlugin

from app.payments.views import latest_payment
from app.video.channels import RoomEvent
from app.video.notify import CallNotifier


async def tell_room(channels: ChannelsPlugin, clinic_id: int, appointment_id: int) -> None:
    payment = await latest_payment(clinic_id=clinic_id, appointment_id=appointment_id)
    if payment is None:
        return
    data = {
        "status": payment.status.value,
        "amount_cents": payment.amount_cents,
        "currency": payment.currency,
    }
    CallNotifier(channels).room(clinic_id, appointment_id, RoomEvent("payment", data))
