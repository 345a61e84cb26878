"""Asking to hear of an earlier appointment, and the ways a request ends.

A request is asked on the wizard's availabilities step (nothing fits) or on its last
page (then it is tied to the appointment just booked, and an offer is a move). It ends
when the patient books (an offer, or the wizard again for the same service), cancels
the appointment it is tied to, follows "Stop these messages", or its date limit passes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from app import clock, i18n
from app.booking.sessions import BookingSessionView
from app.db import write_transaction
from app.i18n import N_
from app.waitlist import links
from app.waitlist.tables import Offer, OfferOutcome, WaitRequest, WaitStatus

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FURTHEST = timedelta(days=366)  # a date limit further than this is a typo
CHANNEL_LABELS = {"email": N_("By email"), "sms": N_("By text message")}


@dataclass(frozen=True)
class Ask:
    until: date
    channel: str
    address: str


def channels_of(session: BookingSessionView) -> dict[str, str]:
    """Where this patient may be told: the contacts typed at step 1."""
    found = {"email": session.identity.email, "sms": session.identity.cell_phone}
    return {channel: value for channel, value in found.items() if value}


def parse_ask(
    data: dict[str, str], *, today: date, channels: dict[str, str]
) -> tuple[Ask | None, dict[str, str]]:
    errors: dict[str, str] = {}
    raw = data.get("until", "").strip()
    until = None
    try:
        # ASCII YYYY-MM-DD only: fromisoformat also reads "2026-W49-1" and "20261201xx".
        until = date.fromisoformat(raw) if ISO_DAY.fullmatch(raw) else None
    except ValueError:
        until = None
    if not raw:
        errors["until"] = i18n.gettext("Enter the last day that would suit you.")
    elif until is None:
        errors["until"] = i18n.gettext("Enter a date such as 2026-12-31.")
    elif until < today:
        errors["until"] = i18n.gettext("This date has passed.")
    elif until > today + FURTHEST:
        errors["until"] = i18n.gettext("Choose a date within a year.")
    channel = data.get("channel", "")
    if not channels:
        errors["channel"] = i18n.gettext("We have no email or cell phone to tell you.")
    elif channel not in channels:
        errors["channel"] = i18n.gettext("Choose how we should tell you.")
    if errors:
        return None, errors
    return Ask(until=until, channel=channel, address=channels[channel]), {}


async def ask(*, session: BookingSessionView, form: Ask, appointment_id: int | None = None) -> int:
    """The request, or the same person's waiting one for this service and site brought
    up to date (asking twice keeps one place in the queue, the first)."""
    now = clock.now()
    same = (
        (WaitRequest.clinic == session.clinic_id)
        & (WaitRequest.site == session.site_id)
        & (WaitRequest.service == session.service_id)
        & (WaitRequest.status == WaitStatus.WAITING.value)
        & _same_person(session)
    )
    same &= (
        WaitRequest.appointment.is_null()
        if appointment_id is None
        else (WaitRequest.appointment == appointment_id)
    )
    async with write_transaction():
        found = await WaitRequest.select(WaitRequest.id).where(same).first()
        if found:
            await WaitRequest.update(
                {
                    WaitRequest.until: form.until,
                    WaitRequest.channel: form.channel,
                    WaitRequest.address: form.address,
                }
            ).where(WaitRequest.id == found["id"])
            return found["id"]
        rows = await WaitRequest.insert(
            WaitRequest(
                clinic=session.clinic_id,
                site=session.site_id,
                service=session.service_id,
                patient=session.patient_id,
                appointment=appointment_id,
                provisional=None if session.patient_id else session.identity.as_typed,
                channel=form.channel,
                address=form.address,
                contact_email=session.identity.email,
                contact_phone=session.identity.cell_phone,
                language=session.language,
                until=form.until,
                status=WaitStatus.WAITING.value,
                nonce=links.new_nonce(),
                created_at=now,
            )
        ).returning(WaitRequest.id)
        return rows[0]["id"]


def _same_person(session: BookingSessionView):
    """The file, or (without one) the same contacts typed."""
    if session.patient_id:
        return WaitRequest.patient == session.patient_id
    condition = WaitRequest.patient.is_null()
    for column, value in (
        (WaitRequest.contact_email, session.identity.email),
        (WaitRequest.contact_phone, session.identity.cell_phone),
    ):
        condition &= column.is_null() if value is None else (column == value)
    return condition


async def end(*, clinic_id: int, where, status: WaitStatus) -> list[int]:
    """End the waiting requests `where` selects (within the clinic), and their open offers."""
    now = clock.now()
    async with write_transaction():
        ended = await (
            WaitRequest.update({WaitRequest.status: status.value, WaitRequest.ended_at: now})
            .where(
                (WaitRequest.clinic == clinic_id)
                & (WaitRequest.status == WaitStatus.WAITING.value)
                & where
            )
            .returning(WaitRequest.id)
        )
        ids = [row["id"] for row in ended]
        if ids:
            await Offer.update(
                {Offer.outcome: OfferOutcome.EXPIRED.value, Offer.closed_at: now}
            ).where(
                (Offer.clinic == clinic_id)
                & Offer.request.is_in(ids)
                & (Offer.outcome == OfferOutcome.OPEN.value)
            )
    return ids


async def stop(*, clinic_id: int, request_id: int) -> None:
    await end(clinic_id=clinic_id, where=WaitRequest.id == request_id, status=WaitStatus.STOPPED)
