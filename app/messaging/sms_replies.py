"""What a patient answers to our SMS (the provider's inbound webhook, app.messaging.
sms_webhook): YES/OUI confirms the appointment the latest reminder to that number was
about, STOP/ARRÊT turns that clinic's SMS off for the number, START turns them back on.

The platform sends from one number, so a reply names no clinic: it belongs to the
clinic that last texted that number (on a clinic's own host, only that clinic's texts
count). Each reply is acted on once: its MessageSid is claimed in the same transaction
as its effect, so the provider's retry or an attacker's replay changes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from app import clock
from app.booking.services import BookingService
from app.booking.tables import Appointment, AppointmentStatus
from app.db import write_transaction
from app.events import Actor, ActorKind, EventBus
from app.messaging.tables import InboundSms, Message, SmsOptOut

# Twilio's own opt-out and opt-in words (its Advanced Opt-Out defaults), and French ones.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "ARRET"}
)
START_WORDS = frozenset({"START", "UNSTOP"})
YES_WORDS = frozenset({"YES", "OUI"})
OPTED_OUT = "opted out"  # the dispatcher's last_error for an SMS it drops
SMS_PATIENT = Actor(ActorKind.PATIENT, label="SMS")
_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")  # E.164, as the provider sends From


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    NOTHING_TO_CONFIRM = "nothing_to_confirm"  # no reminder, or already confirmed/cancelled/past
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    UNKNOWN_NUMBER = "unknown_number"  # no SMS of ours ever went to it
    IGNORED = "ignored"  # a text we do not act on
    REPLAY = "replay"


@dataclass(frozen=True)
class Reply:
    message_sid: str
    sender: str  # the patient's number (From)
    body: str


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's X-Twilio-Signature: base64 of HMAC-SHA1, under the auth token, of the full
    URL followed by each POST parameter's name and value, sorted by name (then value)."""
    data = url
    for name in sorted({name for name, _ in params}):
        for value in sorted({value for key, value in params if key == name}):
            data += name + value
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed(auth_token: str, url: str, params: list[tuple[str, str]], header: str) -> bool:
    return bool(header) and hmac.compare_digest(
        signature(auth_token, url, params).encode(), header.encode("utf-8", "replace")
    )


def keyword(body: str) -> str:
    """The word a patient typed, as we compare it: " Arrêt. " and "arret" are ARRET,
    "Oui !" is OUI. Letters and digits only, accents dropped, upper case."""
    folded = unicodedata.normalize("NFKD", body[:200])
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).upper()


def _as_typed(body: str) -> str:
    """The STOP word as the patient typed it, for the file ("ARRÊT"): letters only."""
    return "".join(ch for ch in body[:40] if ch.isalpha()).upper()[:16]


def valid_number(value: str) -> bool:
    return bool(_NUMBER.fullmatch(value))


async def receive(reply: Reply, *, clinic_id: int | None, bus: EventBus) -> Outcome:
    """Act on a signed reply. `clinic_id`: the host's clinic, or None on the platform's
    host (the clinic is then the one that last texted this number)."""
    word = keyword(reply.body)
    latest = (
        await _latest_sms(reply.sender, clinic_id=clinic_id) if valid_number(reply.sender) else None
    )
    async with write_transaction():
        claimed = await (
            InboundSms.insert(
                InboundSms(
                    message_sid=reply.message_sid,
                    clinic=latest["clinic"] if latest else None,
                    outcome="",
                    received_at=clock.now(),
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(InboundSms.id)
        )
        if not claimed:
            return Outcome.REPLAY
        appointment_id = None
        if latest is None:
            outcome = Outcome.UNKNOWN_NUMBER
        elif word in STOP_WORDS:
            outcome = await _opt_out(latest["clinic"], reply.sender, reply.body)
        elif word in START_WORDS:
            outcome = await _opt_in(latest["clinic"], reply.sender)
        elif word in YES_WORDS:
            appointment_id, outcome = await _confirm(latest["clinic"], reply.sender, bus)
        else:
            outcome = Outcome.IGNORED
        await InboundSms.update(
            {InboundSms.outcome: outcome.value, InboundSms.appointment: appointment_id}
        ).where(InboundSms.id == claimed[0]["id"])
    return outcome


async def _latest_sms(number: str, *, clinic_id: int | None, kind: str | None = None):
    where = (Message.channel == "sms") & (Message.recipient == number) & (Message.status == "sent")
    if clinic_id is not None:
        where &= Message.clinic == clinic_id
    if kind is not None:
        where &= Message.kind == kind
    return await (
        Message.select(Message.id, Message.clinic, Message.appointment)
        .where(where)
        .order_by(Message.sent_at, ascending=False)
        .order_by(Message.id, ascending=False)
        .first()
    )


async def _opt_out(clinic_id: int, number: str, body: str) -> Outcome:
    await SmsOptOut.insert(
        SmsOptOut(
            clinic=clinic_id,
            phone=number,
            keyword=_as_typed(body),
            opted_out_at=clock.now(),
        )
    ).on_conflict(
        target=(SmsOptOut.clinic, SmsOptOut.phone),
        action="DO NOTHING",
    )
    return Outcome.OPTED_OUT


async def _opt_in(clinic_id: int, number: str) -> Outcome:
    await SmsOptOut.delete().where((SmsOptOut.clinic == clinic_id) & (SmsOptOut.phone == number))
    return Outcome.OPTED_IN


async def _confirm(clinic_id: int, number: str, bus: EventBus) -> tuple[int | None, Outcome]:
    """The appointment of the latest reminder this clinic texted to the number: confirmed
    through the engine (agenda, audit and live updates follow) while it is still booked
    and to come. An older reminder's appointment is never confirmed by a later YES."""
    reminder = await _latest_sms(number, clinic_id=clinic_id, kind="reminder")
    if reminder is None or reminder["appointment"] is None:
        return None, Outcome.NOTHING_TO_CONFIRM
    appointment_id = reminder["appointment"]
    row = await (
        Appointment.select(Appointment.starts_at, Appointment.status)
        .where((Appointment.id == appointment_id) & (Appointment.clinic == clinic_id))
        .first()
    )
    if row is None or row["status"] != AppointmentStatus.BOOKED or row["starts_at"] <= clock.now():
        return appointment_id, Outcome.NOTHING_TO_CONFIRM
    done = await BookingService(clinic_id=clinic_id, bus=bus).set_status(
        appointment_id=appointment_id,
        status=AppointmentStatus.CONFIRMED,
        from_statuses=(AppointmentStatus.BOOKED,),
        actor=SMS_PATIENT,
    )
    return appointment_id, Outcome.CONFIRMED if done.ok else Outcome.NOTHING_TO_CONFIRM


async def opted_out(clinic_id: int, number: str) -> bool:
    """Whether this clinic must not text this number (the dispatcher asks before each SMS)."""
    return await SmsOptOut.exists().where(
        (SmsOptOut.clinic == clinic_id) & (SmsOptOut.phone == number)
    )


async def opt_outs_of(clinic_id: int, numbers: list[str]) -> dict[str, dict]:
    """number → its opt-out row, for the numbers of a file (the staff patient page)."""
    if not numbers:
        return {}
    rows = await SmsOptOut.select().where(
        (SmsOptOut.clinic == clinic_id) & SmsOptOut.phone.is_in(numbers)
    )
    return {row["phone"]: row for row in rows}
