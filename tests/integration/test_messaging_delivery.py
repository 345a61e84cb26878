"""Delivery: a mail server or SMS provider that refuses or is down delays a message
without losing it or sending it twice; errors are recorded where a newcomer sees
them (the dev outbox); the clinic's monthly SMS count and cost."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

from app import clock
from app.main import create_app
from app.messaging.sms import segments
from app.messaging.usage import sms_usage
from app.settings import Settings, load
from conftest import MESSAGING_REDIS_TEST_URL
from tests.integration.messaging_helpers import (
    MARIE_CELL,
    autre_world,
    local,
    new_dispatcher,
    outbox,
    set_clinic,
)
from tests.moments import NOW

VISIT = local(date(2026, 11, 26), time(8, 30))
CONFIRMED = "Votre rendez-vous est confirmé"
SECOND = timedelta(seconds=1)


async def only(appointment: int, channel: str, kind: str = "confirmation") -> dict:
    [row] = await outbox(appointment, kind=kind, channel=channel)
    return row


def as_embedded(settings: Settings) -> Settings:
    """The laptop default (no Redis, no mail or SMS provider, localhost), on which the dev
    outbox is mounted, on the suite's database."""
    return replace(settings, redis_url=None, smtp_url=None, sms=None)


async def outbox_page(settings: Settings, host: str) -> httpx.Response:
    """The page alone, without the app's start-up: its in-process dispatcher would deliver
    the messages the test left waiting."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
        return await client.get("/dev/outbox")


def readable(response: httpx.Response) -> str:
    """The page's text as read on screen: no tags, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


async def test_a_refusing_mail_server_delays_the_email_which_then_goes_once(comms):
    comms.smtp.refuse_data = "451 4.3.0 Mail server temporarily rejected message"
    appointment = await comms.staff_book(VISIT)
    await comms.deliver()
    row = await only(appointment, "email")
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "451" in row["last_error"] and "temporarily rejected" in row["last_error"]
    assert row["next_attempt_at"] == NOW + timedelta(seconds=30)
    assert (
        comms.smtp.received == [] and len(comms.texts()) == 1
    )  # the SMS did not wait for the email
    assert await comms.deliver() == 0  # not before its time

    clock.advance(timedelta(seconds=30))
    await comms.deliver()  # refused again: the wait doubles
    assert (await only(appointment, "email"))["next_attempt_at"] == NOW + timedelta(seconds=90)
    comms.smtp.refuse_data = None
    clock.advance(timedelta(seconds=59))
    assert await comms.deliver() == 0
    clock.advance(SECOND)
    await comms.deliver()

    assert comms.subjects() == [CONFIRMED]
    row = await only(appointment, "email")
    assert (row["status"], row["attempts"], row["last_error"], row["provider"]) == (
        "sent",
        3,
        "",
        "smtp",
    )
    received_id = comms.emails()[0]["Message-ID"]
    assert row["provider_id"] == received_id
    # Each attempt was the same email, recognisable downstream by its Message-ID.
    assert comms.smtp.refused_ids == [received_id, received_id]
    clock.advance(timedelta(minutes=30))  # still before the 3-day reminder (08:30)
    await comms.deliver()
    assert len(comms.smtp.received) == 1 and len(comms.texts()) == 1


async def test_a_mail_server_down_most_of_a_day_still_gets_the_email(comms):
    await comms.smtp.stop()
    appointment = await comms.staff_book(local(date(2026, 11, 30), time(10)))
    while clock.now() < NOW + timedelta(hours=20):
        await comms.deliver()
        clock.advance(timedelta(minutes=10))
    row = await only(appointment, "email")
    assert (
        row["status"] == "pending" and "mail server" in row["last_error"] and row["attempts"] > 20
    )
    await comms.smtp.start()  # back, on the same address
    clock.advance(timedelta(hours=1))
    await comms.deliver()
    assert comms.subjects() == [CONFIRMED]
    assert (await only(appointment, "email"))["status"] == "sent"


async def test_greylisting_is_retried_and_an_unknown_mailbox_fails_for_good(comms):
    comms.smtp.refuse_rcpt = {
        "marie.tremblay@example.org": "450 4.7.1 Greylisted, please try again later",
        "jean.cote@example.org": "550 5.1.1 No such mailbox",
    }
    marie = await comms.staff_book(VISIT)
    jean = await comms.staff_book(local(date(2026, 11, 26), time(10)), patient="jean")
    await comms.deliver()
    assert (await only(marie, "email"))["status"] == "pending"
    failed = await only(jean, "email")
    assert failed["status"] == "failed" and "550 5.1.1 No such mailbox" in failed["last_error"]

    comms.smtp.refuse_rcpt.pop("marie.tremblay@example.org")
    clock.advance(timedelta(minutes=5))
    await comms.deliver()
    assert (
        comms.subjects() == [CONFIRMED]
        and comms.smtp.received[0]["To"] == "marie.tremblay@example.org"
    )
    assert (await only(jean, "email"))["attempts"] == 1  # never tried again


async def test_sms_provider_errors_500_and_429_are_retried_until_it_accepts(comms):
    comms.sms.answer_next(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
    comms.sms.answer_next(429, {"code": 20429, "message": "Too Many Requests", "status": 429})
    appointment = await comms.staff_book(VISIT)
    await comms.deliver()
    row = await only(appointment, "sms")
    assert (
        row["status"] == "pending"
        and "(500)" in row["last_error"]
        and "Internal Server Error" in row["last_error"]
    )
    clock.advance(timedelta(seconds=30))
    await comms.deliver()
    assert "(429)" in (await only(appointment, "sms"))["last_error"]
    clock.advance(timedelta(seconds=60))
    await comms.deliver()

    [sms] = comms.sms.to(MARIE_CELL)
    assert sms.sender == "+15145550000" and "Nous confirmons" in sms.body
    row = await only(appointment, "sms")
    assert (row["status"], row["provider"], row["provider_id"], row["attempts"]) == (
        "sent",
        "twilio",
        sms.sid,
        3,
    )
    assert comms.sms.requests == 3


async def test_a_number_the_provider_refuses_fails_with_its_message_on_the_outbox_page(comms):
    comms.sms.answer_next(
        400,
        {
            "code": 21211,
            "message": "The 'To' number +15145550101 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        },
    )
    comms.smtp.refuse_data = "451 4.3.0 Try again later"
    appointment = await comms.staff_book(VISIT)
    await comms.deliver()
    row = await only(appointment, "sms")
    assert row["status"] == "failed"
    assert (
        row["last_error"]
        == "SMS provider refused (400): 21211 The 'To' number +15145550101 is not a valid phone number."  # noqa: E501 - the text as read
    )
    clock.advance(timedelta(hours=1))
    await comms.deliver()
    assert comms.sms.requests == 1  # a refused number is not tried again

    page = readable(await outbox_page(as_embedded(comms.settings), "demo.localhost"))
    assert "Texto · échec" in page
    assert "21211 The 'To' number +15145550101 is not a valid phone number." in page
    # The email still waiting for the mail server shows why.
    assert (
        "Courriel · en attente" in page
        and "mail server refused (451): 4.3.0 Try again later" in page
    )


async def test_without_providers_messages_land_in_the_dev_outbox(comms):
    # The laptop default: no SMTP_URL, no SMS provider.
    laptop = as_embedded(load())
    comms.dispatcher = new_dispatcher(laptop)
    await comms.staff_book(VISIT)
    await comms.deliver()
    assert comms.smtp.received == [] and comms.sms.requests == 0
    page = readable(await outbox_page(laptop, "demo.localhost"))
    assert f"{CONFIRMED} Courriel · envoyé" in page and "Confirmation Texto · envoyé" in page
    assert "Rappel Courriel · en attente" in page  # the reminder, not yet due
    assert "marie.tremblay@example.org" in page and MARIE_CELL in page
    assert "Nous confirmons votre rendez-vous sur place." in page
    assert "Clinique Démo : Nous confirmons votre rendez-vous sur place." in page  # the SMS as sent


async def test_the_dev_outbox_shows_a_clinic_its_own_messages_only(comms):
    autre = await autre_world(comms)
    await comms.staff_book(VISIT)
    await autre.staff_book(
        datetime(2026, 11, 26, 10, tzinfo=ZoneInfo("Europe/Paris")), patient="camille"
    )
    await comms.deliver()
    demo_page = readable(await outbox_page(as_embedded(comms.settings), "demo.localhost"))
    autre_page = readable(await outbox_page(as_embedded(comms.settings), "autre.localhost"))
    assert (
        "marie.tremblay@example.org" in demo_page
        and "camille" not in demo_page
        and "Clinique Autre" not in demo_page
    )
    assert (
        "camille.dubois@example.fr" in autre_page
        and "marie" not in autre_page
        and "Clinique Démo" not in autre_page
    )


async def test_the_dev_outbox_exists_only_without_providers_on_localhost(comms):
    await comms.staff_book(VISIT)
    await comms.deliver()
    laptop = as_embedded(comms.settings)
    with_mail = replace(laptop, smtp_url=comms.settings.smtp_url)
    with_sms = replace(laptop, sms=comms.settings.sms)
    on_a_domain = replace(laptop, base_domain="clinic.test")
    for settings in (with_mail, with_sms):
        response = await outbox_page(settings, "demo.localhost")
        assert response.status_code == 404 and "marie" not in response.text
    response = await outbox_page(on_a_domain, "demo.clinic.test")
    assert response.status_code == 404 and "marie" not in response.text
    # Redis or PostgreSQL alone change nothing: no message can leave, nobody else can reach it.
    with_redis = replace(laptop, redis_url=MESSAGING_REDIS_TEST_URL)
    assert "marie.tremblay@example.org" in readable(await outbox_page(with_redis, "demo.localhost"))


async def test_monthly_sms_count_and_cost_at_the_clinics_price(comms):
    await set_clinic(comms.clinic, sms_price_cents=7)
    november = date(2026, 11, 1)
    first = await comms.staff_book(VISIT)
    await comms.deliver()
    # A longer clinic name with characters outside GSM-7: the SMS switches to UCS-2.
    await set_clinic(comms.clinic, name="Clinique Démo – Côte-des-Neiges")
    second = await comms.staff_book(local(date(2026, 11, 27), time(8, 30)))
    await comms.deliver()
    comms.sms.answer_next(
        400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}
    )
    await comms.staff_book(local(date(2026, 11, 27), time(10)))  # refused: not billed
    await comms.deliver()
    # 23:30 on 30 November in Montreal is already December in UTC: still November's.
    clock.freeze(local(date(2026, 11, 30), time(23, 30)))
    late = await comms.staff_book(local(date(2026, 12, 3), time(10)))
    await comms.deliver()
    clock.freeze(local(date(2026, 12, 1), time(9)))
    await comms.staff_book(local(date(2026, 12, 4), time(10)))
    await comms.deliver()
    autre = await autre_world(comms)
    await autre.staff_book(
        datetime(2026, 12, 7, 10, tzinfo=ZoneInfo("Europe/Paris")), patient="camille"
    )
    await comms.deliver()

    billed = [await only(a, "sms") for a in (first, second, late)]
    for row in billed:
        assert row["status"] == "sent" and row["segments"] == segments(row["body"]).count
        assert row["body"] in [s.body for s in comms.sms.sent]
    assert (
        segments(billed[0]["body"]).encoding == "GSM-7"
        and segments(billed[1]["body"]).encoding == "UCS-2"
    )
    assert billed[1]["segments"] > billed[0]["segments"]

    usage = await sms_usage(clinic_id=comms.clinic, month=november)
    total = sum(row["segments"] for row in billed)
    assert (usage.month, usage.messages, usage.segments, usage.price_cents) == (
        november,
        3,
        total,
        7,
    )
    assert usage.cost_cents == total * 7
    assert (await sms_usage(clinic_id=comms.clinic, month=date(2026, 12, 15))).messages == 1
    assert (await sms_usage(clinic_id=autre.clinic, month=date(2026, 12, 1))).messages == 1
    assert (await sms_usage(clinic_id=autre.clinic, month=november)).cost_cents == 0
    assert (await sms_usage(clinic_id=autre.clinic, month=november)).price_cents == 5  # the default


async def test_a_reminder_retried_into_the_night_waits_for_morning(comms):
    # The reminder is due at 20:30 (36 h before Thursday 08:30), just before a night
    # that starts at 20:30:10; the mail server refuses, so the retry would fall at night.
    await set_clinic(comms.clinic, quiet_hours_start=time(20, 30, 10), notify_by_sms=False)
    appointment = await comms.staff_book(VISIT)
    await comms.deliver()  # the confirmation
    comms.smtp.refuse_data = "451 4.3.0 Try again later"
    await comms.at(local(date(2026, 11, 24), time(20, 30)))
    row = await only(appointment, "email", kind="reminder")
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["next_attempt_at"] == local(date(2026, 11, 25), time(8, 0))
    comms.smtp.refuse_data = None
    await comms.at(local(date(2026, 11, 25), time(7, 59)))
    assert (await only(appointment, "email", kind="reminder"))["status"] == "pending"
    await comms.at(local(date(2026, 11, 25), time(8, 0)))
    assert (await only(appointment, "email", kind="reminder"))["status"] == "sent"
