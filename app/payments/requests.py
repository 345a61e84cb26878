"""Making a payment request (the practitioner, in the call) and marking one paid or
expired (the provider's webhook; the dev page). A request is first committed, with its
audit row, under its idempotency key; then the provider is asked for its checkout
session with that same key, outside any transaction (no network call holds the
database). A retry of the same form (a double click, a lost answer) finds the row and,
if the session is still missing, asks the provider again with the same key: one
session, whatever happens."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

from app import clock
from app.db import write_transaction
from app.events import Actor, EventBus
from app.payments.events import PaymentChange, PaymentChanged
from app.payments.money import money
from app.payments.provider import (
    CheckoutOrder,
    ProviderUnavailable,
    create_checkout,
    expire_checkout,
)
from app.payments.tables import PaymentRequest, PaymentStatus
from app.payments.views import PaymentView, latest_payment
from app.settings import PaymentProvider
from app.video.access import RoomPass

_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class RequestRefusal(StrEnum):
    NOT_ALLOWED = "not_allowed"  # a secretary, or a cancelled appointment's room
    PROVIDER = "provider"  # the provider could not be reached: try again (same key)


@dataclass(frozen=True)
class Asked:
    """One request as the practitioner made it."""

    amount_cents: int
    currency: str
    label: str
    form_key: str  # the form's own key: the same form sent twice is one request


def new_form_key() -> str:
    return uuid.uuid4().hex


def idempotency_key(room: RoomPass, form_key: str) -> str:
    """The clinic and the appointment in the key: no form of one can reach another's row."""
    key = form_key if _FORM_KEY.match(form_key or "") else new_form_key()
    return f"pay-{room.clinic_id}-{room.appointment_id}-{key}"


async def _by_key(clinic_id: int, key: str) -> dict | None:
    return await (
        PaymentRequest.select()
        .where((PaymentRequest.clinic == clinic_id) & (PaymentRequest.idempotency_key == key))
        .first()
    )


def _detail(row: dict) -> dict:
    return {"amount_cents": row["amount_cents"], "currency": row["currency"], "id": row["id"]}


async def _record(room: RoomPass, asked: Asked, key: str, actor: Actor, bus: EventBus) -> dict:
    async with write_transaction():
        row = await _by_key(room.clinic_id, key)
        if row is not None:
            return row
        await PaymentRequest.insert(
            PaymentRequest(
                clinic=room.clinic_id,
                appointment=room.appointment_id,
                amount_cents=asked.amount_cents,
                currency=asked.currency,
                label=asked.label[:200],
                status=PaymentStatus.REQUESTED.value,
                idempotency_key=key,
                requested_by=room.account_id,
                created_at=clock.now(),
            )
        ).on_conflict(action="DO NOTHING")
        row = await _by_key(room.clinic_id, key)
        await bus.emit(
            PaymentChanged(
                room.clinic_id,
                room.appointment_id,
                row["id"],
                actor,
                PaymentChange.REQUESTED,
                _detail(row),
            )
        )
        return row


async def request_payment(
    room: RoomPass,
    asked: Asked,
    *,
    provider: PaymentProvider | None,
    back_url: str,
    description: str,
    actor: Actor,
    bus: EventBus,
) -> PaymentView | RequestRefusal:
    """`provider` None: the dev payment page stands in for it (no session to create)."""
    if not room.may_join:
        return RequestRefusal.NOT_ALLOWED
    key = idempotency_key(room, asked.form_key)
    row = await _record(room, asked, key, actor, bus)
    if row["appointment"] != room.appointment_id:  # cannot be (the key names it); be sure
        return RequestRefusal.NOT_ALLOWED
    if provider is not None and not row["checkout_url"]:
        order = CheckoutOrder(
            payment_id=row["id"],
            clinic_id=room.clinic_id,
            amount_cents=row["amount_cents"],
            currency=row["currency"],
            description=description,
            back_url=back_url,
            idempotency_key=key,
        )
        try:
            checkout = await create_checkout(provider, order)
        except ProviderUnavailable:
            return RequestRefusal.PROVIDER
        async with write_transaction():
            await PaymentRequest.update(
                {
                    PaymentRequest.provider_session: checkout.session_id,
                    PaymentRequest.checkout_url: checkout.url,
                }
            ).where((PaymentRequest.clinic == room.clinic_id) & (PaymentRequest.id == row["id"]))
    await _replace_older(room, row["id"], provider=provider, actor=actor, bus=bus)
    view = await latest_payment(clinic_id=room.clinic_id, appointment_id=room.appointment_id)
    assert view is not None
    return view


async def _replace_older(
    room: RoomPass, newest: int, *, provider: PaymentProvider | None, actor: Actor, bus: EventBus
) -> None:
    """A new amount replaces the requests still open on the appointment: their sessions
    are expired at the provider (their pages can no longer be paid) and they are marked
    expired. One the provider would not expire (paid in the meantime) is left to its
    webhook."""
    older = await PaymentRequest.select(PaymentRequest.id, PaymentRequest.provider_session).where(
        (PaymentRequest.clinic == room.clinic_id)
        & (PaymentRequest.appointment == room.appointment_id)
        & (PaymentRequest.status == PaymentStatus.REQUESTED.value)
        & (PaymentRequest.id < newest)
    )
    for row in older:
        session = row["provider_session"]
        if provider is not None and session:
            if not await expire_checkout(provider, session):
                continue
        async with write_transaction():
            await settle(
                clinic_id=room.clinic_id,
                payment_id=row["id"],
                status=PaymentStatus.EXPIRED,
                actor=actor,
                bus=bus,
                detail={"replaced_by": newest},
            )


async def settle(
    *,
    clinic_id: int,
    payment_id: int,
    status: PaymentStatus,
    actor: Actor,
    bus: EventBus,
    detail: dict | None = None,
) -> bool:
    """Inside the caller's write transaction: paid (from requested or expired: a late
    payment is still money received) or expired (from requested only). False when the
    request was already there, or is no request of this clinic."""
    row = await (
        PaymentRequest.select()
        .where((PaymentRequest.clinic == clinic_id) & (PaymentRequest.id == payment_id))
        .first()
    )
    if row is None:
        return False
    allowed = (
        (PaymentStatus.REQUESTED, PaymentStatus.EXPIRED)
        if status is PaymentStatus.PAID
        else (PaymentStatus.REQUESTED,)
    )
    if row["status"] not in allowed:
        return False
    values = {PaymentRequest.status: status.value}
    if status is PaymentStatus.PAID:
        values[PaymentRequest.paid_at] = clock.now()
    await PaymentRequest.update(values).where(
        (PaymentRequest.clinic == clinic_id) & (PaymentRequest.id == payment_id)
    )
    kind = PaymentChange.PAID if status is PaymentStatus.PAID else PaymentChange.EXPIRED
    await bus.emit(
        PaymentChanged(
            clinic_id,
            row["appointment"],
            payment_id,
            actor,
            kind,
            {**_detail(row), **(detail or {})},
        )
    )
    return True


def amount_text(view: PaymentView) -> str:
    return money(view.amount_cents, view.currency)
