"""The outbox: every email and SMS the platform will send, written in the same
transaction as the appointment change that causes it, then delivered by a job."""

from piccolo.columns import ForeignKey, SmallInt, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.booking.tables import Appointment
from tenants.tables import Clinic

KINDS = ("confirmation", "change", "cancellation", "reminder", "teleconsult_invitation")
CHANNELS = ("email", "sms")
# pending → sending (claimed, with a lease) → sent | failed | dropped
STATUSES = ("pending", "sending", "sent", "failed", "dropped")


class Message(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    appointment = ForeignKey(references=Appointment, null=True, default=None)
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
