"""An appointment's session on the external platform, and the platform's webhook events
(each id processed once). Every row carries its clinic, and every read filters on it."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.booking.tables import Appointment
from tenants.tables import Clinic


class SessionState(StrEnum):
    PENDING = "pending"  # to create (the job calls the platform)
    CREATED = "created"  # the platform has it and invited the patient: links stored
    CANCEL_PENDING = "cancel_pending"  # the appointment was cancelled: to cancel there
    CANCELLED = "cancelled"  # done (or never created before the cancellation)


class ExternalSession(Table):
    """One per appointment (unique). `next_attempt_at` is when the job may call the
    platform next: a due row is claimed by pushing it forward (a lease), so two workers
    never both call; a failure pushes it by the backoff and records the error."""

    clinic = ForeignKey(references=Clinic, null=False)
    appointment = ForeignKey(references=Appointment, null=False, unique=True)
    platform = Varchar(length=32, default="reacts")
    state = Varchar(length=16, default=SessionState.PENDING.value)
    external_id = Varchar(length=100, null=True, default=None, index=True)
    patient_url = Varchar(length=1000, null=True, default=None)
    staff_url = Varchar(length=1000, null=True, default=None)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None, index=True)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    patient_connected_at = Timestamptz(null=True, default=None)


class PlatformEvent(Table):
    """Every webhook received, accepted or refused (bad signature, stale, replay, another
    clinic's session): the unique event id makes a replay a conflict, not a second effect."""

    clinic = ForeignKey(references=Clinic, null=False)
    # Set on the accepted event only: a forged event must not block the real one's id.
    event_id = Varchar(length=100, null=True, default=None, unique=True)
    claimed_id = Varchar(length=100, default="")  # the id the body gave, as received
    kind = Varchar(length=64, default="")
    outcome = Varchar(length=32)  # accepted | bad_signature | stale | replay | unknown_session
    received_at = Timestamptz()
