"""Contacts typed on the form join the file; who receives confirmations and reminders."""

import asyncio
from datetime import date, time

import pytest

from app.booking.services import BookingDetails, BookingService
from app.listeners import make_bus
from app.messaging.recipients import Recipients, recipients
from app.patients.contacts import add_missing_contacts
from app.patients.forms import parse_identity
from app.patients.tables import ContactDetail
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Slot
from tests.integration.demo_lookup import (
    activity_id,
    clinic_id,
    patient_id,
    practitioner_id,
    site_id,
)
from tests.integration.engine_fixtures import RECEPTION

MARIE = {
    "first_name": "Marie",
    "last_name": "Tremblay",
    "date_of_birth": "1985-04-12",
    "sex": "F",
    "health_insurance_number": "TREM85541219",
    "cell_phone": "514 555 0101",
    "email": "marie.tremblay@example.org",
    "accept_terms": "on",
}


def typed(**changes):
    form, errors = parse_identity({**MARIE, **changes}, country="CA", hin_format="qc_ramq")
    assert errors == {}
    return form


async def contacts(clinic: int, patient: int) -> list[tuple[int, str, str]]:
    rows = (
        await ContactDetail.select(ContactDetail.position, ContactDetail.kind, ContactDetail.value)
        .where((ContactDetail.clinic == clinic) & (ContactDetail.patient == patient))
        .order_by(ContactDetail.position)
    )
    return [(r["position"], r["kind"], r["value"]) for r in rows]


async def test_contacts_already_on_file_add_nothing(demo_id):
    marie = await patient_id(demo_id, "Tremblay")
    before = await contacts(demo_id, marie)
    assert await add_missing_contacts(clinic_id=demo_id, patient_id=marie, form=typed()) == []
    assert (
        await add_missing_contacts(
            clinic_id=demo_id,
            patient_id=marie,
            form=typed(email="MARIE.Tremblay@example.org", cell_phone="(514) 555-0101"),
        )
        == []
    )
    assert await contacts(demo_id, marie) == before


async def test_new_contacts_go_after_the_existing_ones_once(demo_id):
    marie = await patient_id(demo_id, "Tremblay")
    form = typed(cell_phone="438 555 0177", email="marie@nouveau.example")
    assert await add_missing_contacts(clinic_id=demo_id, patient_id=marie, form=form) == [
        "+14385550177",
        "marie@nouveau.example",
    ]
    assert await add_missing_contacts(clinic_id=demo_id, patient_id=marie, form=form) == []
    assert await contacts(demo_id, marie) == [
        (1, "cell", "+15145550101"),
        (2, "email", "marie.tremblay@example.org"),
        (3, "cell", "+14385550177"),
        (4, "email", "marie@nouveau.example"),
    ]


async def test_only_the_missing_kind_is_added(demo_id):
    jean = await patient_id(demo_id, "Côté")
    form = typed(first_name="Jean", cell_phone="514 555 0102", email="jean.cote@example.org")
    assert await add_missing_contacts(clinic_id=demo_id, patient_id=jean, form=form) == [
        "+15145550102"
    ]
    assert await contacts(demo_id, jean) == [
        (1, "email", "jean.cote@example.org"),
        (2, "cell", "+15145550102"),
    ]


async def test_a_double_submission_adds_each_contact_once(demo_id):
    jean = await patient_id(demo_id, "Côté")
    form = typed(cell_phone="514 555 0102", email="jean@nouveau.example")
    await asyncio.gather(
        *[add_missing_contacts(clinic_id=demo_id, patient_id=jean, form=form) for _ in range(3)]
    )
    values = [value for _, _, value in await contacts(demo_id, jean)]
    assert sorted(values) == sorted(
        ["jean.cote@example.org", "+15145550102", "jean@nouveau.example"]
    )


async def test_another_clinics_file_is_left_alone(demo_id):
    autre_id = await clinic_id("autre")
    camille = await patient_id(autre_id, "Dubois")
    before = await contacts(autre_id, camille)
    assert (
        await add_missing_contacts(
            clinic_id=demo_id, patient_id=camille, form=typed(email="x@example.org")
        )
        == []
    )
    assert await contacts(autre_id, camille) == before


# -- recipients ----------------------------------------------------------------------


async def book(clinic: int, **details) -> int:
    roy = await practitioner_id(clinic, "Dre Julie Roy")
    opened = await SchedulingService(clinic_id=clinic, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=roy,
        site_id=await site_id(clinic, "centre-ville"),
        activity_id=await activity_id(clinic, "Suivi"),
        day=date(2026, 11, 24),
        start=time(9),
        end=time(12),
    )
    free = (
        await Slot.select(Slot.id)
        .where((Slot.opening == opened.opening_id) & (Slot.state == "open"))
        .first()
    )
    outcome = await BookingService(clinic_id=clinic, bus=make_bus()).staff_book(
        actor=RECEPTION, slot_id=free["id"], details=BookingDetails(source="online", **details)
    )
    assert outcome.code == "booked"
    return outcome.appointment_id


async def test_the_confirmation_goes_to_the_form_and_reminders_to_the_file(demo_id):
    marie = await patient_id(demo_id, "Tremblay")
    appointment = await book(
        demo_id,
        patient_id=marie,
        contact_email="marie@nouveau.example",
        contact_phone="+14385550177",
    )
    # Typed on the portal and not vouched for by the file: the confirmation there is brief.
    assert await recipients(
        clinic_id=demo_id, appointment_id=appointment, purpose="confirmation"
    ) == Recipients(
        email="marie@nouveau.example",
        phone="+14385550177",
        brief=frozenset({"marie@nouveau.example", "+14385550177"}),
    )
    assert await recipients(
        clinic_id=demo_id, appointment_id=appointment, purpose="reminder"
    ) == Recipients(email="marie.tremblay@example.org", phone="+15145550101")


async def test_reminders_follow_the_files_order(demo_id):
    marie = await patient_id(demo_id, "Tremblay")
    await add_missing_contacts(
        clinic_id=demo_id, patient_id=marie, form=typed(email="marie@nouveau.example")
    )
    appointment = await book(demo_id, patient_id=marie, contact_email="marie@nouveau.example")
    # Staff confirm the new address and make it the main contact.
    await ContactDetail.update({ContactDetail.verified: True}).where(
        ContactDetail.value == "marie@nouveau.example"
    )
    await ContactDetail.update({ContactDetail.position: 9}).where(
        ContactDetail.value == "marie.tremblay@example.org"
    )
    await ContactDetail.update({ContactDetail.position: 1}).where(
        ContactDetail.value == "marie@nouveau.example"
    )
    await ContactDetail.update({ContactDetail.position: 2}).where(
        ContactDetail.value == "+15145550101"
    )
    assert await recipients(
        clinic_id=demo_id, appointment_id=appointment, purpose="reminder"
    ) == Recipients(email="marie@nouveau.example", phone="+15145550101")


async def test_a_home_phone_gets_no_text_message(demo_id):
    jean = await patient_id(demo_id, "Côté")
    await ContactDetail.update({ContactDetail.position: 2}).where(ContactDetail.patient == jean)
    await ContactDetail(
        clinic=demo_id, patient=jean, kind="home", value="+15145550300", position=1
    ).save()
    appointment = await book(
        demo_id,
        patient_id=jean,
        contact_email="jean.cote@example.org",
        contact_phone="+15145550102",
    )
    assert await recipients(
        clinic_id=demo_id, appointment_id=appointment, purpose="reminder"
    ) == Recipients(email="jean.cote@example.org", phone=None)


async def test_an_unidentified_patient_gets_everything_at_the_contacts_typed(demo_id):
    appointment = await book(
        demo_id,
        contact_phone="+15145550199",
        provisional={"first_name": "Paul", "last_name": "Inconnu"},
    )
    typed_contacts = Recipients(email=None, phone="+15145550199")
    assert (
        await recipients(clinic_id=demo_id, appointment_id=appointment, purpose="confirmation")
        == typed_contacts
    )
    assert (
        await recipients(clinic_id=demo_id, appointment_id=appointment, purpose="reminder")
        == typed_contacts
    )


async def test_another_clinics_appointment_has_no_recipient(demo_id):
    appointment = await book(demo_id, contact_email="marie@nouveau.example")
    autre_id = await clinic_id("autre")
    assert await recipients(
        clinic_id=autre_id, appointment_id=appointment, purpose="confirmation"
    ) == Recipients(None, None)


async def test_an_unknown_purpose_is_a_programming_error(demo_id):
    with pytest.raises(ValueError):
        await recipients(clinic_id=demo_id, appointment_id=1, purpose="newsletter")
