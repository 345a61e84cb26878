"""The end-of-consultation message (SPEC §8): when a call in our video room ends, an
email and an SMS to the patient with the payment link, if a payment was requested, and
the documents shared in the call.

Planned in the transaction that ends the call (app.listeners hands it the call's
ENDED event), keyed by the appointment alone, so a call ended twice (two clicks, two
instances, a retry) plans it once. What it says (the payment, the files) is read when
it goes, so a payment requested just before hanging up is in it."""

from __future__ import annotations

from dataclasses import dataclass

from app import clock
from app.messaging.planner import _channels, _facts, suppressed
from app.messaging.recipients import Purpose
from app.messaging.tables import Message
from app.payments.tables import PaymentStatus
from app.payments.views import latest_payment
from app.video.tables import CallFile

KIND = "consultation_end"


def key(appointment_id: int, channel: str) -> str:
    return f"{appointment_id}:{KIND}:{channel}"


async def plan(*, clinic_id: int, appointment_id: int) -> int:
    """Plan the message by email and SMS (whatever the clinic's usual channels, like the
    invitation); returns how many rows were asked for."""
    facts = await _facts(clinic_id, appointment_id)
    if facts is None or suppressed(facts):
        return 0
    now = clock.now()
    channels = await _channels(clinic_id, appointment_id, Purpose.REMINDER, email=True, sms=True)
    if not channels:
        return 0
    await Message.insert(
        *[
            Message(
                clinic=clinic_id,
                appointment=appointment_id,
                kind=KIND,
                channel=channel,
                language=facts["language"],
                due_at=now,
                next_attempt_at=now,
                idempotency_key=key(appointment_id, channel),
                status="pending",
                created_at=now,
            )
            for channel in channels
        ]
    ).on_conflict(action="DO NOTHING")
    return len(channels)


@dataclass(frozen=True)
class SharedDocument:
    key: str
    name: str


@dataclass(frozen=True)
class AfterCall:
    """What the message carries: the amount still to pay (None when nothing is asked or it
    is paid already) and the documents shared, in the order they came."""

    amount_cents: int | None
    currency: str
    documents: tuple[SharedDocument, ...]


async def after_call(*, clinic_id: int, appointment_id: int) -> AfterCall:
    payment = await latest_payment(clinic_id=clinic_id, appointment_id=appointment_id)
    due = payment is not None and payment.status is PaymentStatus.REQUESTED
    rows = await (
        CallFile.select(CallFile.key, CallFile.name)
        .where((CallFile.clinic == clinic_id) & (CallFile.appointment == appointment_id))
        .order_by(CallFile.shared_at)
        .order_by(CallFile.id)
    )
    return AfterCall(
        amount_cents=payment.amount_cents if due else None,
        currency=payment.currency if payment else "",
        documents=tuple(SharedDocument(row["key"], row["name"]) for row in rows),
    )
