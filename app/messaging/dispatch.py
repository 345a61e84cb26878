"""Delivering the outbox: claim due messages, send each once, record what happened.

A claim is one conditional UPDATE that marks rows `sending` with a lease (and, on
PostgreSQL, skips rows another worker has locked), so two workers never take the
same message. A worker killed mid-send leaves its rows `sending`; when the lease
lapses another worker takes them again, so nothing is lost. The provider's id is
recorded in the same write that marks the message sent. Between the provider
accepting a message and that write, a crash can still cause one resend: email
carries the same Message-ID each time so it can be recognised downstream.

A message is about an appointment (read when it goes, so it says what is true then, to
whom app.patients.contacts says), or carries a one-time code to the address it was asked
for (app.messaging.one_time_codes)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment

from app import clock
from app.booking.links import GRACE, details_path, make_token, my_path, pay_path, room_path
from app.booking.tables import AppointmentStatus
from app.booking.views import AppointmentView, appointment_views
from app.db import is_postgres, write_transaction
from app.messaging import consultation_end, earlier_slots, one_time_codes, sms_replies
from app.messaging.content import Rendered, render, render_code
from app.messaging.email import SmtpSender, build_email, parse_smtp_url
from app.messaging.planner import LATER, REMINDERS, after_quiet_hours
from app.messaging.recipients import Purpose, Recipients, recipients_of
from app.messaging.sms import ProviderError, TwilioConfig, TwilioSender, segments
from app.messaging.tables import Message, OneTimeCode
from app.metrics import DELIVERIES
from app.settings import Settings
from tenants.tables import Clinic

log = logging.getLogger("app.messaging")

LEASE = timedelta(minutes=2)
# With the backoff below, 32 attempts span a little over a day; a message whose
# appointment starts meanwhile is dropped as stale before that.
MAX_ATTEMPTS = 32
BATCH = 100
CONCURRENCY = 20


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at one hour: a server down for a day still gets its mail."""
    return timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 3600))


class DevSender:
    """No provider configured: the message is kept in the outbox, readable on the dev page."""

    name = "dev"

    async def send(self, *args, **kwargs) -> str:
        return f"dev-{uuid.uuid4().hex[:12]}"


@dataclass
class Senders:
    email: SmtpSender | DevSender
    sms: TwilioSender | DevSender

    @classmethod
    def from_settings(cls, settings: Settings) -> "Senders":
        email = (
            SmtpSender(parse_smtp_url(settings.smtp_url, settings.email_from))
            if settings.smtp_url
            else DevSender()
        )
        sms = (
            TwilioSender(
                TwilioConfig(
                    settings.sms.url,
                    settings.sms.account_sid,
                    settings.sms.auth_token,
                    settings.sms.sender,
                )
            )
            if settings.sms
            else DevSender()
        )
        return cls(email=email, sms=sms)


_CLAIM = """
UPDATE message SET status = 'sending', claimed_by = {}, claimed_until = {}, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM message
    WHERE status IN ('pending', 'sending') AND next_attempt_at <= {}
      AND (status = 'pending' OR claimed_until < {})
    ORDER BY next_attempt_at
    LIMIT {} %s
)
RETURNING id
"""


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        env: Environment,
        senders: Senders | None = None,
        worker: str | None = None,
    ) -> None:
        self.settings = settings
        self.env = env
        self.senders = senders or Senders.from_settings(settings)
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.writes = _GroupCommit()

    async def close(self) -> None:
        """Close the connections kept open between messages (mail server, SMS provider)."""
        if isinstance(self.senders.email, SmtpSender):
            await self.senders.email.close()
        if isinstance(self.senders.sms, TwilioSender):
            await self.senders.sms.client.aclose()

    async def claim(self, limit: int = BATCH) -> list[int]:
        now = clock.now()
        sql = _CLAIM % ("FOR UPDATE SKIP LOCKED" if is_postgres() else "")
        rows = await Message.raw(sql, self.worker, now + LEASE, now, now, limit)
        return [row["id"] for row in rows]

    async def run_once(self, limit: int = BATCH) -> int:
        """Claim one batch and deliver it; returns how many were claimed."""
        claimed = await self.claim(limit)
        # CONCURRENCY messages at a time, each group read just before it goes.
        for start in range(0, len(claimed), CONCURRENCY):
            await self.deliver(*claimed[start : start + CONCURRENCY])
        return len(claimed)

    async def run_until_idle(self, max_batches: int = 1000) -> int:
        total = 0
        for _ in range(max_batches):
            done = await self.run_once()
            total += done
            if not done:
                break
        return total

    async def deliver(self, *message_ids: int) -> None:
        """Deliver these claimed messages at once. Their rows, appointments, clinics and
        recipients are read in a few queries for the group rather than five per message."""
        rows = await Message.select().where(
            Message.id.is_in(list(message_ids)) & (Message.claimed_by == self.worker)
        )
        # A row no longer ours or no longer sending: our lease lapsed and another worker took it.
        messages = [row for row in rows if row["status"] == "sending"]
        if not messages:
            return
        try:
            facts = await _Facts.read(messages)
        except Exception:  # noqa: BLE001 - each message then fails on its own, as below
            log.exception("messages %s could not be read", [m["id"] for m in messages])
            facts = None
        await asyncio.gather(*(self._deliver_one(message, facts) for message in messages))

    async def _deliver_one(self, message: dict, facts: "_Facts | None") -> None:
        try:
            if facts is None:
                raise RuntimeError("what the message is about could not be read")
            await self._deliver(message, facts)
        except ProviderError as error:
            await self._failed(message, str(error), transient=error.transient)
        except Exception as error:  # noqa: BLE001 - a bug must not stop the other messages
            log.exception("message %s could not be prepared", message["id"])
            await self._failed(message, f"{type(error).__name__}: {error}", transient=True)

    async def _deliver(self, message: dict, facts: "_Facts") -> None:
        now = clock.now()
        if message["kind"] == one_time_codes.KIND:
            prepare = self._code
        elif message["kind"] in earlier_slots.KINDS:
            prepare = self._earlier
        else:
            prepare = self._about_appointment
        prepared = prepare(message, facts, now)
        if isinstance(prepared, str):
            await self._finish(message, {Message.status: "dropped", Message.last_error: prepared})
            return
        address, content, kept = prepared
        if message["channel"] == "sms" and await sms_replies.opted_out(message["clinic"], address):
            # The number answered STOP to this clinic: nothing more until it answers START.
            await self._finish(
                message, {Message.status: "dropped", Message.last_error: sms_replies.OPTED_OUT}
            )
            return
        clinic = facts.clinics[message["clinic"]]
        if message["channel"] == "email":
            sender_address = getattr(
                getattr(self.senders.email, "config", None), "sender", self.settings.email_from
            )
            email = build_email(
                sender_name=clinic["name"],
                sender=sender_address,
                to=address,
                subject=content.subject,
                text=content.text,
                html=content.html,
                message_key=message["idempotency_key"],
                ics=content.ics,
            )
            provider_id = await self.senders.email.send(email)
            sent = {Message.subject: kept.subject, Message.body: kept.text}
        else:
            provider_id = await self.senders.sms.send(to=address, body=content.sms)
            sent = {Message.body: kept.sms, Message.segments: segments(content.sms).count}
        await self._finish(
            message,
            {
                Message.status: "sent",
                Message.provider: self._sender(message).name,
                Message.provider_id: provider_id,
                Message.recipient: address,
                Message.sent_at: clock.now(),
                Message.last_error: "",
                **sent,
            },
        )

    def _sender(self, message: dict) -> "SmtpSender | TwilioSender | DevSender":
        return self.senders.email if message["channel"] == "email" else self.senders.sms

    def _about_appointment(
        self, message: dict, facts: "_Facts", now: datetime
    ) -> "tuple[str, Rendered, Rendered] | str":
        """(address, content, what the outbox keeps of it), or why the message is dropped."""
        view = facts.views.get((message["clinic"], message["appointment"]))
        reason = _stale(message, view, now)
        if reason:
            return reason
        clinic = facts.clinics[message["clinic"]]
        who = facts.recipients[(message["clinic"], message["appointment"], _purpose(message))]
        address = who.email if message["channel"] == "email" else who.phone
        if not address:
            return "no contact on this channel"
        token = make_token(self.settings.secret_key, view.id, view.ends_at)
        details_url = self.settings.clinic_url(clinic["slug"]) + details_path(token)
        # A call in our own video room: the messages lead to its waiting room as well.
        room_url = (
            self.settings.clinic_url(clinic["slug"]) + room_path(token)
            if view.in_video_room
            else ""
        )
        content = render(
            self.env,
            kind=message["kind"],
            view=view,
            clinic=clinic,
            language=message["language"],
            details_url=details_url,
            room_url=room_url,
            now=now,
            brief=address in who.brief,
            my_url=self.settings.clinic_url(clinic["slug"]) + my_path(view.site.slug),
            **_after_call(
                facts, message, base=self.settings.clinic_url(clinic["slug"]), token=token
            ),
        )
        return address, content, content

    def _code(
        self, message: dict, facts: "_Facts", now: datetime
    ) -> "tuple[str, Rendered, Rendered] | str":
        """A one-time code goes to the address it was asked for; the outbox keeps it masked,
        except on the dev outbox, the only place a developer can read it."""
        code = facts.codes.get((message["clinic"], message["one_time_code"]))
        if code is None or code["used_at"] is not None or code["expires_at"] <= now:
            return "code expired or replaced"
        clinic = facts.clinics[message["clinic"]]

        left = max(
            1, int((code["expires_at"] - now).total_seconds() // 60)
        )  # a retried message says less

        def content(digits: str) -> Rendered:
            return render_code(
                self.env, code=digits, clinic=clinic, language=message["language"], minutes=left
            )

        sent = content(one_time_codes.code_for(self.settings.secret_key, code["nonce"]))
        kept = (
            sent
            if isinstance(self._sender(message), DevSender)
            else content("•" * one_time_codes.LENGTH)
        )
        return message["recipient"], sent, kept

    def _earlier(
        self, message: dict, facts: "_Facts", now: datetime
    ) -> "tuple[str, Rendered, Rendered] | str":
        """An earlier-slot offer, or its "it went", to the address the patient chose."""
        offer = facts.offers.get(
            (message["clinic"], earlier_slots.offer_of(message["idempotency_key"]))
        )
        reason = earlier_slots.stale(message["kind"], offer, now)
        if reason:
            return reason
        clinic = facts.clinics[message["clinic"]]
        made = earlier_slots.render(
            self.env,
            kind=message["kind"],
            facts=offer,
            clinic=clinic,
            language=message["language"],
            base_url=self.settings.clinic_url(clinic["slug"]),
            secret=self.settings.secret_key,
        )
        content = Rendered(made.subject, made.text, made.html, made.sms, None)
        return offer.address, content, content

    async def _failed(self, message: dict, error: str, *, transient: bool) -> None:
        if transient and message["attempts"] < MAX_ATTEMPTS:
            retry = clock.now() + backoff(message["attempts"])
            if message["kind"] in (*REMINDERS, *earlier_slots.KINDS):
                # A retried reminder (or offer) waits for morning like the first attempt did.
                night = (
                    await Clinic.select(
                        Clinic.time_zone, Clinic.quiet_hours_start, Clinic.quiet_hours_end
                    )
                    .where(Clinic.id == message["clinic"])
                    .first()
                )
                retry = after_quiet_hours(
                    retry,
                    time_zone=night["time_zone"],
                    start=night["quiet_hours_start"],
                    end=night["quiet_hours_end"],
                )
            # Only while still ours to send: a message re-planned meanwhile stays dropped.
            await self._finish(
                message,
                {
                    Message.status: "pending",
                    Message.next_attempt_at: retry,
                    Message.last_error: error,
                },
                still_sending=True,
            )
        else:
            await self._finish(
                message, {Message.status: "failed", Message.last_error: error}, still_sending=True
            )

    async def _finish(self, message: dict, values: dict, *, still_sending: bool = False) -> None:
        # Every attempt ends here: the one place deliveries are counted.
        status = values[Message.status]
        DELIVERIES.labels(message["channel"], "retry" if status == "pending" else status).inc()
        mine = (Message.id == message["id"]) & (Message.claimed_by == self.worker)
        if still_sending:
            mine &= Message.status == "sending"
        await self.writes.run(
            Message.update({**values, Message.claimed_by: None, Message.claimed_until: None}).where(
                mine
            )
        )


class _GroupCommit:
    """The dispatcher's writes, committed together: those asked for while a transaction
    is under way go in the next one. Each caller still returns once its own write is
    committed, so a message is marked sent as promptly as before, but a group of
    deliveries costs one transaction instead of one each (on SQLite, one connection and
    one turn of the write lock instead of a queue of them)."""

    def __init__(self) -> None:
        self._queue: list[tuple[Any, asyncio.Future]] = []
        self._task: asyncio.Task | None = None

    async def run(self, query: Any) -> None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.append((query, future))
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        while self._queue:
            group, self._queue = self._queue, []
            try:
                async with write_transaction():
                    for query, _ in group:
                        await query
            except Exception:  # noqa: BLE001 - retried one by one below
                # Each alone, so a write that fails fails only its own message.
                for query, future in group:
                    try:
                        await query
                    except Exception as error:  # noqa: BLE001 - handed to its caller
                        _settle(future, error)
                    else:
                        _settle(future)
            else:
                for _, future in group:
                    _settle(future)


def _settle(future: asyncio.Future, error: Exception | None = None) -> None:
    if future.done():  # its caller was cancelled meanwhile; the write stands
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _after_call(facts: "_Facts", message: dict, *, base: str, token: str) -> dict:
    """The end-of-consultation message's links: "Pay" (our page, which leads to the
    provider's checkout) while a payment is due, and each document shared in the call,
    under the same link as the details page (so they last as long as it does)."""
    if message["kind"] != consultation_end.KIND:
        return {}
    after = facts.after_calls[(message["clinic"], message["appointment"])]
    return {
        "pay_url": base + pay_path(token) if after.amount_cents is not None else "",
        "amount_cents": after.amount_cents,
        "currency": after.currency,
        "documents": tuple(
            (document.name, f"{base}{room_path(token)}/files/{document.key}")
            for document in after.documents
        ),
    }


def _purpose(message: dict) -> Purpose:
    return Purpose.CONFIRMATION if message["kind"] == "confirmation" else Purpose.REMINDER


@dataclass
class _Facts:
    """What a group of messages needs from the database, keyed by clinic so that one
    clinic's message never reads another clinic's appointment or code."""

    views: dict[tuple[int, int], AppointmentView]  # (clinic, appointment)
    clinics: dict[int, dict]
    recipients: dict[tuple[int, int, str], Recipients]  # (clinic, appointment, purpose)
    codes: dict[tuple[int, int], dict]  # (clinic, one-time code) → its row
    # (clinic, appointment) → what the call left, for end-of-consultation messages
    after_calls: dict[tuple[int, int], consultation_end.AfterCall]
    offers: dict[tuple[int, int | None], earlier_slots.OfferFacts]  # (clinic, offer)

    @classmethod
    async def read(cls, messages: list[dict]) -> "_Facts":
        wanted: dict[int, set[int]] = {}
        purposes: dict[tuple[int, str], set[int]] = {}
        codes: dict[int, set[int]] = {}
        offers: dict[int, set[int]] = {}
        for message in messages:
            if message["kind"] in earlier_slots.KINDS:
                offer_id = earlier_slots.offer_of(message["idempotency_key"])
                offers.setdefault(message["clinic"], set()).update(
                    [offer_id] if offer_id is not None else []
                )
                continue
            if message["kind"] == one_time_codes.KIND:
                codes.setdefault(message["clinic"], set())
                if message["one_time_code"] is not None:
                    codes[message["clinic"]].add(message["one_time_code"])
                continue
            wanted.setdefault(message["clinic"], set()).add(message["appointment"])
            purposes.setdefault((message["clinic"], _purpose(message)), set()).add(
                message["appointment"]
            )
        facts = cls(views={}, clinics={}, recipients={}, codes={}, after_calls={}, offers={})
        for clinic_id, offer_ids in offers.items():
            found = await earlier_slots.offer_facts(clinic_id, list(offer_ids))
            facts.offers.update(((clinic_id, offer_id), f) for offer_id, f in found.items())
        for message in messages:
            if message["kind"] == consultation_end.KIND:
                where = (message["clinic"], message["appointment"])
                if where not in facts.after_calls:
                    facts.after_calls[where] = await consultation_end.after_call(
                        clinic_id=message["clinic"], appointment_id=message["appointment"]
                    )
        for clinic_id, appointment_ids in wanted.items():
            views = await appointment_views(
                clinic_id=clinic_id, appointment_ids=list(appointment_ids)
            )
            facts.views.update(
                ((clinic_id, appointment_id), view) for appointment_id, view in views.items()
            )
        for clinic_id, code_ids in codes.items():
            if code_ids:
                for row in await OneTimeCode.select().where(
                    OneTimeCode.id.is_in(list(code_ids)) & (OneTimeCode.clinic == clinic_id)
                ):
                    facts.codes[(clinic_id, row["id"])] = row
        for clinic in await Clinic.select().where(
            Clinic.id.is_in(list(wanted.keys() | codes.keys() | offers.keys()))
        ):
            facts.clinics[clinic["id"]] = clinic
        for (clinic_id, purpose), appointment_ids in purposes.items():
            found = await recipients_of(
                clinic_id=clinic_id, appointment_ids=list(appointment_ids), purpose=purpose
            )
            facts.recipients.update(
                ((clinic_id, appointment_id, purpose), who) for appointment_id, who in found.items()
            )
        return facts


def _stale(message: dict, view: AppointmentView | None, now: datetime) -> str:
    """Why a message no longer makes sense, or '' when it does."""
    if view is None:
        return "appointment not found"
    if view.status is AppointmentStatus.CANCELLED and message["kind"] != "cancellation":
        return "appointment cancelled"
    if message["kind"] == consultation_end.KIND:
        # It follows the call: it goes after the start, while its links still work.
        return "its links have expired" if now >= view.ends_at + GRACE else ""
    # Whatever it says, a message reaching the patient after the start is no use
    # (e.g. a confirmation held back while the mail server was down).
    if view.starts_at <= now:
        return "appointment already started"
    if (
        message["kind"] in LATER
        and f":{view.starts_at.isoformat()}:" not in message["idempotency_key"]
    ):
        return "appointment moved"
    return ""
