"""Offering freed slots to the waiting patients (SPEC: earlier-slot offers).

`match(clinic_id)` looks, in order of request, for the earliest slot each waiting
request could book (the service's slots at its site, as the wizard offers them, before
its date limit, and before the appointment it is tied to), and offers it: up to
PER_SLOT requests are told of one slot at once, the first to follow the link books it.
A request has one open offer at a time, at most DAILY messages a day (offers and "it
went" notices alike, so a slot freed and taken all day long cannot flood anyone) and
TOTAL offers in all. Nothing is offered during the clinic's quiet hours: the sweep
offers in the morning what is still free.

It runs after a cancellation or a move commits (a slot freed), after a schedule change
(new slots), and from the periodic sweep (publication times passing, the morning after
quiet hours, date limits). One match at a time per clinic (an advisory lock on
PostgreSQL; SQLite's IMMEDIATE transactions queue writers), and the unique index of one
open offer per request backs it up."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from app import clock
from app.booking.tables import Appointment, AppointmentStatus
from app.db import is_postgres, write_transaction
from app.messaging import earlier_slots
from app.messaging.planner import after_quiet_hours
from app.messaging.tables import Message
from app.portal.availability import bookable_slots
from app.scheduling.tables import Slot
from app.waitlist import links
from app.waitlist.tables import Offer, OfferOutcome, WaitRequest, WaitStatus
from tenants.tables import Clinic

log = logging.getLogger("app.waitlist")
PER_SLOT = 5
DAILY = 3
TOTAL = 10
LOOK_AHEAD = 5  # slots read per request: the first one not already offered to 5 wins


@dataclass(frozen=True)
class Night:
    time_zone: str
    start: time
    end: time

    def quiet(self, moment: datetime) -> bool:
        return (
            after_quiet_hours(moment, time_zone=self.time_zone, start=self.start, end=self.end)
            != moment
        )

    def morning(self, moment: datetime) -> datetime:
        return after_quiet_hours(moment, time_zone=self.time_zone, start=self.start, end=self.end)

    def day_start(self, moment: datetime) -> datetime:
        zone = ZoneInfo(self.time_zone)
        return datetime.combine(moment.astimezone(zone).date(), time(0), tzinfo=zone)

    def today(self, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self.time_zone)).date()


async def night_of(clinic_id: int) -> Night:
    row = (
        await Clinic.select(Clinic.time_zone, Clinic.quiet_hours_start, Clinic.quiet_hours_end)
        .where(Clinic.id == clinic_id)
        .first()
    )
    return Night(row["time_zone"], row["quiet_hours_start"], row["quiet_hours_end"])


async def messages_today(clinic_id: int, request_ids: list[int], since: datetime) -> Counter:
    """Messages each request was sent since the local midnight: offers and "it went"."""
    counts: Counter = Counter()
    if not request_ids:
        return counts
    rows = await Offer.select(Offer.request, Offer.sent_at, Offer.taken_notice_at).where(
        (Offer.clinic == clinic_id)
        & Offer.request.is_in(request_ids)
        & ((Offer.sent_at >= since) | (Offer.taken_notice_at >= since))
    )
    for row in rows:
        counts[row["request"]] += (row["sent_at"] >= since) + bool(
            row["taken_notice_at"] and row["taken_notice_at"] >= since
        )
    return counts


async def _lock(clinic_id: int) -> None:
    if is_postgres():
        await Slot.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"waitlist:{clinic_id}")


async def match(clinic_id: int) -> int:
    """Make the offers due now in this clinic; returns how many."""
    now = clock.now()
    night = await night_of(clinic_id)
    if night.quiet(now):
        return 0
    today = night.today(now)
    async with write_transaction():
        await _lock(clinic_id)
        await _tidy(clinic_id, now, today)
        waiting = (
            await WaitRequest.select(
                WaitRequest.id,
                WaitRequest.site,
                WaitRequest.service,
                WaitRequest.patient,
                WaitRequest.appointment,
                WaitRequest.channel,
                WaitRequest.language,
                WaitRequest.until,
                WaitRequest.offers_made,
            )
            .where(
                (WaitRequest.clinic == clinic_id) & (WaitRequest.status == WaitStatus.WAITING.value)
            )
            .order_by(WaitRequest.created_at)
            .order_by(WaitRequest.id)
        )
        if not waiting:
            return 0
        open_offers = await Offer.select(Offer.request, Offer.slot).where(
            (Offer.clinic == clinic_id) & (Offer.outcome == OfferOutcome.OPEN.value)
        )
        busy = {row["request"] for row in open_offers}
        told = Counter(row["slot"] for row in open_offers)
        sent = await messages_today(clinic_id, [r["id"] for r in waiting], night.day_start(now))
        tied = await _tied_starts(
            clinic_id, [r["appointment"] for r in waiting if r["appointment"]]
        )
        made = 0
        for request in waiting:
            if request["id"] in busy or sent[request["id"]] >= DAILY:
                continue
            if request["offers_made"] >= TOTAL:
                continue
            before = tied.get(request["appointment"]) if request["appointment"] else None
            if request["appointment"] and before is None:
                continue  # its appointment is gone: the cancellation's listener ends it
            slot = await _first_slot(clinic_id, request, before, told, night)
            if slot is None:
                continue
            await _offer(clinic_id, request, slot, now)
            told[slot] += 1
            made += 1
    return made


async def _tidy(clinic_id: int, now: datetime, today: date) -> None:
    """Requests past their date limit, or with all their offers, end; offers whose slot
    has started expire."""
    await WaitRequest.update(
        {WaitRequest.status: WaitStatus.ENDED.value, WaitRequest.ended_at: now}
    ).where(
        (WaitRequest.clinic == clinic_id)
        & (WaitRequest.status == WaitStatus.WAITING.value)
        & ((WaitRequest.until < today) | (WaitRequest.offers_made >= TOTAL))
    )
    started = await Slot.select(Slot.id).where(
        (Slot.clinic == clinic_id)
        & (Slot.starts_at <= now)
        & Slot.id.is_in(
            Offer.select(Offer.slot).where(
                (Offer.clinic == clinic_id) & (Offer.outcome == OfferOutcome.OPEN.value)
            )
        )
    )
    if started:
        await Offer.update({Offer.outcome: OfferOutcome.EXPIRED.value, Offer.closed_at: now}).where(
            (Offer.clinic == clinic_id)
            & (Offer.outcome == OfferOutcome.OPEN.value)
            & Offer.slot.is_in([row["id"] for row in started])
        )


async def _tied_starts(clinic_id: int, appointment_ids: list[int]) -> dict[int, datetime]:
    if not appointment_ids:
        return {}
    rows = await Appointment.select(Appointment.id, Appointment.starts_at).where(
        (Appointment.clinic == clinic_id)
        & Appointment.id.is_in(appointment_ids)
        & (Appointment.status != AppointmentStatus.CANCELLED)
    )
    return {row["id"]: row["starts_at"] for row in rows}


async def _first_slot(
    clinic_id: int, request: dict, before: datetime | None, told: Counter, night: Night
) -> int | None:
    found = await bookable_slots(
        clinic_id=clinic_id,
        service_id=request["service"],
        patient_id=request["patient"],
        site_id=request["site"],
        limit=LOOK_AHEAD,
    )
    for slot in found:
        if night.today(slot.starts_at) > request["until"]:
            break
        if before is not None and slot.starts_at >= before:
            break
        if told[slot.slot_id] < PER_SLOT:
            return slot.slot_id
    return None


async def _offer(clinic_id: int, request: dict, slot_id: int, now: datetime) -> None:
    rows = await (
        Offer.insert(
            Offer(
                clinic=clinic_id,
                request=request["id"],
                slot=slot_id,
                outcome=OfferOutcome.OPEN.value,
                nonce=links.new_nonce(),
                sent_at=now,
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(Offer.id)
    )
    if not rows:
        return
    await WaitRequest.update({WaitRequest.offers_made: WaitRequest.offers_made + 1}).where(
        (WaitRequest.id == request["id"]) & (WaitRequest.clinic == clinic_id)
    )
    await _message(clinic_id, rows[0]["id"], request, earlier_slots.OFFER, due=now, now=now)


async def _message(
    clinic_id: int, offer_id: int, request: dict, kind: str, *, due: datetime, now: datetime
) -> None:
    await Message.insert(
        Message(
            clinic=clinic_id,
            kind=kind,
            channel=request["channel"],
            language=request["language"],
            due_at=due,
            next_attempt_at=due,
            idempotency_key=earlier_slots.key(offer_id, kind, request["channel"]),
            status="pending",
            created_at=now,
        )
    ).on_conflict(action="DO NOTHING")


async def slot_taken(clinic_id: int, slot_id: int, *, winner: int | None) -> None:
    """The slot was booked (through an offer: `winner`, or otherwise): the winner's
    offer and request are done; every other open offer of it closes, and its patient is
    told it went, unless that would be a fourth message today (the link's page says
    so too). Called inside the booking's transaction."""
    now = clock.now()
    open_offers = await Offer.select(
        Offer.id,
        Offer.request,
        Offer.request.channel.as_alias("channel"),
        Offer.request.language.as_alias("language"),
    ).where(
        (Offer.clinic == clinic_id)
        & (Offer.slot == slot_id)
        & (Offer.outcome == OfferOutcome.OPEN.value)
    )
    if not open_offers:
        return
    night = await night_of(clinic_id)
    losers = [row for row in open_offers if row["id"] != winner]
    sent = await messages_today(clinic_id, [row["request"] for row in losers], night.day_start(now))
    for row in open_offers:
        if row["id"] == winner:
            await Offer.update(
                {Offer.outcome: OfferOutcome.BOOKED.value, Offer.closed_at: now}
            ).where(Offer.id == row["id"])
            await WaitRequest.update(
                {WaitRequest.status: WaitStatus.BOOKED.value, WaitRequest.ended_at: now}
            ).where((WaitRequest.id == row["request"]) & (WaitRequest.clinic == clinic_id))
            continue
        notice = sent[row["request"]] < DAILY
        await Offer.update(
            {
                Offer.outcome: OfferOutcome.TAKEN.value,
                Offer.closed_at: now,
                Offer.taken_notice_at: now if notice else None,
            }
        ).where(Offer.id == row["id"])
        if notice:
            await _message(
                clinic_id,
                row["id"],
                row,
                earlier_slots.TAKEN,
                due=night.morning(now),
                now=now,
            )


async def sweep() -> int:
    """Every clinic with someone waiting: what the events did not cause (new publication
    times, the morning after quiet hours, date limits)."""
    clinics = (
        await WaitRequest.select(WaitRequest.clinic)
        .where(WaitRequest.status == WaitStatus.WAITING.value)
        .distinct()
    )
    made = 0
    for row in clinics:
        try:
            made += await match(row["clinic"])
        except Exception:  # noqa: BLE001 - one clinic's failure must not stop the others
            log.exception("earlier-slot matching failed for clinic %s", row["clinic"])
    return made
