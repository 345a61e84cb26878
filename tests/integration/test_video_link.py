"""Another platform (SPEC §9, issue 14): staff type the Zoom or Teams link on the
appointment; a bad link is refused with its message and nothing saved; a good one is
audited, sent in a change notice and carried by every message, shown on the details page,
and opened from the camera icon."""

from __future__ import annotations

from datetime import date, time

import pytest

from app.audit.tables import AuditEntry
from app.booking.tables import Appointment
from app.messaging.tables import Message
from tests.integration import demo_lookup
from tests.integration.chat_helpers import THURSDAY, link_of
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.messaging_helpers import MARIE_CELL, body, local
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import csrf, signed_in
from tests.integration.test_staff_appointments import HTMX, book_marie, open_day

OTHER = "Téléconsultation (autre plateforme)"  # the demo's activity of the "Autre plateforme" type
ZOOM = "https://zoom.us/j/123456789?pwd=Abc"
DAY = date(2027, 3, 2)
SECRETARY = "secretariat@demo.localhost"


@pytest.fixture
async def secretary(demo):
    return await signed_in(demo, SECRETARY)


async def other_platform_appointment() -> tuple[int, int]:
    slot = (await open_day(activity=OTHER, start=time(17), end=time(17, 20)))[0]
    return slot, await book_marie(slot)


async def link_of_row(appointment_id: int) -> str:
    row = (
        await Appointment.select(Appointment.video_link)
        .where(Appointment.id == appointment_id)
        .first()
    )
    return row["video_link"]


async def post_link(client, slot: int, appointment_id: int, link: str, **headers):
    page = await client.get(f"/staff/slots/{slot}")
    return await client.post(
        f"/staff/appointments/{appointment_id}/video-link?lang=en",
        data={"video_link": link, "_csrf_token": csrf(page.text)},
        headers=headers,
    )


@pytest.mark.parametrize(
    "typed, said",
    [
        ("http://zoom.us/j/1", "starts with https://"),
        ("javascript:alert(1)", "starts with https://"),
        ("https://zoom.us/j/1 2", "no spaces"),
        ("https://zoom.us/" + "a" * 500, "at most 500 characters"),
        ("https://", "whole address"),
        ("https://user:pw@zoom.us/j/1", "user name or password"),
    ],
)
async def test_a_bad_link_says_why_next_to_the_field_and_saves_nothing(secretary, typed, said):
    slot, appointment = await other_platform_appointment()
    notices = await Message.count().where(Message.appointment == appointment)
    answer = await post_link(secretary, slot, appointment, typed, **HTMX)
    assert answer.status_code == 422
    shown = text(answer)
    assert said in shown
    assert 'id="video_link-error"' in answer.text
    assert await link_of_row(appointment) == ""
    assert await Message.count().where(Message.appointment == appointment) == notices
    assert not await AuditEntry.exists().where(
        (AuditEntry.appointment_id == appointment) & (AuditEntry.action == "appointment.video_link")
    )


async def test_a_good_link_is_saved_audited_told_and_behind_the_camera(secretary, demo):
    slot, appointment = await other_platform_appointment()
    answer = await post_link(secretary, slot, appointment, f"  {ZOOM}  ", **HTMX)
    assert answer.status_code == 200, answer.text
    assert "The video link is saved" in text(answer)
    assert await link_of_row(appointment) == ZOOM
    entry = (
        await AuditEntry.select()
        .where(
            (AuditEntry.appointment_id == appointment)
            & (AuditEntry.action == "appointment.video_link")
        )
        .first()
    )
    assert entry is not None and ZOOM in str(entry["after"])
    changes = await Message.select().where(
        (Message.appointment == appointment) & (Message.kind == "change")
    )
    assert changes  # the patient is told where to connect
    # The camera opens the link, without a Referer.
    dialog = await secretary.get(f"/staff/slots/{slot}?lang=en")
    assert (
        f'href="{ZOOM.replace("&", "&amp;")}" target="_blank" rel="noopener noreferrer"'
        in dialog.text
    )
    # Without JavaScript: back to the slot's page, which says so.
    plain = await post_link(secretary, slot, appointment, ZOOM + "&x=1")
    assert plain.status_code == 303 and "done=video_link_saved" in plain.headers["location"]
    # The patient's details page offers it.
    token = await link_of(appointment)
    details = await demo.get(f"/a/{token}?lang=en")
    assert "Join the video call" in details.text and 'rel="noopener noreferrer"' in details.text
    # Removed: an empty field.
    removed = await post_link(secretary, slot, appointment, "", **HTMX)
    assert removed.status_code == 200 and await link_of_row(appointment) == ""


async def test_the_agenda_camera_opens_the_link(secretary):
    slot, appointment = await other_platform_appointment()
    await post_link(secretary, slot, appointment, ZOOM, **HTMX)
    demo = await demo_lookup.clinic_id("demo")
    julie = await demo_lookup.practitioner_id(demo, "Dre Julie Roy")
    agenda = await secretary.get(f"/staff/agenda/practitioner/{julie}/day/{DAY.isoformat()}")
    assert agenda.status_code == 200
    assert f'href="{ZOOM.replace("&", "&amp;")}"' in agenda.text


async def test_a_type_without_a_link_or_another_clinics_appointment_is_refused(secretary, autre):
    slot = (await open_day(activity="Suivi", start=time(9), end=time(9, 30)))[0]
    on_site = await book_marie(slot)
    refused = await post_link(secretary, slot, on_site, ZOOM, **HTMX)
    assert refused.status_code == 409 and "not held on another platform" in text(refused)
    assert await link_of_row(on_site) == ""
    missing = await post_link(secretary, slot, 999_999_999, ZOOM)
    assert missing.status_code == 404


async def test_a_practitioner_types_links_on_their_own_agenda_only(demo):
    gagnon = (await open_day("Dr Marc Gagnon", activity=OTHER, start=time(17), end=time(17, 20)))[0]
    theirs = await book_marie(gagnon)
    julie = await signed_in(demo, "julie.roy@demo.localhost")
    forced = await post_link(julie, gagnon, theirs, ZOOM)
    assert forced.status_code == 403
    assert await link_of_row(theirs) == ""
    slot, own = await other_platform_appointment()
    assert (await post_link(julie, slot, own, ZOOM, **HTMX)).status_code == 200
    assert await link_of_row(own) == ZOOM


async def test_the_link_is_in_the_confirmation_the_reminder_and_the_invitation(comms):
    activity = await comms.activity(OTHER, type_fr="Autre plateforme")
    starts = local(THURSDAY, time(15))
    appointment = await comms.staff_book(starts, activity=activity)
    outcome = await comms.booking.set_video_link(
        appointment_id=appointment, link=ZOOM, actor=RECEPTION
    )
    assert outcome.ok
    await comms.deliver()
    confirmation = next(
        m for m in comms.emails() if m["Subject"] == "Votre rendez-vous est confirmé"
    )
    assert ZOOM in body(confirmation) and f'href="{ZOOM.replace("&", "&amp;")}"' in body(
        confirmation, "html"
    )
    assert "Le jour venu, rejoignez l'appel vidéo" in body(confirmation)
    assert any(ZOOM in sms for sms in comms.texts(MARIE_CELL))
    await comms.at(
        local(date(2026, 11, 25), time(9))
    )  # the reminder, 36 h before (after the night)
    reminder = [m for m in comms.emails() if m["Subject"].startswith("Rappel")]
    assert reminder and ZOOM in body(reminder[0])
    await comms.at(local(THURSDAY, time(14, 46)))
    invitation = [m for m in comms.emails() if "bientôt" in m["Subject"]]
    assert invitation
    invited = body(invitation[0])
    assert "Rejoignez l'appel vidéo" in invited and ZOOM in invited
    assert "salle d'attente" not in invited
