"""A call room per teleconsultation appointment, and what the call left behind: its chat
messages and the files shared. Every row carries its clinic, and every read filters on it."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from app.booking.tables import Appointment
from tenants.tables import Clinic


class RoomState(StrEnum):
    EMPTY = "empty"  # nobody came yet
    WAITING = "waiting"  # the patient is in the waiting room
    IN_CALL = "in_call"  # accepted: the two may talk
    ENDED = "ended"  # hung up; the room takes nobody again


class Side(StrEnum):
    PATIENT = "patient"
    STAFF = "staff"


class CallRoom(Table):
    """One per appointment (unique), created when someone first opens it."""

    clinic = ForeignKey(references=Clinic, null=False)
    appointment = ForeignKey(references=Appointment, null=False, unique=True)
    state = Varchar(length=16, default=RoomState.EMPTY.value)
    # The patient's place in the queue: kept across refreshes (first arrival).
    arrived_at = Timestamptz(null=True, default=None)
    present = Boolean(default=False)  # a patient socket is open now
    ready = Boolean(default=False)  # a secretary checked the patient by phone
    accepted_at = Timestamptz(null=True, default=None)
    accepted_by = Integer(null=True, default=None)  # staff account id
    ended_at = Timestamptz(null=True, default=None)
    late_minutes = SmallInt(null=True, default=None)  # "Running late: about N minutes"


class CallMessage(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    appointment = ForeignKey(references=Appointment, null=False)
    side = Varchar(length=8)  # Side
    author = Varchar(length=200)  # the name shown
    body = Text()
    sent_at = Timestamptz()


class CallFile(Table):
    """Checked by content (PDF, PNG, JPEG), at most MAX_FILE_BYTES; served only to the
    appointment's link and the clinic's staff, as an attachment."""

    clinic = ForeignKey(references=Clinic, null=False)
    appointment = ForeignKey(references=Appointment, null=False)
    side = Varchar(length=8)
    author = Varchar(length=200)
    name = Varchar(length=200)  # cleaned for the Content-Disposition header
    media_type = Varchar(length=32)  # application/pdf | image/png | image/jpeg
    size = Integer()
    content = Bytea()
    key = Varchar(length=43, unique=True)  # unguessable, in the download URL
    shared_at = Timestamptz()
