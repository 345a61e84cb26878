"""Two-way SMS (issue 15): a reminder by SMS asks for a YES; the provider posts the
patient's answer to /sms/inbound in Twilio's format, signed (X-Twilio-Signature) with the
auth token. YES/OUI confirms the appointment of the latest reminder to that number
(through the engine: the agenda and the audit log follow); STOP/ARRÊT turns that
clinic's SMS off for the number, START turns them on again. Badly signed or replayed
posts change nothing; an unknown number or odd bytes get the same empty answer."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from datetime import date, time
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import strategies as st

from app import clock
from app.booking.tables import Appointment, AppointmentStatus
from app.messaging.sms_replies import keyword, signature
from app.messaging.tables import InboundSms, SmsOptOut
from tests.integration.audit_helpers import entries
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.messaging_fakes import SmsProvider
from tests.integration.messaging_helpers import (
    MARIE_CELL,
    MARIE_EMAIL,
    autre_world,
    local,
    outbox,
)
from tests.integration.staff_helpers import signed_in
from tests.integration.test_fuzz_portal import TROUBLE, never_a_5xx

TUESDAY, THURSDAY, FRIDAY = (date(2026, 11, d) for d in (24, 26, 27))
VISIT = local(THURSDAY, time(8, 30))
REMINDER_TIME = local(TUESDAY, time(20, 30))  # after the one 3 days before, asking to confirm
# Booked then for the Friday, less than 3 days ahead: its 1-day reminder asks instead.
NEXT_REMINDER = local(THURSDAY, time(8, 30))
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@asynccontextmanager
async def platform_client(app):
    """The provider, calling the platform's own host (where the webhook is configured)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


@pytest.fixture
async def provider(web_app):
    async with platform_client(web_app) as client:
        yield client


async def status(appointment_id: int) -> str:
    row = await Appointment.select(Appointment.status).where(Appointment.id == appointment_id)
    return row[0]["status"]


async def reminded(comms, starts=VISIT, at=REMINDER_TIME, **booking) -> int:
    """Marie booked by reception, her confirmation sent, then her reminder."""
    appointment = await comms.staff_book(starts, **booking)
    await comms.deliver()
    await comms.at(at)
    [sms] = await outbox(appointment, channel="sms", kind="reminder")
    assert sms["status"] == "sent"
    return appointment


def answered_empty(response: httpx.Response, status_code: int = 200) -> None:
    assert response.status_code == status_code, response.text
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == EMPTY


def test_the_signature_is_twilios():
    """The example of Twilio's documentation (webhooks security), computed both by the
    app and by the fake provider, written separately."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    form = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    expected = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert SmsProvider.sign(url, form, token="12345") == expected
    assert signature("12345", url, list(form.items())) == expected
    # A name given several values (Twilio's libraries' test): each distinct value, sorted.
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123")] + [
        ("Digits", d) for d in ("5678", "1234", "1234")
    ]
    assert signature("12345", url, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


@pytest.mark.parametrize(
    ("typed", "word"),
    [(" oui ", "OUI"), ("Oui !", "OUI"), ("yes.", "YES"), ("Arrêt", "ARRET"), ("ARRÊT", "ARRET")]
    + [("stop\n", "STOP"), ("Ｓｔａｒｔ", "START"), ("\x00", ""), ("ok merci", "OKMERCI")],
)
def test_keywords_forgive_case_accents_and_spaces(typed, word):
    assert keyword(typed) == word


async def test_an_sms_reminder_asks_for_a_yes_until_confirmed(comms):
    appointment = await reminded(comms, language="en")
    assert comms.texts()[-1].endswith(" Reply YES to confirm")
    # The email reminder does not ask (it has its own "Confirm my presence" link), nor the
    # SMS confirmation before it.
    assert "Reply YES" not in comms.texts()[0]
    assert all("Reply YES" not in m.get_body().get_content() for m in comms.emails())
    assert appointment


async def test_a_reminder_of_a_confirmed_appointment_does_not_ask(comms):
    appointment = await comms.staff_book(VISIT, language="en")
    await comms.deliver()
    confirmed = await comms.booking.set_status(
        appointment_id=appointment,
        status=AppointmentStatus.CONFIRMED,
        from_statuses=(AppointmentStatus.BOOKED,),
        actor=RECEPTION,
    )
    assert confirmed.ok
    await comms.at(REMINDER_TIME)
    assert "reminder" in comms.texts()[-1].lower() and "Reply YES" not in comms.texts()[-1]


async def test_an_sms_reminder_asks_in_french(comms):
    """Needs the French catalog compiled with FR.txt (done at the merge)."""
    await reminded(comms)
    assert comms.texts()[-1].endswith(" Répondez OUI pour confirmer")


async def test_yes_confirms_the_appointment_in_the_agenda_and_the_audit_log(comms, provider, demo):
    appointment = await reminded(comms)
    julie = await signed_in(demo, "julie.roy@demo.localhost")
    day = f"/staff/agenda/practitioner/{comms.practitioner}/day/2026-11-26"
    assert "Confirmé" not in (await julie.get(day)).text
    answer = await comms.sms.reply(provider, MARIE_CELL, " Oui ")
    answered_empty(answer)
    assert await status(appointment) == "confirmed"
    [entry] = await entries(comms.clinic, "appointment.status")
    assert str(entry["entity_id"]) == str(appointment)
    assert entry["after"]["status"] == "confirmed" and entry["actor_kind"] == "patient"
    assert "Confirmé" in (await julie.get(day)).text
    [row] = await InboundSms.select().where(InboundSms.outcome == "confirmed")
    assert row["appointment"] == appointment and row["clinic"] == comms.clinic
    # A second YES (another message) finds it confirmed already: nothing more happens.
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, "YES"))
    assert len(await entries(comms.clinic, "appointment.status")) == 1


async def test_yes_confirms_only_the_latest_reminders_appointment(comms, provider):
    first = await reminded(comms)
    second = await reminded(comms, local(FRIDAY, time(8, 30)), NEXT_REMINDER)
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, "OUI"))
    assert await status(second) == "confirmed" and await status(first) == "booked"


async def test_yes_without_a_reminder_or_after_the_start_changes_nothing(comms, provider):
    appointment = await comms.staff_book(VISIT)
    await comms.deliver()  # only the confirmation went
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, "OUI"))
    assert await status(appointment) == "booked"
    await comms.at(REMINDER_TIME)
    clock.freeze(local(THURSDAY, time(9)))  # the appointment has begun
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, "OUI"))
    assert await status(appointment) == "booked"


async def test_stop_turns_sms_off_the_next_reminder_is_dropped_and_email_still_goes(
    comms, provider, demo
):
    await reminded(comms)
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, "ARRÊT"))
    [off] = await SmsOptOut.select()
    assert (off["clinic"], off["phone"], off["keyword"]) == (comms.clinic, MARIE_CELL, "ARRÊT")
    texts = len(comms.texts())
    later = await reminded_despite_stop(comms)
    assert len(comms.texts()) == texts  # nothing more reached her phone
    for row in await outbox(later, channel="sms"):
        assert (row["status"], row["last_error"]) == ("dropped", "opted out")
    assert [row["status"] for row in await outbox(later, channel="email")] == ["sent", "sent"]
    assert len([s for s in comms.subjects(MARIE_EMAIL) if s.startswith("Rappel")]) == 2
    # Kept on the file: reception sees it on the patient's page.
    reception = await signed_in(demo, "secretariat@demo.localhost")
    page = await reception.get(f"/staff/patients/{comms.patients['marie']}")
    [line] = re.findall(r'<small class="sms-off">([^<]*)</small>', page.text)
    assert "ARRÊT" in line and "2026" in line


async def reminded_despite_stop(comms) -> int:
    """Another appointment, its confirmation and its reminder due, after a STOP."""
    appointment = await comms.staff_book(local(FRIDAY, time(8, 30)))
    await comms.deliver()
    await comms.at(NEXT_REMINDER)
    return appointment


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "arret", "QUIT"])
async def test_twilios_stop_words_opt_out(comms, provider, word):
    await reminded(comms)
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, word))
    assert await SmsOptOut.count() == 1


async def test_start_turns_sms_on_again(comms, provider, demo):
    await reminded(comms)
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, "STOP"))
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, "Start"))
    assert await SmsOptOut.count() == 0
    texts = len(comms.texts())
    later = await reminded_despite_stop(comms)
    assert len(comms.texts()) == texts + 2  # its confirmation and its reminder
    assert {row["status"] for row in await outbox(later, channel="sms")} == {"sent"}
    reception = await signed_in(demo, "secretariat@demo.localhost")
    page = await reception.get(f"/staff/patients/{comms.patients['marie']}")
    assert "sms-off" not in page.text


async def test_a_bad_signature_is_403_and_changes_nothing(comms, provider):
    appointment = await reminded(comms)
    url = "http://localhost/sms/inbound"
    form = {"MessageSid": "SM" + "1" * 32, "From": MARIE_CELL, "To": SmsProvider.sender}
    forged = [
        "",  # none
        SmsProvider.sign(url, {**form, "Body": "OUI"}, token="not-the-token"),
        SmsProvider.sign(url, {**form, "Body": "NON"}),  # signed for another text
        SmsProvider.sign("http://localhost/other", {**form, "Body": "OUI"}),  # another URL
        SmsProvider.sign(url, {**form, "Body": "OUI"})[:-2],
        ("²" * 14).encode(),  # bytes no signature has
    ]
    for header in forged:
        answer = await comms.sms.reply(
            provider, MARIE_CELL, "OUI", sid=form["MessageSid"], signature=header
        )
        answered_empty(answer, 403)
    answer = await comms.sms.reply(provider, MARIE_CELL, "STOP", signature="x")
    answered_empty(answer, 403)
    assert await status(appointment) == "booked"
    assert await InboundSms.count() == 0 and await SmsOptOut.count() == 0
    # The real provider's post of that same MessageSid still goes through afterwards.
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, "OUI", sid=form["MessageSid"]))
    assert await status(appointment) == "confirmed"


async def test_a_replayed_message_is_refused(comms, provider):
    await reminded(comms)
    stop_sid = "SM" + "5" * 32
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, "STOP", sid=stop_sid))
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, "START"))
    # Someone who kept the signed STOP posts it again: refused, she stays subscribed.
    answered_empty(await comms.sms.reply(provider, MARIE_CELL, "STOP", sid=stop_sid), 409)
    assert await SmsOptOut.count() == 0
    assert await InboundSms.count() == 2


async def test_an_unknown_number_gets_the_same_answer_and_nothing_changes(comms, provider):
    appointment = await reminded(comms)
    for number, text in [
        ("+15145559999", "OUI"),
        ("+15145559999", "STOP"),
        ("not a number", "OUI"),
        ("", "STOP"),
        (MARIE_CELL + "0", "OUI"),
    ]:
        answer = await comms.sms.reply(provider, number, text)
        answered_empty(answer)
        assert number not in answer.text or not number
    assert await status(appointment) == "booked" and await SmsOptOut.count() == 0
    outcomes = {row["outcome"] for row in await InboundSms.select(InboundSms.outcome)}
    assert outcomes == {"unknown_number"}


async def test_odd_bytes_are_answered_without_a_5xx(comms, provider):
    appointment = await reminded(comms)
    odd = [
        b"\xff\xfe\x00",
        b"MessageSid=%FF%FE&From=" + MARIE_CELL.encode() + b"&Body=OUI",
        b"&&&===",
        b"Body=" + b"9" * 20000,
    ]
    for content in odd:
        answer = await provider.post(
            "/sms/inbound",
            content=content,
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "x-twilio-signature": "x",
            },
        )
        assert answer.status_code in (400, 403, 413), (answer.status_code, content)
    # Signed, yet odd: no MessageSid, an endless one, odd characters in every field.
    for form in [
        {"From": MARIE_CELL, "Body": "OUI"},
        {"MessageSid": "S" * 500, "From": MARIE_CELL, "Body": "OUI"},
        {"MessageSid": "SM\x00", "From": MARIE_CELL + "\x00", "Body": "\ud7ff\x00OUI"},
    ]:
        content = urlencode(form).encode()
        header = SmsProvider.sign("http://localhost/sms/inbound", form)
        answer = await provider.post(
            "/sms/inbound",
            content=content,
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "x-twilio-signature": header,
            },
        )
        assert answer.status_code in (200, 400), answer.status_code
    assert await status(appointment) == "booked"


async def test_well_signed_fuzzed_forms_never_get_a_5xx(comms, provider, caplog):
    await reminded(comms)
    fields = st.sampled_from(["MessageSid", "SmsSid", "From", "To", "Body", "NumMedia", "x"])
    values = st.one_of(
        st.sampled_from([*TROUBLE, MARIE_CELL, "OUI", "STOP", "START", "ARRÊT"]),
        st.text(max_size=40),
    )
    forms = st.dictionaries(fields, values, max_size=6)

    async def send(form: dict) -> httpx.Response:
        return await provider.post(
            "/sms/inbound",
            content=urlencode(form).encode(),
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "x-twilio-signature": SmsProvider.sign("http://localhost/sms/inbound", form),
            },
        )

    await never_a_5xx(forms, send, caplog, "signed inbound SMS", fuzzer="sms")


async def test_another_clinics_appointment_is_never_confirmed(comms, web_app, provider):
    """Marie's number is also the contact of an appointment at the other clinic, whose
    reminder came last. On the demo clinic's host, YES confirms the demo's appointment
    only; STOP there turns off the demo's SMS only."""
    autre = await autre_world(comms)
    ours = await reminded(comms)
    theirs = await autre.staff_book(
        local(FRIDAY, time(4, 30)), patient=None, contact_phone=MARIE_CELL
    )  # 10:30 in Paris
    await comms.deliver()
    await comms.at(local(THURSDAY, time(4, 35)))  # 10:35 in Paris: their 1-day reminder went
    [their_reminder] = await outbox(theirs, channel="sms", kind="reminder")
    assert their_reminder["status"] == "sent"
    async with (
        platform_client(web_app) as _,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web_app), base_url="http://demo.localhost"
        ) as demo_host,
    ):
        answered_empty(await comms.sms.reply(demo_host, MARIE_CELL, "OUI"))
        assert await status(ours) == "confirmed" and await status(theirs) == "booked"
        answered_empty(await comms.sms.reply(demo_host, MARIE_CELL, "STOP"))
    [off] = await SmsOptOut.select()
    assert off["clinic"] == comms.clinic
    assert await entries(autre.clinic, "appointment.status") == []
