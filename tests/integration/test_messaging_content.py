"""What the patient reads: French or English as they booked, a text and an HTML part,
the calendar file on confirmations and changes in the clinic's time zone, and no
health detail in any email or SMS."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from app import clock
from app.messaging.tables import Message
from tests.integration.messaging_helpers import (
    DETAILS,
    MARIE_EMAIL,
    REASON,
    autre_world,
    body,
    local,
    outbox,
)
from tests.integration.portal_helpers import MARIE, book_marie_follow_up, open_follow_ups

THURSDAY = date(2026, 11, 26)


def calendar_event(message):
    attachments = list(message.iter_attachments())
    assert [(a.get_content_type(), a.get_filename()) for a in attachments] == [
        ("text/calendar", "appointment.ics")
    ]
    raw = attachments[0].get_content()
    raw = raw.encode() if isinstance(raw, str) else raw
    return raw.decode(), Calendar.from_ical(raw).walk("VEVENT")[0]


def plain(text: str) -> str:
    """Babel's narrow and no-break spaces ("8:30\u202fAM") as a reader sees them."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


ENGLISH = {
    "subject": "Your appointment is confirmed",
    "lines": (
        "Hello,",
        "This confirms your on-site appointment.",
        "Date: Thursday, November 26, 2026",
        "Time: 8:30 AM",
        "With: Dre Julie Roy",
        "Where: Downtown, 1000 rue Sainte-Catherine Ouest",
        "Please arrive 10 minutes early with your health insurance card.",
        "See or change your appointment:",
    ),
    "button": "View my appointment",
    "reminder": (
        "Reminder: your appointment on Thursday, November 26, 2026",
        "A reminder of your on-site appointment. Please confirm your presence.",
    ),
    "sms": "Clinique Démo: This confirms your on-site appointment. Nov 26, 2026 8:30 AM, Downtown",
}
FRENCH = {
    "subject": "Votre rendez-vous est confirmé",
    "lines": (
        "Bonjour,",
        "Nous confirmons votre rendez-vous sur place.",
        "Date : jeudi 26 novembre 2026",
        "Heure : 08:30",
        "Avec : Dre Julie Roy",
        "Lieu : Centre-ville, 1000 rue Sainte-Catherine Ouest",
        "Présentez-vous 10 minutes avant votre rendez-vous",
        "Voir ou modifier votre rendez-vous :",
    ),
    "button": "Voir mon rendez-vous",
    "reminder": (
        "Rappel : votre rendez-vous du jeudi 26 novembre 2026",
        "Un rappel de votre rendez-vous sur place. Veuillez confirmer votre présence.",
    ),
    "sms": "Clinique Démo : Nous confirmons votre rendez-vous sur place. 26 nov. 2026 08:30, Centre-ville",  # noqa: E501 - the text as read
}


@pytest.mark.parametrize(("language", "expected"), [("en", ENGLISH), ("fr", FRENCH)])
async def test_the_patient_reads_the_language_they_booked_in(comms, language, expected):
    await comms.staff_book(local(THURSDAY, time(8, 30)), language=language)
    await comms.deliver()
    await comms.at(local(date(2026, 11, 24), time(20, 30)))
    confirmation, reminder = comms.emails()
    assert confirmation["Subject"] == expected["subject"]
    text = plain(body(confirmation))
    assert [line for line in expected["lines"] if line not in text] == []
    assert f'<html lang="{language}">' in body(confirmation, "html") and expected["button"] in body(
        confirmation, "html"
    )
    subject, headline = expected["reminder"]
    assert reminder["Subject"] == subject and headline in body(reminder)
    assert plain(comms.texts()[0]).startswith(expected["sms"])


async def test_the_portal_language_is_the_messages_language(comms, demo):
    clock.freeze(local(date(2026, 11, 21), time(10)))
    await open_follow_ups()
    await demo.get("/centre-ville/?lang=en")  # the language switch, kept in a cookie
    await book_marie_follow_up(demo, MARIE, service="Follow-up with my family doctor")
    await comms.deliver()
    assert comms.subjects() == ["Your appointment is confirmed"]
    assert "Tuesday, November 24, 2026" in body(comms.emails()[0])


async def test_confirmation_and_change_carry_the_calendar_file_in_the_clinics_zone(comms):
    appointment = await comms.staff_book(local(THURSDAY, time(8, 30)))
    await comms.deliver()
    await comms.move(appointment, local(date(2026, 11, 27), time(14)))
    await comms.deliver()
    confirmation, change = comms.emails()
    for message in (confirmation, change):
        assert message.get_content_type() == "multipart/mixed"
        assert [p.get_content_type() for p in message.walk()] == [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "text/calendar",
        ]
    raw, event = calendar_event(confirmation)
    assert "DTSTART;TZID=America/Montreal:20261126T083000" in raw and "BEGIN:VTIMEZONE" in raw
    assert (
        str(event["summary"]) == "Clinique Démo · Dre Julie Roy"
        and str(event["location"]) == "Centre-ville"
    )
    raw_change, changed = calendar_event(change)
    assert "DTSTART;TZID=America/Montreal:20261127T140000" in raw_change
    assert str(changed["uid"]) == str(
        event["uid"]
    )  # the same event, moved in the patient's calendar
    assert "vendredi 27 novembre 2026" in body(change) and "Heure : 14:00" in body(change)


async def test_a_paris_clinic_writes_paris_time(comms):
    autre = await autre_world(comms)
    paris = ZoneInfo("Europe/Paris")
    await autre.staff_book(datetime(2026, 11, 26, 10, 0, tzinfo=paris), patient="camille")
    await autre.deliver()
    [confirmation] = comms.emails("camille.dubois@example.fr")
    assert "Heure : 10:00" in body(confirmation) and "12 rue de la Paix, 75002 Paris" in body(
        confirmation
    )
    raw, _event = calendar_event(confirmation)
    assert "DTSTART;TZID=Europe/Paris:20261126T100000" in raw
    assert comms.texts("+33612345678")[0].startswith("Clinique Autre : Nous confirmons")
    assert "http://autre.localhost:8000/a/" in comms.texts("+33612345678")[0]


async def test_no_health_detail_in_any_email_or_sms(comms):
    # The activity's name says too much; so do the reason and details typed at booking.
    revealing = await comms.activity("Dépistage ITSS", type_fr="Sur place")
    video = await comms.activity("Suivi psychiatrique", type_fr="Télémédecine")
    on_site = await comms.staff_book(local(THURSDAY, time(8, 30)), activity=revealing)
    remote = await comms.staff_book(local(THURSDAY, time(13)), activity=video, patient="jean")
    await comms.deliver()
    await comms.move(on_site, local(THURSDAY, time(9, 30)))
    await comms.at(local(date(2026, 11, 25), time(8)))
    await comms.cancel(on_site)
    await comms.deliver()
    await comms.at(local(THURSDAY, time(12, 45)))
    # Every message each appointment gets went out, so every one of them is read below.
    sent = {(m["appointment"], m["kind"]) for m in await outbox(status="sent")}
    assert sent == {
        *((on_site, kind) for kind in ("confirmation", "change", "reminder", "cancellation")),
        *(
            (remote, kind)
            for kind in ("confirmation", "reminder", "reminder_notice", "teleconsult_invitation")
        ),
    }

    secrets = (REASON, DETAILS, "Dépistage", "ITSS", "psychiatrique")
    everything = [m.as_string() for m in comms.smtp.received]
    everything += [
        plain(part.get_content()) if part.get_content_maintype() == "text" else ""
        for m in comms.smtp.received
        for part in m.walk()
    ]
    everything += [s.body for s in comms.sms.sent]
    everything += [
        f"{row['subject']} {row['body']}"
        for row in await Message.select(Message.subject, Message.body)
    ]
    for text in everything:
        for secret in secrets:
            assert secret not in text, (secret, text[:200])
    assert MARIE_EMAIL in {m["To"] for m in comms.smtp.received}
