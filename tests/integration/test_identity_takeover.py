"""The takeover of a patient file through the portal, as it was done: Jean Côté's health
insurance number, a made-up name and the attacker's own phone. The number alone no
longer identifies; with his last name and date of birth it does, but the phone typed
joins his file pending: it gets no reminder, and the booking's own confirmation sent
to it carries the date, time and place only. And "no file" and "a file but wrong
details" look the same and cost the same work."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from icalendar import Calendar

from app import clock
from app.booking.tables import Appointment, BookingSession
from app.listeners import make_bus
from app.messaging.tables import Message
from app.patients.contacts import MAX_PENDING
from app.patients.tables import ContactDetail, Patient
from app.scheduling.services import SchedulingService
from tenants.resolution import forget_cache
from tests.integration.demo_lookup import (
    activity_id,
    clinic_id,
    patient_id,
    practitioner_id,
    site_id,
)
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.messaging_helpers import JEAN_EMAIL, body, local, outbox
from tests.integration.portal_helpers import (
    book_marie_follow_up,
    form_token,
    identify,
    option_labels,
)
from tests.integration.query_log import recorded_statements
from tests.moments import freeze

# What the attacker knows: Jean's number (about 100 guesses from his name, birth date and sex).
JEANS_NUMBER = {
    "first_name": "Evil",
    "last_name": "Person",
    "date_of_birth": "1972-11-03",
    "sex": "M",
    "health_insurance_number": "COTJ 7211 0318",
    "cell_phone": "438 555 0666",
    "email": "",
    "accept_terms": "on",
}
ATTACKER_PHONE = "+14385550666"
WITH_HIS_NAME = {**JEANS_NUMBER, "last_name": "Côté"}
OPEN_TO_ALL = ["Consultation urgente"]
FOR_PATIENTS = ["Consultation urgente", "Vaccination", "Téléconsultation"]


async def open_urgent_consultations(day: date) -> None:
    """Dre Julie Roy's urgent consultations at centre-ville, 09:00 to 10:00 on `day`."""
    demo = await clinic_id("demo")
    await SchedulingService(clinic_id=demo, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await practitioner_id(demo, "Dre Julie Roy"),
        site_id=await site_id(demo, "centre-ville"),
        activity_id=await activity_id(demo, "Consultation urgente"),
        day=day,
        start=time(9),
        end=time(10),
    )


async def jeans_contacts() -> list[tuple[str, bool]]:
    jean = await patient_id(await clinic_id("demo"), "Côté")
    rows = (
        await ContactDetail.select(ContactDetail.value, ContactDetail.verified)
        .where(ContactDetail.patient == jean)
        .order_by(ContactDetail.position)
    )
    return [(row["value"], row["verified"]) for row in rows]


async def offered(client, response) -> list[str]:
    page = await client.get(response.headers["location"])
    return option_labels(page.text, "service")


async def test_his_number_with_another_name_identifies_nobody(demo):
    freeze()
    response = await identify(demo, JEANS_NUMBER)
    assert response.status_code == 303
    assert await offered(demo, response) == OPEN_TO_ALL  # what any stranger sees
    session = await BookingSession.objects().first()
    assert session.patient is None
    assert await jeans_contacts() == [(JEAN_EMAIL, True)]  # nothing joined his file


async def test_with_his_last_name_and_birth_date_the_phone_joins_his_file_pending(demo):
    freeze()
    response = await identify(demo, WITH_HIS_NAME)
    assert await offered(demo, response) == FOR_PATIENTS
    assert await jeans_contacts() == [(JEAN_EMAIL, True), (ATTACKER_PHONE, False)]


async def test_the_phone_gets_a_brief_confirmation_and_never_his_reminder(comms, demo):
    clock.freeze(local(date(2026, 11, 21), time(10)))  # Saturday: Tuesday's visit gets a reminder
    await open_urgent_consultations(date(2026, 11, 24))
    await book_marie_follow_up(demo, WITH_HIS_NAME, service="Consultation urgente")
    appointment = await Appointment.objects().first()
    assert appointment.patient == await patient_id(comms.clinic, "Côté")

    # Queued: the confirmation to the phone typed (SPEC §5); his reminder to his own email only.
    queued = {(m["kind"], m["channel"]) for m in await outbox(appointment.id)}
    assert queued == {("confirmation", "sms"), ("reminder", "email")}

    await comms.deliver()
    [confirmation] = comms.texts(ATTACKER_PHONE)
    assert "/a/" not in confirmation and "http" not in confirmation  # no details link
    assert "Dre Julie Roy" not in confirmation  # no practitioner
    assert (
        "24 nov. 2026 09:00" in confirmation and "Centre-ville" in confirmation
    )  # date, time, place

    await comms.at(
        local(date(2026, 11, 23), time(20))
    )  # the 1-day reminder (booked too late for the 3-day one)
    assert comms.texts(ATTACKER_PHONE) == [confirmation]
    [reminder] = comms.emails(JEAN_EMAIL)
    assert "/a/" in body(reminder) and "Dre Julie Roy" in body(reminder)


async def test_an_email_typed_gets_a_brief_confirmation_and_calendar_file(comms, demo):
    clock.freeze(local(date(2026, 11, 21), time(10)))
    await open_urgent_consultations(date(2026, 11, 24))
    await book_marie_follow_up(
        demo,
        {**WITH_HIS_NAME, "cell_phone": "", "email": "evil@example.net"},
        service="Consultation urgente",
    )
    await comms.deliver()
    [confirmation] = comms.emails("evil@example.net")
    for part in (body(confirmation), body(confirmation, "html")):
        assert "/a/" not in part and "Dre Julie Roy" not in part
        assert "mardi 24 novembre 2026" in part and "09:00" in part and "Centre-ville" in part
    assert "Pour consulter ou modifier ce rendez-vous, veuillez appeler la clinique." in body(
        confirmation
    )
    [attachment] = list(confirmation.iter_attachments())
    event = Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert "DESCRIPTION" not in event and "URL" not in event
    assert str(event["summary"]) == "Clinique Démo"


async def test_his_own_contact_typed_on_the_portal_gets_the_full_confirmation(comms, demo):
    """The file vouches for the email: nothing is withheld from it."""
    clock.freeze(local(date(2026, 11, 21), time(10)))
    await open_urgent_consultations(date(2026, 11, 24))
    await book_marie_follow_up(
        demo,
        {**WITH_HIS_NAME, "first_name": "Jean", "cell_phone": "", "email": JEAN_EMAIL},
        service="Consultation urgente",
    )
    await comms.deliver()
    [confirmation] = comms.emails(JEAN_EMAIL)
    assert "/a/" in body(confirmation) and "Dre Julie Roy" in body(confirmation)


async def test_an_unidentified_patient_gets_everything_at_the_contacts_typed(comms, demo):
    clock.freeze(local(date(2026, 11, 21), time(10)))
    await open_urgent_consultations(date(2026, 11, 24))
    await book_marie_follow_up(
        demo, JEANS_NUMBER, service="Consultation urgente"
    )  # identifies nobody
    await comms.deliver()
    await comms.at(local(date(2026, 11, 23), time(20)))  # the 1-day reminder
    confirmation, reminder = comms.texts(ATTACKER_PHONE)
    assert "/a/" in confirmation and "Dre Julie Roy" in confirmation
    assert "/a/" in reminder


# -- identical answers ------------------------------------------------------------------

WRONG_DETAILS = {  # Jean's name, birth date and sex, with an email his file does not have
    "first_name": "Jean",
    "last_name": "Côté",
    "date_of_birth": "1972-11-03",
    "sex": "M",
    "health_insurance_number": "",
    "cell_phone": "",
    "email": "jean@ailleurs.example",
    "accept_terms": "on",
}


def normalised(html: str, token: str) -> str:
    """The page without what differs by construction: the session's token, and the form
    token signed for it."""
    return html.replace(token, "SESSION").replace(form_token(html), "FORM")


async def answer(client, typed: dict) -> tuple[int, str, list[str]]:
    """The status, the page the patient lands on, and the SQL the identification ran,
    from the same start: no site or service kept from before (tenants.cache)."""
    forget_cache()
    page = await client.get("/centre-ville/")
    with recorded_statements() as statements:
        response = await client.post(
            "/centre-ville/", data={**typed, "form_token": form_token(page.text)}
        )
    landing = await client.get(response.headers["location"])
    token = re.search(r"/b/([^/]+)/", response.headers["location"]).group(1)
    return response.status_code, normalised(landing.text, token), [s.sql for s in statements]


@pytest.mark.parametrize("typed", [WRONG_DETAILS, JEANS_NUMBER], ids=["details", "his-number"])
async def test_no_file_and_a_file_with_wrong_details_give_the_same_answer_after_the_same_work(
    demo, typed
):
    freeze()
    with_file = await answer(demo, typed)
    await Patient.delete().where(Patient.id == await patient_id(await clinic_id("demo"), "Côté"))
    without_file = await answer(demo, typed)
    assert with_file[0] == without_file[0] == 303
    assert with_file[1] == without_file[1]
    assert with_file[2] == without_file[2]
    assert len(with_file[2]) > 5  # the statements were recorded
    assert await Message.count() == 0


async def test_identifying_again_and_again_cannot_bury_his_file_under_new_contacts(demo):
    freeze()
    for n in range(10):
        assert (
            await identify(demo, {**WITH_HIS_NAME, "cell_phone": f"438 555 01{n:02d}"})
        ).status_code == 303
    contacts = await jeans_contacts()
    assert contacts[0] == (JEAN_EMAIL, True)
    assert [verified for _, verified in contacts[1:]] == [False] * MAX_PENDING


async def test_a_pending_contact_does_not_identify_him_later(demo):
    """With the phone now on his file (pending), his name, birth date and sex and that
    phone, without the number, still identify nobody."""
    freeze()
    await identify(demo, WITH_HIS_NAME)
    by_details = {**WITH_HIS_NAME, "first_name": "Jean", "health_insurance_number": ""}
    assert await offered(demo, await identify(demo, by_details)) == OPEN_TO_ALL
