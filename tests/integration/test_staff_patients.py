"""The front desk's patient pages (SPEC §10), over HTTP with a signed-in secretary: the
search by each kind of query (name part with accents and case ignored, date of birth,
health insurance number, file number, phone in any format), one clinic's files only,
paged; the file with its contacts, appointments, messages and trail; another clinic's
file 404; a practitioner gets the 403 page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from app.patients.tables import ContactDetail, Patient, name_columns
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.staff_helpers import signed_in

SECRETARY = "secretariat@demo.localhost"
JULIE = "julie.roy@demo.localhost"


def names_found(html: str) -> list[str]:
    """The files listed, "Last, First", in order."""
    return re.findall(r'href="/staff/patients/\d+">([^<]+)</a>', html)


@pytest.fixture
async def front_desk(demo):
    return await signed_in(demo, SECRETARY)


@pytest.mark.parametrize(
    "query",
    [
        "trem",  # a prefix of the last name
        "TREMBLAY",
        "marie",  # the first name
        "Marie Trem",
        "1985-04-12",  # date of birth, ISO
        "12/04/1985",  # and as people write it
        "TREM 8554 1219",  # HIN in groups
        "trem85541219",
        "514-555-0101",  # phone in any format
        "(514) 555 0101",
        "+15145550101",
        "0101",  # the last digits
    ],
)
async def test_each_kind_of_query_finds_the_file(front_desk, query):
    page = await front_desk.get("/staff/patients", params={"q": query})
    assert page.status_code == 200
    assert names_found(page.text) == ["Tremblay, Marie"]


async def test_accents_and_case_are_ignored_both_ways(front_desk):
    for query in ("cote", "CÔTÉ", "Côte", "jean cot"):
        page = await front_desk.get("/staff/patients", params={"q": query})
        assert names_found(page.text) == ["Côté, Jean"], query


async def test_file_number_finds_the_file(front_desk, demo_data):
    clinic = await demo_lookup.clinic_id("demo")
    await Patient.update({Patient.file_number: "D-1042"}).where(
        Patient.id == await demo_lookup.patient_id(clinic, "Côté")
    )
    for query in ("D-1042", "d-1042"):
        page = await front_desk.get("/staff/patients", params={"q": query})
        assert names_found(page.text) == ["Côté, Jean"], query


async def test_a_name_updated_is_found_by_its_new_name(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    await Patient.update(name_columns("Jean", "Lévesque")).where(
        Patient.id == await demo_lookup.patient_id(clinic, "Côté")
    )
    assert names_found((await front_desk.get("/staff/patients?q=levesque")).text) == [
        "Lévesque, Jean"
    ]
    assert names_found((await front_desk.get("/staff/patients?q=cote")).text) == []


async def test_another_clinics_files_are_never_found(front_desk):
    # Camille Dubois is autre's patient: no query from demo's front desk shows her.
    for query in ("dubois", "camille", "1990-05-14", "290057512345669", "06 12 34 56 78"):
        page = await front_desk.get("/staff/patients", params={"q": query})
        assert page.status_code == 200
        assert "Dubois" not in page.text and names_found(page.text) == [], query
        assert "No file matches" in page.text or "Aucun dossier" in page.text


async def test_results_come_a_page_at_a_time(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    await Patient.insert(
        *[
            Patient(
                clinic=clinic,
                first_name=f"Élise{n:02d}",
                last_name="Gagnon",
                date_of_birth=date(1970, 1, 1),
                sex="F",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
            for n in range(25)
        ]
    )
    first = await front_desk.get("/staff/patients", params={"q": "gagnon", "lang": "en"})
    assert names_found(first.text) == [f"Gagnon, Élise{n:02d}" for n in range(20)]
    assert "Next page" in first.text and "Previous page" not in first.text
    second = await front_desk.get(
        "/staff/patients", params={"q": "gagnon", "page": "2", "lang": "en"}
    )
    assert names_found(second.text) == [f"Gagnon, Élise{n:02d}" for n in range(20, 25)]
    assert "Previous page" in second.text and "Next page" not in second.text
    # A page number that is not one is the first page, not an error.
    odd = await front_desk.get("/staff/patients", params={"q": "gagnon", "page": "x1"})
    assert odd.status_code == 200 and len(names_found(odd.text)) == 20


async def test_typing_swaps_only_the_results(front_desk):
    page = await front_desk.get(
        "/staff/patients",
        params={"q": "trem"},
        headers={"HX-Request": "true", "HX-Target": "patient-results"},
    )
    assert page.status_code == 200
    assert '<div id="patient-results"' in page.text and "<form" not in page.text
    assert names_found(page.text) == ["Tremblay, Marie"]
    assert "<h1" not in page.text


async def test_the_form_works_without_javascript(front_desk):
    page = await front_desk.get("/staff/patients?lang=en")
    assert '<form class="patient-search" method="get" action="/staff/patients"' in page.text
    assert 'name="q"' in page.text and "<h1" in page.text


async def test_the_file_shows_identity_contacts_and_history(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    marie = await demo_lookup.patient_id(clinic, "Tremblay")
    await ContactDetail.insert(
        ContactDetail(
            clinic=clinic,
            patient=marie,
            kind="email",
            value="marie.pending@example.org",
            position=3,
            verified=False,
        )
    )
    page = await front_desk.get(f"/staff/patients/{marie}?lang=en")
    assert page.status_code == 200
    text = page.text
    assert "Tremblay, Marie" in text and "1985-04-12" in text and "TREM85541219" in text
    assert "Dre Julie Roy" in text  # the family doctor
    contacts = re.search(r'<ol class="contacts">(.*?)</ol>', text, re.S).group(1)
    items = re.findall(r"<li>(.*?)</li>", contacts, re.S)
    assert "+1 514-555-0101" in items[0] and "Main contact" in items[0]
    assert "marie.tremblay@example.org" in items[1] and "Main contact" not in items[1]
    assert "marie.pending@example.org" in items[2] and "Pending" in items[2]
    assert "No appointment yet." in text


async def test_another_clinics_file_is_404(front_desk, autre):
    autre_clinic = await demo_lookup.clinic_id("autre")
    camille = await demo_lookup.patient_id(autre_clinic, "Dubois")
    page = await front_desk.get(f"/staff/patients/{camille}")
    assert page.status_code == 404 and "Dubois" not in page.text
    assert (await front_desk.get("/staff/patients/999999999999")).status_code == 404


async def test_a_practitioner_gets_the_403_page(demo):
    await signed_in(demo, JULIE)
    clinic = await demo_lookup.clinic_id("demo")
    marie = await demo_lookup.patient_id(clinic, "Tremblay")
    for url in ("/staff/patients?q=trem&lang=en", f"/staff/patients/{marie}?lang=en"):
        page = await demo.get(url)
        assert page.status_code == 403
        assert "Tremblay" not in page.text
    home = await demo.get("/staff/?lang=en")
    assert 'href="/staff/patients"' not in home.text


async def test_the_secretary_sees_patients_in_the_navigation(front_desk):
    home = await front_desk.get("/staff/?lang=en")
    assert 'href="/staff/patients"' in home.text


async def test_signed_out_is_sent_to_sign_in(demo):
    page = await demo.get("/staff/patients")
    assert page.status_code in (302, 303)


async def test_the_file_lists_its_appointments_messages_and_changes(world, front_desk):
    from app.booking.services import BookingDetails
    from app.messaging.tables import Message
    from tests.integration.engine_fixtures import open_slots

    marie = await demo_lookup.patient_id(world.demo.id, "Tremblay")
    slots = await open_slots(world.demo, who="roy", site="centre-ville", activity="urgent")
    booked = await world.demo.booking().staff_book(
        slot_id=slots[0], details=BookingDetails(source="staff", patient_id=marie), actor=RECEPTION
    )
    page = await front_desk.get(f"/staff/patients/{marie}?lang=en")
    text = page.text
    assert f'href="/staff/slots/{slots[0]}"' in text and "Upcoming" in text
    assert "Booked" in text
    messages = await Message.select().where(Message.appointment == booked.appointment_id)
    assert messages, "a staff booking queues its confirmation"
    section = re.search(r'id="messages-title".*?</section>', text, re.S).group(0)
    assert "Waiting to be sent" in section or "Sent" in section
    trail = re.search(r'id="trail-title".*?</section>', text, re.S).group(0)
    assert "No change recorded." not in trail
    # The audit log's link is for administrators, who may read it.
    assert "?patient=" not in trail


# Creating and editing files, reordering contacts.


async def page_csrf(client, url: str) -> str:
    from tests.integration.staff_helpers import csrf

    return csrf((await client.get(url)).text)


def error_of(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', html)
    return found.group(1) if found else ""


def value_of(html: str, field: str) -> str:
    found = re.search(rf'<input id="{field}" name="{field}" type="[a-z]+" value="([^"]*)"', html)
    return found.group(1) if found else ""


async def audit_actions(patient_id: int) -> list[str]:
    from app.audit.tables import AuditEntry

    rows = await AuditEntry.select(AuditEntry.action).where(AuditEntry.patient_id == patient_id)
    return [row["action"] for row in rows]


NEW_FILE = {
    "first_name": "Éloïse",
    "last_name": "Bélanger",
    "date_of_birth": "1991-07-08",
    "sex": "F",
    "health_insurance_number": "",
    "file_number": "d-2001",
    "family_doctor": "",
    "cell_phone": "514 555 0199",
    "email": "",
}


async def test_a_new_file_is_created_found_and_audited(front_desk):
    token = await page_csrf(front_desk, "/staff/patients/new")
    done = await front_desk.post("/staff/patients/new", data={**NEW_FILE, "_csrf_token": token})
    assert done.status_code in (302, 303)
    patient_id = int(done.headers["location"].rsplit("/", 1)[1])
    page = await front_desk.get(f"/staff/patients/{patient_id}?lang=en")
    assert "Bélanger, Éloïse" in page.text and "D-2001" in page.text
    assert "+1 514-555-0199" in page.text
    assert names_found((await front_desk.get("/staff/patients?q=belanger eloise")).text) == [
        "Bélanger, Éloïse"
    ]
    assert "patient.created" in await audit_actions(patient_id)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("first_name", "", "Enter the patient's first name."),
        ("date_of_birth", "1991-02-30", "This date does not exist"),
        ("health_insurance_number", "ABCD1234", "4 letters then 8 digits"),
        ("cell_phone", "555", "Enter a valid cell phone number"),
        ("file_number", "X" * 40, "Keep this under 32 characters."),
        ("family_doctor", "999999", "Choose a family doctor from the list."),
    ],
)
async def test_bad_input_on_a_new_file_is_said_next_to_its_field(front_desk, field, typed, message):
    before = await Patient.count()
    token = await page_csrf(front_desk, "/staff/patients/new?lang=en")
    page = await front_desk.post(
        "/staff/patients/new?lang=en", data={**NEW_FILE, field: typed, "_csrf_token": token}
    )
    assert page.status_code == 422
    assert message in error_of(page.text, field).replace("&#39;", "'")
    assert value_of(page.text, "last_name") == "Bélanger"  # what was typed is kept
    if field not in ("family_doctor", "first_name"):
        assert value_of(page.text, field) == typed
    assert await Patient.count() == before  # nothing saved


async def test_a_file_is_edited_and_audited_with_before_and_after(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    jean = await demo_lookup.patient_id(clinic, "Côté")
    url = f"/staff/patients/{jean}/edit"
    form = (await front_desk.get(url + "?lang=en")).text
    assert value_of(form, "last_name") == "Côté"
    data = {
        "first_name": "Jean-Guy",
        "last_name": "Côté",
        "date_of_birth": "1972-11-03",
        "sex": "M",
        "health_insurance_number": "COTJ 7211 0318",
        "file_number": "D-77",
        "family_doctor": "",
        "_csrf_token": csrf_of(form),
    }
    done = await front_desk.post(url, data=data)
    assert done.status_code in (302, 303)
    row = await Patient.select().where(Patient.id == jean).first()
    assert row["first_name"] == "Jean-Guy" and row["file_number"] == "D-77"
    assert names_found((await front_desk.get("/staff/patients?q=jean-guy")).text) == [
        "Côté, Jean-Guy"
    ]
    assert "patient.updated" in await audit_actions(jean)


async def test_bad_input_on_an_edit_saves_nothing(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    jean = await demo_lookup.patient_id(clinic, "Côté")
    url = f"/staff/patients/{jean}/edit"
    form = (await front_desk.get(url + "?lang=en")).text
    page = await front_desk.post(
        url + "?lang=en",
        data={
            "first_name": "Jean",
            "last_name": "Côté",
            "date_of_birth": "2999-01-01",
            "sex": "M",
            "health_insurance_number": "",
            "file_number": "",
            "family_doctor": "",
            "_csrf_token": csrf_of(form),
        },
    )
    assert page.status_code == 422
    assert "cannot be in the future" in error_of(page.text, "date_of_birth")
    assert value_of(page.text, "date_of_birth") == "2999-01-01"
    row = await Patient.select().where(Patient.id == jean).first()
    assert row["date_of_birth"] == date(1972, 11, 3)
    assert "patient.updated" not in await audit_actions(jean)


async def test_forms_without_the_csrf_token_are_refused(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    jean = await demo_lookup.patient_id(clinic, "Côté")
    before = await Patient.count()
    assert (await front_desk.post("/staff/patients/new", data=NEW_FILE)).status_code == 403
    assert (
        await front_desk.post(f"/staff/patients/{jean}/edit", data={**NEW_FILE})
    ).status_code == 403
    assert await Patient.count() == before


def csrf_of(html: str) -> str:
    from tests.integration.staff_helpers import csrf

    return csrf(html)


async def reminder_of_a_booking(world, patient_id: int):
    """Books the file an appointment; returns how to ask where its reminder's email goes."""
    from app.booking.services import BookingDetails
    from app.messaging.recipients import Purpose, recipients
    from tests.integration.engine_fixtures import open_slots

    slots = await open_slots(world.demo, who="roy", site="centre-ville", activity="urgent")
    booked = await world.demo.booking().staff_book(
        slot_id=slots[0],
        details=BookingDetails(source="staff", patient_id=patient_id),
        actor=RECEPTION,
    )

    async def reminder_email() -> str | None:
        found = await recipients(
            clinic_id=world.demo.id, appointment_id=booked.appointment_id, purpose=Purpose.REMINDER
        )
        return found.email

    return reminder_email


async def test_moving_a_contact_up_makes_it_the_one_the_reminder_goes_to(world, front_desk):
    clinic = world.demo.id
    marie = await demo_lookup.patient_id(clinic, "Tremblay")
    await ContactDetail.insert(
        ContactDetail(
            clinic=clinic, patient=marie, kind="email", value="marie.work@example.org", position=3
        )
    )
    reminder_email = await reminder_of_a_booking(world, marie)

    assert await reminder_email() == "marie.tremblay@example.org"
    work = (
        await ContactDetail.select(ContactDetail.id)
        .where(ContactDetail.value == "marie.work@example.org")
        .first()
    )
    page = (await front_desk.get(f"/staff/patients/{marie}?lang=en")).text
    for _ in range(2):  # to position 1: the main contact
        moved = await front_desk.post(
            f"/staff/patients/{marie}/contacts/{work['id']}/up",
            data={"_csrf_token": csrf_of(page)},
        )
        assert moved.status_code in (302, 303)
    page = (await front_desk.get(f"/staff/patients/{marie}?lang=en")).text
    contacts = re.search(r'<ol class="contacts">(.*?)</ol>', page, re.S).group(1)
    first = re.findall(r"<li>(.*?)</li>", contacts, re.S)[0]
    assert "marie.work@example.org" in first and "Main contact" in first
    assert await reminder_email() == "marie.work@example.org"
    assert "patient.contacts" in await audit_actions(marie)
    # Down below the other email again, and a move without the token changes nothing.
    for _ in range(2):
        await front_desk.post(
            f"/staff/patients/{marie}/contacts/{work['id']}/down",
            data={"_csrf_token": csrf_of(page)},
        )
    assert await reminder_email() == "marie.tremblay@example.org"
    refused = await front_desk.post(f"/staff/patients/{marie}/contacts/{work['id']}/up")
    assert refused.status_code == 403
    assert await reminder_email() == "marie.tremblay@example.org"


async def test_another_clinics_contact_cannot_be_changed_through_a_file(front_desk):
    """Autre's file through its own id, and autre's contact through a demo file: 404 and
    nothing changes, for every action."""
    demo_clinic = await demo_lookup.clinic_id("demo")
    autre_clinic = await demo_lookup.clinic_id("autre")
    camille = await demo_lookup.patient_id(autre_clinic, "Dubois")
    marie = await demo_lookup.patient_id(demo_clinic, "Tremblay")
    theirs = await ContactDetail.select().where(ContactDetail.patient == camille)
    token = csrf_of((await front_desk.get("/staff/patients?lang=en")).text)
    for contact in theirs:
        for patient in (camille, marie):
            base = f"/staff/patients/{patient}/contacts/{contact['id']}"
            for action in ("up", "down", "remove", "confirm"):
                done = await front_desk.post(f"{base}/{action}", data={"_csrf_token": token})
                assert done.status_code == 404, (base, action)
            assert (await front_desk.get(base)).status_code == 404
            corrected = await front_desk.post(
                base, data={"kind": "email", "value": "x@example.org", "_csrf_token": token}
            )
            assert corrected.status_code == 404
        added = await front_desk.post(
            f"/staff/patients/{camille}/contacts",
            data={"kind": "email", "value": "x@example.org", "_csrf_token": token},
        )
        assert added.status_code == 404
    assert await ContactDetail.select().where(ContactDetail.patient == camille) == theirs


async def contacts_of(patient_id: int) -> list[tuple[int, str, str, bool]]:
    rows = await (
        ContactDetail.select()
        .where(ContactDetail.patient == patient_id)
        .order_by(ContactDetail.position)
    )
    return [(r["position"], r["kind"], r["value"], r["verified"]) for r in rows]


async def test_a_contact_is_added_last_in_e164_and_audited(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    jean = await demo_lookup.patient_id(clinic, "Côté")
    before = await contacts_of(jean)
    page = (await front_desk.get(f"/staff/patients/{jean}?lang=en")).text
    assert 'id="add-contact"' in page
    done = await front_desk.post(
        f"/staff/patients/{jean}/contacts",
        data={"kind": "home", "value": "(514) 555-0177", "_csrf_token": csrf_of(page)},
    )
    assert done.status_code in (302, 303)
    assert await contacts_of(jean) == [*before, (len(before) + 1, "home", "+15145550177", True)]
    page = (await front_desk.get(f"/staff/patients/{jean}?lang=en")).text
    assert "Home phone" in page and "patient.contacts" in await audit_actions(jean)


@pytest.mark.parametrize(
    "kind, typed, message",
    [
        ("", "jean@example.org", "Choose the kind of contact."),
        ("fax", "jean@example.org", "Choose the kind of contact."),
        ("email", "", "Enter the email or the phone number."),
        ("email", "jean@", "Enter a valid email address"),
        ("email", "a@example.org,b@evil.example", "Enter a valid email address"),
        ("cell", "555", "Enter a valid phone number"),
        ("cell", "1 800 555 0199", "cannot receive text messages"),
        ("home", "x" * 300, "Keep this under 254 characters."),
        ("email", "JEAN.COTE@example.org", "already on the file"),  # his own, in capitals
    ],
)
async def test_a_bad_contact_is_said_next_to_its_field_and_saves_nothing(
    front_desk, kind, typed, message
):
    clinic = await demo_lookup.clinic_id("demo")
    jean = await demo_lookup.patient_id(clinic, "Côté")
    before = await contacts_of(jean)
    page = (await front_desk.get(f"/staff/patients/{jean}?lang=en")).text
    refused = await front_desk.post(
        f"/staff/patients/{jean}/contacts?lang=en",
        data={"kind": kind, "value": typed, "_csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 422
    field = "kind" if "kind of contact" in message else "value"
    assert message in error_of(refused.text, field)
    if field == "value" and len(typed) < 100:
        assert value_of(refused.text, "value") == typed.replace("&", "&amp;")
    assert await contacts_of(jean) == before


async def test_a_file_keeps_at_most_ten_contacts(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    jean = await demo_lookup.patient_id(clinic, "Côté")
    page = (await front_desk.get(f"/staff/patients/{jean}?lang=en")).text
    for n in range(20):
        done = await front_desk.post(
            f"/staff/patients/{jean}/contacts?lang=en",
            data={"kind": "email", "value": f"jean{n}@example.org", "_csrf_token": csrf_of(page)},
        )
        if done.status_code == 422:
            assert "at most 10 contacts" in error_of(done.text, "value")
            break
    assert len(await contacts_of(jean)) == 10


async def test_a_contact_corrected_keeps_its_place_and_is_vouched_for(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    marie = await demo_lookup.patient_id(clinic, "Tremblay")
    typo = await ContactDetail.insert(
        ContactDetail(
            clinic=clinic,
            patient=marie,
            kind="email",
            value="marie@exmaple.org",
            position=3,
            verified=False,
        )
    ).returning(ContactDetail.id)
    url = f"/staff/patients/{marie}/contacts/{typo[0]['id']}"
    form = (await front_desk.get(url + "?lang=en")).text
    assert value_of(form, "value") == "marie@exmaple.org"
    refused = await front_desk.post(
        url + "?lang=en", data={"kind": "cell", "value": "12", "_csrf_token": csrf_of(form)}
    )
    assert refused.status_code == 422 and "valid phone number" in error_of(refused.text, "value")
    assert value_of(refused.text, "value") == "12"
    taken = await front_desk.post(
        url + "?lang=en",
        data={"kind": "cell", "value": "514 555 0101", "_csrf_token": csrf_of(form)},
    )
    assert taken.status_code == 422 and "already on the file" in error_of(taken.text, "value")
    assert (await contacts_of(marie))[2] == (3, "email", "marie@exmaple.org", False)
    done = await front_desk.post(
        url, data={"kind": "email", "value": " Marie@Example.org ", "_csrf_token": csrf_of(form)}
    )
    assert done.status_code in (302, 303)
    assert (await contacts_of(marie))[2] == (3, "email", "marie@example.org", True)
    assert "patient.contacts" in await audit_actions(marie)


async def test_a_contact_removed_closes_the_gap_and_the_next_one_gets_the_reminder(
    world, front_desk
):
    clinic = world.demo.id
    marie = await demo_lookup.patient_id(clinic, "Tremblay")
    await ContactDetail.insert(
        ContactDetail(
            clinic=clinic, patient=marie, kind="email", value="marie.work@example.org", position=3
        )
    )
    reminder_email = await reminder_of_a_booking(world, marie)

    assert await reminder_email() == "marie.tremblay@example.org"
    main_email = (
        await ContactDetail.select(ContactDetail.id)
        .where(ContactDetail.value == "marie.tremblay@example.org")
        .first()
    )
    page = (await front_desk.get(f"/staff/patients/{marie}?lang=en")).text
    done = await front_desk.post(
        f"/staff/patients/{marie}/contacts/{main_email['id']}/remove",
        data={"_csrf_token": csrf_of(page)},
    )
    assert done.status_code in (302, 303)
    assert [c[0] for c in await contacts_of(marie)] == [1, 2]
    assert await reminder_email() == "marie.work@example.org"
    assert "patient.contacts" in await audit_actions(marie)


async def test_staff_confirming_a_pending_contact_lets_it_receive_the_reminder(world, front_desk):
    clinic = world.demo.id
    jean = await demo_lookup.patient_id(clinic, "Côté")
    await ContactDetail.delete().where(ContactDetail.patient == jean)
    pending = await ContactDetail.insert(
        ContactDetail(
            clinic=clinic,
            patient=jean,
            kind="email",
            value="jean.new@example.org",
            position=1,
            verified=False,
        )
    ).returning(ContactDetail.id)
    reminder_email = await reminder_of_a_booking(world, jean)

    assert await reminder_email() is None
    page = (await front_desk.get(f"/staff/patients/{jean}?lang=en")).text
    assert "Pending: not confirmed by the patient" in page
    done = await front_desk.post(
        f"/staff/patients/{jean}/contacts/{pending[0]['id']}/confirm",
        data={"_csrf_token": csrf_of(page)},
    )
    assert done.status_code in (302, 303)
    assert await reminder_email() == "jean.new@example.org"
    page = (await front_desk.get(f"/staff/patients/{jean}?lang=en")).text
    assert "Pending: not confirmed by the patient" not in page
    assert "patient.contacts" in await audit_actions(jean)


async def test_contact_changes_need_the_csrf_token_and_a_known_action(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    marie = await demo_lookup.patient_id(clinic, "Tremblay")
    before = await contacts_of(marie)
    first = (
        await ContactDetail.select(ContactDetail.id).where(ContactDetail.patient == marie).first()
    )
    base = f"/staff/patients/{marie}/contacts"
    assert (await front_desk.post(f"{base}/{first['id']}/remove")).status_code == 403
    assert (
        await front_desk.post(base, data={"kind": "email", "value": "z@example.org"})
    ).status_code == 403
    token = csrf_of((await front_desk.get(f"/staff/patients/{marie}")).text)
    assert (
        await front_desk.post(f"{base}/{first['id']}/delete-all", data={"_csrf_token": token})
    ).status_code == 404
    assert (
        await front_desk.post(f"{base}/99999999999999999999/remove", data={"_csrf_token": token})
    ).status_code == 404
    assert await contacts_of(marie) == before


# Two files for one person: the warning and the merge.


async def second_marie(clinic: int, *, hin: str | None = None) -> int:
    """Another file for Marie Tremblay (same names and date of birth), with its own contact."""
    created = await Patient.insert(
        Patient(
            clinic=clinic,
            first_name="MARIE",
            last_name="Tremblay",
            date_of_birth=date(1985, 4, 12),
            sex="F",
            health_insurance_number=hin,
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    ).returning(Patient.id)
    patient_id = created[0]["id"]
    await ContactDetail.insert(
        ContactDetail(
            clinic=clinic, patient=patient_id, kind="email", value="marie.b@example.org", position=1
        ),
        ContactDetail(
            clinic=clinic,
            patient=patient_id,
            kind="cell",
            value="+15145550101",  # the same as the first file's main contact
            position=2,
        ),
    )
    return patient_id


async def test_the_same_name_and_birth_date_is_warned_and_merged(world, front_desk):
    from app.booking.services import BookingDetails
    from app.messaging.tables import Message
    from tests.integration.engine_fixtures import open_slots

    clinic = world.demo.id
    marie = await demo_lookup.patient_id(clinic, "Tremblay")
    other = await second_marie(clinic)
    slots = await open_slots(world.demo, who="roy", site="centre-ville", activity="urgent")
    booked = await world.demo.booking().staff_book(
        slot_id=slots[0], details=BookingDetails(source="staff", patient_id=other), actor=RECEPTION
    )
    page = (await front_desk.get(f"/staff/patients/{marie}?lang=en")).text
    assert "another file may be the same patient" in page
    assert "same name and date of birth" in page
    assert f'href="/staff/patients/{other}"' in page
    done = await front_desk.post(
        f"/staff/patients/{marie}/merge", data={"other": str(other), "_csrf_token": csrf_of(page)}
    )
    assert done.status_code in (302, 303)
    # The appointment (and its messages, which are the appointment's) moved to Marie's file.
    moved = await Appointment_of(booked.appointment_id)
    assert moved["patient"] == marie
    assert await Message.count().where(Message.appointment == booked.appointment_id) >= 1
    page = (await front_desk.get(f"/staff/patients/{marie}?lang=en")).text
    assert f'href="/staff/slots/{slots[0]}"' in page
    assert "another file may be the same patient" not in page
    # Contacts: Marie's first, then the other file's new one; the shared phone once.
    values = [
        row["value"]
        for row in await ContactDetail.select(ContactDetail.value)
        .where(ContactDetail.patient == marie)
        .order_by(ContactDetail.position)
    ]
    assert values == ["+15145550101", "marie.tremblay@example.org", "marie.b@example.org"]
    assert await ContactDetail.count().where(ContactDetail.patient == other) == 0
    # The merged file is out of the search, says so, and the merge is audited.
    assert names_found((await front_desk.get("/staff/patients?q=marie")).text) == [
        "Tremblay, Marie"
    ]
    merged = (await front_desk.get(f"/staff/patients/{other}?lang=en")).text
    assert "merged into another file" in merged
    assert "patient.merged" in await audit_actions(marie)
    # A merged file takes no new contact: its history stays as it was.
    assert 'id="add-contact"' not in merged
    added = await front_desk.post(
        f"/staff/patients/{other}/contacts",
        data={"kind": "email", "value": "late@example.org", "_csrf_token": csrf_of(merged)},
    )
    assert added.status_code == 404
    assert await ContactDetail.count().where(ContactDetail.patient == other) == 0


async def Appointment_of(appointment_id: int) -> dict:  # noqa: N802 - reads like the table
    from app.booking.tables import Appointment

    return await Appointment.select().where(Appointment.id == appointment_id).first()


async def test_the_same_hin_is_warned(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    jean = await demo_lookup.patient_id(clinic, "Côté")
    await Patient.insert(
        Patient(
            clinic=clinic,
            first_name="Jean-Pierre",
            last_name="Coté",
            date_of_birth=date(1972, 11, 4),
            sex="M",
            health_insurance_number="COTJ72110318",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    page = (await front_desk.get(f"/staff/patients/{jean}?lang=en")).text
    assert "another file may be the same patient" in page
    assert "same health insurance number" in page


async def test_a_merge_of_a_file_that_is_not_a_duplicate_does_nothing(front_desk):
    clinic = await demo_lookup.clinic_id("demo")
    marie = await demo_lookup.patient_id(clinic, "Tremblay")
    jean = await demo_lookup.patient_id(clinic, "Côté")
    autre_clinic = await demo_lookup.clinic_id("autre")
    camille = await demo_lookup.patient_id(autre_clinic, "Dubois")
    page = (await front_desk.get(f"/staff/patients/{marie}?lang=en")).text
    for other in (jean, camille, marie):
        await front_desk.post(
            f"/staff/patients/{marie}/merge",
            data={"other": str(other), "_csrf_token": csrf_of(page)},
        )
    statuses = {
        row["id"]: row["status"] for row in await Patient.select(Patient.id, Patient.status)
    }
    assert statuses[jean] == statuses[camille] == statuses[marie] == "active"
    assert "patient.merged" not in await audit_actions(marie)
    # Without the token, refused.
    other = await second_marie(clinic)
    refused = await front_desk.post(f"/staff/patients/{marie}/merge", data={"other": str(other)})
    assert refused.status_code == 403
    assert (await Patient.select(Patient.status).where(Patient.id == other).first())[
        "status"
    ] == "active"
