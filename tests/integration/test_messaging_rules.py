"""Who gets what, and whether at all: the appointment type statuses of SPEC §8, the
clinic's channels, the contacts typed on the form against the file's main contact,
and the confirmation staff send again by hand."""

from __future__ import annotations

from datetime import date, time

import pytest

from app.messaging.planner import Resend, resend_confirmation
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.messaging_helpers import (
    JEAN_EMAIL,
    MARIE_CELL,
    MARIE_EMAIL,
    body,
    local,
    outbox,
    set_clinic,
)

THURSDAY = date(2026, 11, 26)
VISIT = local(THURSDAY, time(8, 30))
REMINDER_TIME = local(date(2026, 11, 24), time(20, 30))
TELECONSULT_START = local(THURSDAY, time(8, 30))


async def live_through_the_appointment(comms, appointment: int) -> None:
    """Booked; moved; the reminder's time; the teleconsult's; then cancelled."""
    await comms.deliver()
    await comms.move(appointment, local(THURSDAY, time(9, 30)))
    await comms.at(local(date(2026, 11, 24), time(21, 30)))
    await comms.at(local(date(2026, 11, 25), time(8)))
    await comms.at(local(THURSDAY, time(9, 15)))
    await comms.cancel(appointment)
    await comms.deliver()


@pytest.mark.parametrize(
    ("type_fr", "wording", "place"),
    [
        (
            "Sur place",
            "votre rendez-vous sur place",
            "Lieu : Centre-ville, 1000 rue Sainte-Catherine Ouest",
        ),
        ("Télémédecine", "votre rendez-vous en télémédecine", "Lieu : Par vidéo"),
        ("Téléphone", "votre rendez-vous téléphonique", "Lieu : Par téléphone"),
    ],
)
async def test_the_message_says_how_the_appointment_takes_place(comms, type_fr, wording, place):
    activity = await comms.activity(f"Rendez-vous {type_fr}", type_fr=type_fr)
    await comms.staff_book(VISIT, activity=activity)
    await comms.deliver()
    text = body(comms.emails()[0])
    assert f"Nous confirmons {wording}." in text and place in text
    assert f"Nous confirmons {wording}." in comms.texts()[0]


async def test_a_type_with_no_modality_says_just_an_appointment(comms):
    plain = await comms.activity("Rencontre", type_fr="Rencontre", on_site=False)
    await comms.staff_book(VISIT, activity=plain)
    await comms.deliver()
    text = body(comms.emails()[0])
    assert "Nous confirmons votre rendez-vous." in text
    assert "Centre-ville, 1000 rue Sainte-Catherine Ouest" in text  # still somewhere to go
    assert "Nous confirmons votre rendez-vous. " in comms.texts()[0]


@pytest.mark.parametrize(
    "status", ["no_automated_communication", "no_communication", "hidden_from_portal"]
)
async def test_the_three_no_statuses_stop_every_automated_message(comms, status):
    video = await comms.activity("Tâche", type_fr="Tâche", telemedicine=True, **{status: True})
    appointment = await comms.staff_book(VISIT, activity=video)
    await live_through_the_appointment(comms, appointment)
    assert comms.smtp.received == [] and comms.sms.sent == [] and comms.sms.requests == 0
    assert await outbox(appointment) == []


async def test_a_resent_confirmation_respects_the_statuses(comms):
    outcomes = {}
    for status in ("no_automated_communication", "no_communication", "hidden_from_portal"):
        activity = await comms.activity(status, type_fr=status, **{status: True})
        appointment = await comms.staff_book(
            local(THURSDAY, time(8 + len(outcomes))), activity=activity
        )
        outcomes[status] = await resend_confirmation(
            clinic_id=comms.clinic, appointment_id=appointment, by=RECEPTION
        )
    assert outcomes == {
        "no_automated_communication": Resend.QUEUED,
        "no_communication": "refused",
        "hidden_from_portal": "refused",
    }
    await comms.deliver()
    # Only the one allowed by hand went, by email and SMS as the clinic sends.
    assert comms.subjects() == ["Votre rendez-vous est confirmé"] and len(comms.texts()) == 1


async def test_staff_can_send_the_confirmation_again(comms):
    appointment = await comms.staff_book(VISIT)
    await comms.deliver()
    assert (
        await resend_confirmation(clinic_id=comms.clinic, appointment_id=appointment, by=RECEPTION)
        == Resend.QUEUED
    )
    await comms.deliver()
    assert comms.subjects() == ["Votre rendez-vous est confirmé"] * 2 and len(comms.texts()) == 2
    # Not for another clinic's appointment, nor a cancelled one, nor without contacts.
    assert (
        await resend_confirmation(
            clinic_id=comms.clinic + 1, appointment_id=appointment, by=RECEPTION
        )
        == "not_found"
    )
    await comms.cancel(appointment)
    assert (
        await resend_confirmation(clinic_id=comms.clinic, appointment_id=appointment, by=RECEPTION)
        == "cancelled"
    )
    nobody = await comms.staff_book(local(THURSDAY, time(10)), patient=None)
    assert (
        await resend_confirmation(clinic_id=comms.clinic, appointment_id=nobody, by=RECEPTION)
        == "no_contact"
    )


@pytest.mark.parametrize(
    ("by_email", "by_sms", "emails", "texts"),
    [(True, True, 2, 2), (True, False, 2, 0), (False, True, 0, 2), (False, False, 0, 0)],
)
async def test_email_and_or_sms_as_the_clinic_chose(comms, by_email, by_sms, emails, texts):
    await set_clinic(comms.clinic, notify_by_email=by_email, notify_by_sms=by_sms)
    await comms.staff_book(VISIT)
    await comms.at(REMINDER_TIME)
    assert len(comms.emails()) == emails and len(comms.texts()) == texts


async def test_confirmation_to_the_typed_contacts_reminder_to_the_files_main_contact(comms):
    # Reception typed the contacts Jean gave on the phone; his file has his usual email.
    await comms.staff_book(
        VISIT,
        patient="jean",
        contact_email="jean.travail@example.org",
        contact_phone="+14385550123",
    )
    await comms.at(REMINDER_TIME)
    assert comms.subjects("jean.travail@example.org") == ["Votre rendez-vous est confirmé"]
    assert len(comms.texts("+14385550123")) == 1
    assert comms.subjects(JEAN_EMAIL) == ["Rappel : votre rendez-vous du jeudi 26 novembre 2026"]
    assert len(comms.sms.sent) == 1  # no cell phone on Jean's file: no SMS reminder


async def test_a_patient_without_a_file_gets_everything_at_the_typed_contacts(comms):
    await comms.staff_book(VISIT, patient=None, contact_phone="+14385550199")
    await comms.deliver()
    await comms.at(REMINDER_TIME)
    texts = comms.texts("+14385550199")
    assert len(texts) == 2 and "Nous confirmons" in texts[0] and "Un rappel" in texts[1]
    assert comms.smtp.received == []


async def test_the_reminder_follows_a_main_contact_changed_after_booking(comms):
    from app.patients.tables import ContactDetail

    await comms.staff_book(VISIT)
    await comms.deliver()
    # Marie's new number becomes her main contact before the reminder goes out.
    await ContactDetail.update({ContactDetail.value: "+14385550777"}).where(
        (ContactDetail.patient == comms.patients["marie"]) & (ContactDetail.kind == "cell")
    )
    await comms.at(REMINDER_TIME)
    assert len(comms.texts(MARIE_CELL)) == 1 and len(comms.texts("+14385550777")) == 1
    assert len(comms.emails(MARIE_EMAIL)) == 2
