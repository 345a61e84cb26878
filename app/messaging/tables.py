"""The outbox: every email and SMS the platform will send, written in the same
transaction as the change that causes it (an appointment's, or a one-time code asked
for), then delivered by a job."""

from piccolo.columns import ForeignKey, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from app.booking.tables import Appointment
from tenants.tables import Clinic

KINDS = (
    "confirmation",
    "change",
    "cancellation",
    "reminder",  # asks the patient to confirm
    "reminder_notice",  # a plain reminder
    "teleconsult_invitation",
    "consultation_end",
    "one_time_code",
    "earlier_slot_offer",  # app.waitlist: a freed earlier slot, with its one-step link
    "earlier_slot_taken",  # the offered slot went to someone else
)
CHANNELS = ("email", "sms")
# pending → sending (claimed, with a lease) → sent | failed | dropped
STATUSES = ("pending", "sending", "sent", "failed", "dropped")


class OneTimeCode(Table):
    """A code sent to a contact to prove the person typing holds it (one_time_codes.py).
    The code is never stored: it is derived from `nonce` with the secret key, so this
    table holds nothing a reader could type. Purged once expired (app.retention)."""

    clinic = ForeignKey(references=Clinic, null=False)
    subject = Varchar(length=100)  # what it proves, e.g. "contacts:session:12"
    address_key = Varchar(length=64)  # a digest of where it was sent, for the sending limit
    nonce = Varchar(length=64)
    tries = SmallInt(default=0)  # wrong codes typed
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)  # typed right, or replaced by a newer code


class Message(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    appointment = ForeignKey(references=Appointment, null=True, default=None)
    # A message about a one-time code rather than an appointment. Purging old codes
    # keeps the message (its cost was billed) without its link.
    one_time_code = ForeignKey(
        references=OneTimeCode, null=True, default=None, on_delete=OnDelete.set_null
    )
    kind = Varchar(length=32)
    channel = Varchar(length=8)
    recipient = Varchar(length=254, default="")  # filled when sent: the file may change meanwhile
    language = Varchar(length=2, default="fr")
    due_at = Timestamptz()
    status = Varchar(length=16, default="pending")
    attempts = SmallInt(default=0)
    next_attempt_at = Timestamptz()
    claimed_until = Timestamptz(null=True, default=None)  # a lease: a dead worker's claim lapses
    claimed_by = Varchar(length=64, null=True, default=None)
    idempotency_key = Varchar(length=200, unique=True)
    provider = Varchar(length=16, default="")  # smtp | twilio | dev
    provider_id = Varchar(length=200, null=True, default=None)
    last_error = Text(default="")
    subject = Varchar(length=300, default="")
    body = Text(default="")  # what was sent (text part / SMS), for the timeline and the dev outbox
    segments = SmallInt(default=0)  # SMS segments billed
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class SmsOptOut(Table):
    """A number that answered STOP to one of a clinic's SMS (app.messaging.sms_replies): no
    SMS goes to it from this clinic until it answers START. One row per (clinic, phone)."""

    clinic = ForeignKey(references=Clinic, null=False)
    phone = Varchar(length=32)  # E.164, as the provider says it
    keyword = Varchar(length=16)  # what the patient answered (STOP, ARRÊT…)
    opted_out_at = Timestamptz()


class InboundSms(Table):
    """Each signed inbound SMS, once: its MessageSid is unique, so a replay is refused.
    Neither the text nor the number is kept, only what came of it."""

    message_sid = Varchar(length=64, unique=True)
    clinic = ForeignKey(references=Clinic, null=True, default=None)
    appointment = ForeignKey(references=Appointment, null=True, default=None)
    outcome = Varchar(length=24)
    received_at = Timestamptz()
