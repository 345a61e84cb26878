"""What payments tell the rest of the platform (the audit log listens): a request made,
paid, expired, or a signed webhook refused. Emitted inside the write transaction."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.events import Actor


class PaymentChange(StrEnum):
    REQUESTED = "requested"
    PAID = "paid"
    EXPIRED = "expired"
    # A webhook that bore the provider's signature yet changed nothing: stale, replayed,
    # or about another clinic's payment. (An unsigned one is no one's word: it is kept in
    # PaymentWebhookEvent only, so that noise cannot fill the audit log.)
    WEBHOOK_REFUSED = "webhook_refused"


@dataclass(frozen=True)
class PaymentChanged:
    clinic_id: int
    appointment_id: int | None
    payment_id: int | None
    actor: Actor
    kind: PaymentChange
    detail: dict  # amount and currency; a refused event's id, type and why
