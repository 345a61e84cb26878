"""A payment request per amount asked of a patient during a call. Every row carries its
clinic, and every read filters on it."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.booking.tables import Appointment
from tenants.tables import Clinic


class PaymentStatus(StrEnum):
    REQUESTED = "requested"  # the link is out; not paid yet
    PAID = "paid"  # the provider's signed webhook said so
    EXPIRED = "expired"  # the provider's session expired unpaid


class PaymentRequest(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    appointment = ForeignKey(references=Appointment, null=False)
    amount_cents = Integer()
    currency = Varchar(length=3)  # ISO 4217, lower case as the provider wants it: cad, eur
    label = Varchar(length=200, default="")  # the predefined amount's label, or ""
    status = Varchar(length=16, default=PaymentStatus.REQUESTED.value)
    # Sent to the provider as Idempotency-Key: a retried request never makes two.
    idempotency_key = Varchar(length=100, unique=True)
    provider_session = Varchar(length=255, null=True, default=None)  # the Checkout Session id
    checkout_url = Text(default="")  # where "Pay" leads
    requested_by = Integer(null=True, default=None)  # the staff account
    created_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)


class PaymentSettings(Table):
    """A clinic's payment settings (administration); a clinic without a row has DEFAULTS."""

    clinic = ForeignKey(references=Clinic, null=False, unique=True)
    currency = Varchar(length=3, default="cad")  # cad | eur
    maximum_cents = Integer(default=100000)  # no amount above this may be requested


class PaymentPreset(Table):
    """One of the clinic's predefined amounts, offered first in "Request payment"."""

    clinic = ForeignKey(references=Clinic, null=False)
    label = Varchar(length=200)
    amount_cents = Integer()
    position = Integer(default=0)


class WebhookOutcome(StrEnum):
    PROCESSED = "processed"  # verified, new, about one of this clinic's requests: applied
    IGNORED = "ignored"  # verified and new, but of a type that changes nothing here
    BAD_SIGNATURE = "bad_signature"
    STALE = "stale"  # signed outside the tolerance window (by app.clock)
    REPLAY = "replay"  # an event id already processed
    UNKNOWN_PAYMENT = "unknown_payment"  # not one of this clinic's requests (another's)


class PaymentWebhookEvent(Table):
    """Every webhook call the provider's endpoint received, refused ones included: what
    came, and what was made of it. `processed_event` is the event id once applied; its
    uniqueness is what makes each event count once, even for two deliveries racing."""

    clinic = ForeignKey(references=Clinic, null=False)  # the host it was sent to
    event_id = Varchar(length=255, default="")  # as the body says (unverified when refused)
    event_type = Varchar(length=100, default="")
    outcome = Varchar(length=32)
    processed_event = Varchar(length=255, null=True, default=None, unique=True)
    payment = Integer(null=True, default=None)  # the PaymentRequest it was about, if found
    received_at = Timestamptz()
