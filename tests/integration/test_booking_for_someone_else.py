"""Booking for someone else (SPEC §7b): step 1's "I am booking for someone else" takes the
patient's identity, identified and rate-limited as any, and the booker's own name and
contact. The appointment is the patient's; the confirmation goes to the booker (through
the outbox, to a real SMTP server); the booker's contact joins no file. Bad input on the
booker's fields is said next to them and identifies nobody."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from app import clock
from app.booking.tables import Appointment, BookingSession
from app.events import Actor
from app.listeners import make_bus
from app.patients.identification import PER_IDENTITY
from app.patients.tables import ContactDetail, IdentificationAttempt, Patient
from app.scheduling.services import SchedulingService
from app.staff.reconcile.actions import attach
from tests.integration.demo_lookup import activity_id, practitioner_id, site_id
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.messaging_helpers import outbox
from tests.integration.portal_helpers import (
    choose_service,
    form_token,
    open_follow_ups,
    slot_ids,
    text,
)
from tests.moments import NOW

FOLLOW_UP = "Suivi avec mon médecin de famille"
URGENT = "Consultation urgente"  # open to everyone, with a file or not
LEA_EMAIL = "famille.gagnon@example.org"  # on Léa's file
PARENT_EMAIL = "marc.gagnon@example.net"  # her father's own: on no file
LEA = {
    "first_name": "Léa",
    "last_name": "Gagnon",
    "date_of_birth": "2016-05-01",
    "sex": "F",
    "health_insurance_number": "GAGL16550112",
    "cell_phone": "",
    "email": LEA_EMAIL,
    "accept_terms": "on",
}
FOR_LEA = {
    **LEA,
    "for_someone_else": "on",
    "booker_name": "Marc Gagnon",
    "booker_cell_phone": "",
    "booker_email": PARENT_EMAIL,
}


async def lea_file(clinic_id: int) -> int:
    """Léa, 10, a patient of Dre Julie Roy; her file's email is the family's."""
    file = Patient(
        clinic=clinic_id,
        first_name="Léa",
        last_name="Gagnon",
        date_of_birth=date(2016, 5, 1),
        sex="F",
        health_insurance_number="GAGL16550112",
        family_doctor=await practitioner_id(clinic_id, "Dre Julie Roy"),
        created_at=clock.now(),
    )
    await file.save()
    await ContactDetail(
        clinic=clinic_id, patient=file.id, kind="email", value=LEA_EMAIL, position=1
    ).save()
    return file.id


async def step_one(client, typed: dict):
    page = await client.get("/centre-ville/")
    return await client.post("/centre-ville/", data={**typed, "form_token": form_token(page.text)})


async def book(client, typed: dict, service: str = FOLLOW_UP) -> int:
    """Step 1 with `typed`, then the first follow-up; returns the appointment's id."""
    identified = await step_one(client, typed)
    assert identified.status_code == 303, text(identified)
    service_url = identified.headers["location"]
    await choose_service(client, service_url, service)
    slots_url = service_url.replace("/service", "/slots")
    listing = await client.get(slots_url)
    held = await client.post(
        slots_url, data={"slot": slot_ids(listing.text)[0], "form_token": form_token(listing.text)}
    )
    review = await client.get(held.headers["location"])
    booked = await client.post(
        held.headers["location"], data={"form_token": form_token(review.text)}
    )
    assert booked.status_code == 303
    done = await client.get(booked.headers["location"])
    assert "Votre rendez-vous est réservé" in text(done)
    [row] = (
        await Appointment.select(Appointment.id).order_by(Appointment.id, ascending=False).limit(1)
    )
    return row["id"]


async def contacts_of(patient_id: int) -> list[str]:
    rows = await ContactDetail.select(ContactDetail.value).where(
        ContactDetail.patient == patient_id
    )
    return sorted(row["value"] for row in rows)


async def test_the_step_offers_booking_for_someone_else(demo, demo_data):
    page = await demo.get("/centre-ville/")
    said = text(page)
    assert "Je prends rendez-vous pour quelqu'un d'autre" in said
    assert 'name="for_someone_else"' in page.text and 'name="booker_email"' in page.text
    english = await demo.get("/centre-ville/", headers={"Accept-Language": "en"})
    assert "I am booking for someone else" in text(english)


async def test_a_parent_books_for_a_child_the_confirmation_goes_to_the_parent(comms, demo, demo_id):
    lea = await lea_file(demo_id)
    await open_follow_ups()
    appointment_id = await book(demo, FOR_LEA)

    row = await Appointment.select().where(Appointment.id == appointment_id).first()
    assert row["patient"] == lea  # the appointment belongs to Léa's file
    assert (row["contact_email"], row["contact_phone"]) == (PARENT_EMAIL, None)
    assert await contacts_of(lea) == [LEA_EMAIL]  # her father's address did not join her file
    assert not await ContactDetail.exists().where(ContactDetail.value == PARENT_EMAIL)

    [confirmation] = await outbox(appointment_id, kind="confirmation")
    assert confirmation["channel"] == "email"
    await comms.deliver()
    assert comms.smtp.to(PARENT_EMAIL), "the confirmation reached the parent"
    assert not comms.smtp.to(LEA_EMAIL)
    [sent] = await outbox(appointment_id, kind="confirmation")
    assert (sent["status"], sent["recipient"]) == ("sent", PARENT_EMAIL)


async def test_booking_for_oneself_is_unchanged(comms, demo, demo_id):
    """The same form without the box checked: the booker's fields, even filled, are ignored."""
    lea = await lea_file(demo_id)
    await open_follow_ups()
    appointment_id = await book(
        demo, {**LEA, "booker_name": "Marc Gagnon", "booker_email": PARENT_EMAIL}
    )
    row = await Appointment.select().where(Appointment.id == appointment_id).first()
    assert (row["patient"], row["contact_email"]) == (lea, LEA_EMAIL)


async def test_an_unknown_patient_booked_by_someone_else_keeps_their_own_contacts(
    comms, demo, demo_id
):
    """No file matches (a typo in her name): the messages go to the booker; attached by
    the front desk to her file, the appointment brings her own typed contact, pending,
    never the booker's."""
    lea = await lea_file(demo_id)
    await SchedulingService(clinic_id=demo_id, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await practitioner_id(demo_id, "Dre Julie Roy"),
        site_id=await site_id(demo_id, "centre-ville"),
        activity_id=await activity_id(demo_id, URGENT),
        day=NOW.date() + timedelta(days=1),
        start=time(9),
        end=time(10),
    )
    typed = {
        **FOR_LEA,
        "first_name": "Lééa",
        "health_insurance_number": "",
        "email": "lea@ecole.example",
    }
    appointment_id = await book(demo, typed, URGENT)
    row = await Appointment.select().where(Appointment.id == appointment_id).first()
    assert row["patient"] is None and row["contact_email"] == PARENT_EMAIL
    await comms.deliver()
    assert comms.smtp.to(PARENT_EMAIL) and not comms.smtp.to("lea@ecole.example")

    secretary = Actor.staff(1, "Secrétariat")
    done = await attach(
        clinic_id=demo_id,
        appointment_id=appointment_id,
        patient_id=lea,
        actor=secretary,
        bus=make_bus(),
    )
    assert done.done.value == "attached"
    assert await contacts_of(lea) == sorted([LEA_EMAIL, "lea@ecole.example"])
    assert not await ContactDetail.exists().where(ContactDetail.value == PARENT_EMAIL)


async def test_bad_input_in_the_bookers_fields_is_said_next_to_them(demo, demo_id):
    await lea_file(demo_id)
    cases = {
        "booker_name": ({"booker_name": "   "}, "Indiquez votre propre nom."),
        "booker_email": ({"booker_email": "marc@"}, "Entrez une adresse courriel valide"),
        "booker_cell_phone": (
            {"booker_cell_phone": "123", "booker_email": ""},
            "Entrez un numéro de cellulaire valide",
        ),
    }
    for field, (bad, message) in cases.items():
        response = await step_one(demo, {**FOR_LEA, **bad})
        assert response.status_code == 422, field
        assert f'id="{field}-error"' in response.text, field
        assert 'aria-invalid="true"' in response.text and message in text(response), field
        # What was typed comes back, the box still checked.
        assert re.search(r'id="for_someone_else"[^>]* checked', response.text)
        assert 'value="Gagnon"' in response.text
    nothing = await step_one(demo, {**FOR_LEA, "booker_email": "", "booker_cell_phone": ""})
    assert nothing.status_code == 422 and 'id="booker_cell_phone-error"' in nothing.text
    odd = await step_one(demo, {**FOR_LEA, "booker_name": "x" * 5000, "booker_email": "a\x00@b.c"})
    assert odd.status_code == 422
    # Nothing was started, nor counted as an identification attempt.
    assert await BookingSession.count() == 0
    assert await IdentificationAttempt.count() == 0


async def test_identifying_someone_else_is_rate_limited_as_any(demo, demo_id):
    """Guessing a child's details while booking for them is refused as any guessing is."""
    await lea_file(demo_id)
    statuses = []
    for n in range(PER_IDENTITY.failures + 2):
        guess = {**FOR_LEA, "health_insurance_number": "", "email": f"guess{n}@example.org"}
        response = await step_one(demo, guess)
        statuses.append(response.status_code)
    assert statuses[-1] == 429
    assert "Trop de tentatives." in text(response)
    # The right details are refused too, for now: the limit is on the identity.
    assert (await step_one(demo, FOR_LEA)).status_code == 429
