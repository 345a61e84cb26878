"""Earlier-slot offers: a patient's wish to hear of an earlier appointment, and each offer
of a freed slot made to it. Every row carries its clinic, and every read filters on it."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, Date, ForeignKey, SmallInt, Timestamptz, Varchar
from piccolo.table import Table

from app.booking.tables import Appointment
from app.online_services.tables import OnlineService
from app.patients.tables import Patient
from app.scheduling.tables import Slot
from tenants.tables import Clinic, WorkSite


class WaitStatus(StrEnum):
    WAITING = "waiting"
    BOOKED = "booked"  # an offer was taken, or the patient booked otherwise
    STOPPED = "stopped"  # "Stop these messages"
    CANCELLED = "cancelled"  # the appointment it was tied to was cancelled
    ENDED = "ended"  # its date limit passed, or it had all its offers


class OfferOutcome(StrEnum):
    OPEN = "open"  # sent, the slot still free as far as we know
    BOOKED = "booked"  # this patient took it
    TAKEN = "taken"  # someone else did, or it closed
    EXPIRED = "expired"  # its time came, or the request ended


class WaitRequest(Table):
    """Who waits (a file, or an unidentified contact with what they typed), for which
    service at which site, until which day (clinic local date, included), and where to
    tell them. Tied to `appointment` when asked after booking: an offer is then a move."""

    clinic = ForeignKey(references=Clinic, null=False)
    site = ForeignKey(references=WorkSite, null=False)
    service = ForeignKey(references=OnlineService, null=False)
    patient = ForeignKey(references=Patient, null=True, default=None)
    appointment = ForeignKey(references=Appointment, null=True, default=None)
    provisional = JSON(null=True, default=None)  # step 1 as typed, for a booking without file
    channel = Varchar(length=8)  # email | sms
    address = Varchar(length=254)  # the email or E.164 cell the patient chose
    contact_email = Varchar(length=254, null=True, default=None)
    contact_phone = Varchar(length=32, null=True, default=None)
    language = Varchar(length=2, default="fr")
    until = Date()
    status = Varchar(length=16, default=WaitStatus.WAITING.value, index=True)
    nonce = Varchar(length=32)  # signs its stop link
    offers_made = SmallInt(default=0)
    created_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)


class Offer(Table):
    """One freed slot offered to one request. `nonce` signs the link in the message."""

    clinic = ForeignKey(references=Clinic, null=False)
    request = ForeignKey(references=WaitRequest, null=False, index=True)
    slot = ForeignKey(references=Slot, null=False, index=True)
    outcome = Varchar(length=16, default=OfferOutcome.OPEN.value)
    nonce = Varchar(length=32)
    sent_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    taken_notice_at = Timestamptz(null=True, default=None)  # "it went" planned for this patient
