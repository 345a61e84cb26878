"""What other packages read of payments: the latest request of an appointment."""

from __future__ import annotations

from dataclasses import dataclass

from app.payments.tables import PaymentRequest, PaymentStatus


@dataclass(frozen=True)
class PaymentView:
    id: int
    amount_cents: int
    currency: str
    status: PaymentStatus
    checkout_url: str


async def latest_payment(*, clinic_id: int, appointment_id: int) -> PaymentView | None:
    row = await (
        PaymentRequest.select()
        .where(
            (PaymentRequest.clinic == clinic_id) & (PaymentRequest.appointment == appointment_id)
        )
        .order_by(PaymentRequest.id, ascending=False)
        .first()
    )
    if row is None:
        return None
    return PaymentView(
        id=row["id"],
        amount_cents=row["amount_cents"],
        currency=row["currency"],
        status=PaymentStatus(row["status"]),
        checkout_url=row["checkout_url"],
    )
