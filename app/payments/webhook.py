"""The provider's webhook, on each clinic's host (POST /payments/webhook): the clinic is
the host's, never the body's. An event is believed only once the SDK has verified its
Stripe-Signature (HMAC-SHA256 of "t.body" under PAYMENT_WEBHOOK_SECRET); its timestamp
must then be within TOLERANCE of app.clock (the SDK's own check reads the machine's
clock, which the tests move); its id is applied once (PaymentWebhookEvent's unique
processed_event); and the payment it names must be this clinic's, with this session.
Anything else is refused, recorded, and changes nothing; a signed refusal is audited."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import stripe
from litestar import Request, Response, post
from litestar.channels import ChannelsPlugin
from litestar.exceptions import NotFoundException

from app import clock
from app.db import write_transaction
from app.events import Actor, EventBus
from app.numbers import MAX_ID, whole_number
from app.payments.events import PaymentChange, PaymentChanged
from app.payments.live import tell_room
from app.payments.requests import settle
from app.payments.tables import PaymentRequest, PaymentStatus, PaymentWebhookEvent, WebhookOutcome
from app.settings import Settings
from tenants.resolution import ClinicRef

log = logging.getLogger("app.payments")
TOLERANCE = timedelta(minutes=5)  # the provider's own default window
MAX_BODY = 256 * 1024
PROVIDER = Actor.system("payment provider")
PAID_TYPES = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
EXPIRED_TYPES = {"checkout.session.expired"}
REFUSED = {
    WebhookOutcome.BAD_SIGNATURE,
    WebhookOutcome.STALE,
    WebhookOutcome.UNKNOWN_PAYMENT,
    WebhookOutcome.REPLAY,
}


@dataclass(frozen=True)
class Received:
    outcome: WebhookOutcome
    appointment_id: int | None = None
    payment_id: int | None = None
    status: PaymentStatus | None = None


def _signed_at(header: str) -> datetime | None:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            seconds = whole_number(value, maximum=10**11)
            return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)
    return None


def _event(payload: str) -> dict:
    try:
        event = json.loads(payload)
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}


async def _note(clinic_id: int, event: dict, outcome: WebhookOutcome, **extra) -> None:
    await PaymentWebhookEvent.insert(
        PaymentWebhookEvent(
            clinic=clinic_id,
            event_id=str(event.get("id") or "")[:255],
            event_type=str(event.get("type") or "")[:100],
            outcome=outcome.value,
            received_at=clock.now(),
            **extra,
        )
    )


async def _refuse(
    clinic_id: int, event: dict, outcome: WebhookOutcome, bus: EventBus, *, audited: bool
) -> Received:
    async with write_transaction():
        await _note(clinic_id, event, outcome)
        if audited:
            detail = {
                "event": str(event.get("id") or "")[:255],
                "type": str(event.get("type") or "")[:100],
                "why": outcome.value,
            }
            await bus.emit(
                PaymentChanged(
                    clinic_id, None, None, PROVIDER, PaymentChange.WEBHOOK_REFUSED, detail
                )
            )
    return Received(outcome)


async def _payment_of(clinic_id: int, session: dict) -> dict | None:
    metadata = session.get("metadata") if isinstance(session.get("metadata"), dict) else {}
    payment_id = whole_number(str(metadata.get("payment_request") or ""), maximum=MAX_ID)
    session_id = session.get("id")
    if payment_id is None or not isinstance(session_id, str):
        return None
    return await (
        PaymentRequest.select()
        .where(
            (PaymentRequest.clinic == clinic_id)
            & (PaymentRequest.id == payment_id)
            & (PaymentRequest.provider_session == session_id)
        )
        .first()
    )


async def receive(
    *, clinic_id: int, payload: bytes, header: str, secret: str, bus: EventBus
) -> Received:
    text = payload.decode("utf-8", errors="replace")
    event = _event(text)
    try:
        # No tolerance here: the SDK would compare with the machine's clock (below).
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance=None)
    except stripe.SignatureVerificationError:
        return await _refuse(clinic_id, event, WebhookOutcome.BAD_SIGNATURE, bus, audited=False)
    signed_at = _signed_at(header)
    if signed_at is None or abs(clock.now() - signed_at) > TOLERANCE:
        return await _refuse(clinic_id, event, WebhookOutcome.STALE, bus, audited=True)
    event_id, kind = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id or not isinstance(kind, str):
        return await _refuse(clinic_id, event, WebhookOutcome.UNKNOWN_PAYMENT, bus, audited=True)
    if kind not in PAID_TYPES | EXPIRED_TYPES:
        return await _applied(clinic_id, event, WebhookOutcome.IGNORED, bus)
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    session = data.get("object") if isinstance(data.get("object"), dict) else {}
    payment = await _payment_of(clinic_id, session)
    if payment is None:
        return await _refuse(clinic_id, event, WebhookOutcome.UNKNOWN_PAYMENT, bus, audited=True)
    if kind in PAID_TYPES and session.get("payment_status") != "paid":
        return await _applied(clinic_id, event, WebhookOutcome.IGNORED, bus, payment=payment)
    status = PaymentStatus.PAID if kind in PAID_TYPES else PaymentStatus.EXPIRED
    return await _applied(
        clinic_id, event, WebhookOutcome.PROCESSED, bus, payment=payment, status=status
    )


async def _applied(
    clinic_id: int,
    event: dict,
    outcome: WebhookOutcome,
    bus: EventBus,
    *,
    payment: dict | None = None,
    status: PaymentStatus | None = None,
) -> Received:
    """The event's id claimed (a second delivery finds it taken: a replay), then applied."""
    event_id = str(event["id"])[:255]
    async with write_transaction():
        claimed = await (
            PaymentWebhookEvent.insert(
                PaymentWebhookEvent(
                    clinic=clinic_id,
                    event_id=event_id,
                    event_type=str(event["type"])[:100],
                    outcome=outcome.value,
                    processed_event=event_id,
                    payment=payment["id"] if payment else None,
                    received_at=clock.now(),
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(PaymentWebhookEvent.id)
        )
        if claimed and payment is not None and status is not None:
            detail = {"event": event_id}
            await settle(
                clinic_id=clinic_id,
                payment_id=payment["id"],
                status=status,
                actor=PROVIDER,
                bus=bus,
                detail=detail,
            )
    if not claimed:
        return await _refuse(clinic_id, event, WebhookOutcome.REPLAY, bus, audited=True)
    return Received(
        outcome,
        appointment_id=payment["appointment"] if payment else None,
        payment_id=payment["id"] if payment else None,
        status=status,
    )


@post(
    "/payments/webhook",
    name="payments:webhook",
    opt={"exclude_from_csrf": True},
    request_max_body_size=MAX_BODY,
)
async def webhook(
    request: Request,
    clinic: ClinicRef,
    settings: Settings,
    bus: EventBus,
    channels: ChannelsPlugin,
) -> Response:
    """2xx tells the provider to stop sending; a refusal is 400, a replay 200 (it was
    already applied: sending it again cannot help)."""
    if settings.payment is None or clinic is None:
        raise NotFoundException("no payment provider")
    payload = await request.body()
    if len(payload) > MAX_BODY:
        return Response({"received": False}, status_code=413)
    received = await receive(
        clinic_id=clinic.id,
        payload=payload,
        header=request.headers.get("stripe-signature", ""),
        secret=settings.payment.webhook_secret,
        bus=bus,
    )
    if received.outcome is WebhookOutcome.PROCESSED and received.appointment_id is not None:
        await tell_room(channels, clinic.id, received.appointment_id)
    ok = received.outcome not in REFUSED or received.outcome is WebhookOutcome.REPLAY
    return Response(
        {"received": ok, "outcome": received.outcome.value}, status_code=200 if ok else 400
    )
