"""To reconcile (SPEC §10), over HTTP: strangers book online, the secretary sees their
appointments with the closest files, attaches one to a file (its messages follow, the
typed contacts join the file pending) or creates a file from it (the next booking of the
same person is then identified). Both audited; another clinic's ids are 404."""

from __future__ import annotations

import re
from datetime import date, time

import pytest

from app.booking.services import BookingService
from app.booking.tables import Appointment, BookingSession
from app.events import Actor
from app.listeners import make_bus
from app.messaging.tables import Message
from app.patients.tables import ContactDetail, Patient
from app.scheduling.services import SchedulingService
from app.staff.reconcile.ranking import Candidate, Reason, Typed, rank
from tests.integration import demo_lookup
from tests.integration.audit_helpers import entries
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.portal_helpers import STRANGER, book_marie_follow_up, text
from tests.integration.staff_helpers import csrf, signed_in
from tests.integration.web import clinic_client
from tests.moments import freeze

SECRETARY = "secretariat@demo.localhost"
URGENT = "Consultation urgente"  # the service open to everyone
PAUL_PHONE = "+15145550199"
# Marie Tremblay's date of birth and sex, her name misspelt, a new email: the portal
# cannot identify her (names must be equal), the desk should recognise her.
MARIE_MISSPELT = {
    **STRANGER,
    "first_name": "MARIE",
    "last_name": "Tremblé",
    "date_of_birth": "1985-04-12",
    "sex": "F",
    "cell_phone": "",
    "email": "marie.t@example.net",
}
# Someone else with Jean Côté's email (his partner?), a different name and birth date.
JEANS_EMAIL = {
    **STRANGER,
    "first_name": "Lucie",
    "last_name": "Martel",
    "date_of_birth": "1975-02-02",
    "sex": "F",
    "cell_phone": "",
    "email": "jean.cote@example.org",
}


@pytest.fixture
async def portal(web_app):
    """A patient's browser on the demo clinic's host (no staff session)."""
    freeze()
    demo = await demo_lookup.clinic_id("demo")
    service = SchedulingService(clinic_id=demo, bus=make_bus())
    for day in (date(2026, 11, 24), date(2026, 11, 25)):
        await service.open_manual(
            actor=RECEPTION,
            practitioner_id=await demo_lookup.practitioner_id(demo, "Dre Julie Roy"),
            site_id=await demo_lookup.site_id(demo, "centre-ville"),
            activity_id=await demo_lookup.activity_id(demo, URGENT),
            day=day,
            start=time(9),
            end=time(10),
        )
    async with clinic_client(web_app, "demo") as client:
        yield client


async def book(portal, who: dict) -> int:
    await book_marie_follow_up(portal, who, service=URGENT)
    return (
        await Appointment.select(Appointment.id).order_by(Appointment.id, ascending=False).first()
    )["id"]


@pytest.fixture
async def secretary(demo):
    return await signed_in(demo, SECRETARY)


async def post(client, path: str, data: dict | None = None, **headers):
    page = await client.get("/staff/reconcile")
    return await client.post(
        path, data={**(data or {}), "_csrf_token": csrf(page.text)}, headers=headers
    )


async def ids() -> dict[str, int]:
    demo = await demo_lookup.clinic_id("demo")
    return {
        "demo": demo,
        "marie": await demo_lookup.patient_id(demo, "Tremblay"),
        "jean": await demo_lookup.patient_id(demo, "Côté"),
    }


async def contacts(patient_id: int) -> list[tuple[str, bool]]:
    rows = (
        await ContactDetail.select(ContactDetail.value, ContactDetail.verified)
        .where(ContactDetail.patient == patient_id)
        .order_by(ContactDetail.position)
    )
    return [(row["value"], row["verified"]) for row in rows]


def nav_count(html: str) -> str | None:
    found = re.search(r'id="nav-count-staff-reconcile">(\d+)<', html)
    return found.group(1) if found else None


def card(html: str, appointment_id: int) -> str:
    found = re.search(
        rf'<li class="card reconcile-item" id="appointment-{appointment_id}".*?</li>'
        r"\s*(?=<li class=\"card|</ol>)",
        html,
        re.S,
    )
    assert found, f"appointment {appointment_id} is listed"
    return found.group(0)


# -- ranking, as pure functions ------------------------------------------------------


def typed(first: str, last: str, born: date | None = date(1985, 4, 12), **contacts) -> Typed:
    return Typed(
        first, last, born, contacts.get("hin"), contacts.get("email"), contacts.get("phone")
    )


def candidate(patient_id: int, first: str, last: str, born=date(1985, 4, 12), *values) -> Candidate:
    return Candidate(patient_id, first, last, born, None, frozenset(values))


def test_names_compare_without_accents_or_case_and_a_shared_contact_ranks_first():
    files = [
        candidate(1, "Héloïse", "Lefèvre"),
        candidate(2, "Paul", "Durand"),  # the same birthday, nobody alike
        candidate(3, "Eloise", "Lefebvre"),  # alike, another file
        candidate(4, "Zoé", "Roy", date(1950, 1, 1), "+15145550199"),  # the phone typed
    ]
    ranked = rank(typed("HELOISE", "lefevre", phone="+15145550199"), files)
    assert [r.candidate.patient_id for r in ranked] == [1, 3, 4]
    assert ranked[0].similarity == 1.0
    assert ranked[0].reasons == (Reason.SAME_BIRTH_DATE, Reason.SIMILAR_NAME)
    assert ranked[2].reasons == (Reason.SAME_PHONE,)
    # The phone in common with the birth date and the name beats the name alone.
    both = rank(
        typed("Eloise", "Lefebvre", phone="+15145550199"),
        [files[0], candidate(5, "Eloise", "Lefebvre", date(1985, 4, 12), "+15145550199")],
    )
    assert [r.candidate.patient_id for r in both] == [5, 1]


def test_swapped_first_and_last_names_are_still_similar():
    [found] = rank(typed("Tremblay", "Marie"), [candidate(7, "Marie", "Tremblay")])
    assert found.similarity == 1.0


# -- the list and its count ----------------------------------------------------------


async def test_the_secretary_sees_unidentified_online_appointments_soonest_first(portal, secretary):
    later = await book(portal, STRANGER)  # the first slot: Tuesday 09:00
    sooner = await book(portal, MARIE_MISSPELT)  # the next one: Tuesday 09:15
    await book(
        portal,
        {
            **MARIE_MISSPELT,
            "first_name": "Marie",
            "last_name": "Tremblay",
            "email": "marie.tremblay@example.org",
        },
    )  # identified: not listed
    await BookingService(clinic_id=(await ids())["demo"], bus=make_bus()).cancel(
        appointment_id=sooner, actor=RECEPTION
    )
    third = await book(portal, MARIE_MISSPELT)
    page = await secretary.get("/staff/reconcile?lang=en")
    assert page.status_code == 200
    listed = [int(i) for i in re.findall(r'id="appointment-(\d+)"', page.text)]
    assert listed == [later, third]  # soonest first; the cancelled and the identified are not
    assert nav_count(page.text) == "2"
    assert "Paul Inconnu" in text(page) and "514 555 0199" in text(page)
    # Every staff page of the front desk shows the count; a practitioner sees no entry.
    assert nav_count((await secretary.get("/staff/agenda", follow_redirects=True)).text) == "2"


async def test_the_closest_files_are_ranked_and_link_to_the_file(portal, secretary):
    known = await ids()
    marie_misspelt = await book(portal, MARIE_MISSPELT)
    jeans_email = await book(portal, JEANS_EMAIL)
    stranger = await book(portal, STRANGER)
    page = await secretary.get("/staff/reconcile?lang=en")
    first = card(text(page), marie_misspelt)
    assert f'href="/staff/patients/{known["marie"]}"' in first
    assert "Same date of birth, Similar name" in first
    assert f'/staff/patients/{known["jean"]}"' not in first
    second = card(text(page), jeans_email)
    assert f'href="/staff/patients/{known["jean"]}"' in second and "Same email" in second
    assert "No file has the same date of birth" in card(text(page), stranger)


# -- attach --------------------------------------------------------------------------


async def test_attach_moves_the_appointment_and_its_messages_and_appends_the_contacts(
    portal, secretary
):
    known = await ids()
    appointment = await book(portal, MARIE_MISSPELT)
    messages = await Message.select(Message.id).where(Message.appointment == appointment)
    assert messages  # her confirmation, queued to the email she typed
    before = await contacts(known["marie"])

    done = await post(
        secretary, f"/staff/reconcile/{appointment}/attach?lang=en", {"patient": known["marie"]}
    )
    assert done.status_code == 303
    page = await secretary.get(done.headers["location"] + "&lang=en")
    assert "Appointment attached to the file." in text(page)
    assert f'id="appointment-{appointment}"' not in page.text and nav_count(page.text) is None

    row = await Appointment.select(Appointment.patient).where(Appointment.id == appointment).first()
    assert row["patient"] == known["marie"]
    # Her messages point at the appointment, so they are the file's now.
    of_file = await Message.select(Message.id).where(Message.appointment.patient == known["marie"])
    assert {m["id"] for m in messages} <= {m["id"] for m in of_file}
    # The email typed comes after the file's own, pending: she typed it, staff did not check it.
    assert await contacts(known["marie"]) == [*before, ("marie.t@example.net", False)]

    [attached] = await entries(known["demo"], "appointment.attached")
    assert attached["patient_id"] == known["marie"] and attached["appointment_id"] == appointment
    assert attached["before"]["patient_id"] is None
    [changed] = await entries(known["demo"], "patient.contacts")
    assert changed["after"]["contacts"][-1] == "email:marie.t@example.net (pending)"

    # Clicked again from a stale page: said, nothing changed twice.
    again = await post(
        secretary, f"/staff/reconcile/{appointment}/attach?lang=en", {"patient": known["jean"]}
    )
    assert again.status_code == 409
    assert "already attached to a file meanwhile" in text(again)
    row = await Appointment.select(Appointment.patient).where(Appointment.id == appointment).first()
    assert row["patient"] == known["marie"]
    assert len(await entries(known["demo"], "appointment.attached")) == 1


async def test_a_contact_the_file_already_has_is_not_added_twice(portal, secretary):
    known = await ids()
    appointment = await book(portal, JEANS_EMAIL)
    before = await contacts(known["jean"])
    done = await post(
        secretary, f"/staff/reconcile/{appointment}/attach", {"patient": known["jean"]}
    )
    assert done.status_code == 303
    assert await contacts(known["jean"]) == before
    assert await entries(known["demo"], "patient.contacts") == []


async def test_htmx_gets_the_list_back_with_the_count_redrawn(portal, secretary):
    known = await ids()
    appointment = await book(portal, MARIE_MISSPELT)
    await book(portal, STRANGER)
    swapped = await post(
        secretary,
        f"/staff/reconcile/{appointment}/attach?lang=en",
        {"patient": known["marie"]},
        **{"HX-Request": "true", "HX-Target": "reconcile"},
    )
    assert swapped.status_code == 200
    assert "<html" not in swapped.text and 'id="reconcile"' in swapped.text
    assert "Appointment attached to the file." in text(swapped)
    assert re.search(
        r'id="nav-count-staff-reconcile" class="nav-count" hx-swap-oob="outerHTML">1<', swapped.text
    )


async def test_an_appointment_cancelled_meanwhile_is_said_and_left_alone(portal, secretary):
    known = await ids()
    appointment = await book(portal, MARIE_MISSPELT)
    page = await secretary.get("/staff/reconcile")  # drawn while it was still active
    await BookingService(clinic_id=known["demo"], bus=make_bus()).cancel(
        appointment_id=appointment, actor=Actor.system("test")
    )
    before, files = await contacts(known["marie"]), await Patient.count()
    for action, data in (("attach", {"patient": known["marie"]}), ("create", {})):
        response = await secretary.post(
            f"/staff/reconcile/{appointment}/{action}?lang=en",
            data={**data, "_csrf_token": csrf(page.text)},
        )
        assert response.status_code == 409
        assert "cancelled meanwhile: nothing was changed" in text(response)
    assert await contacts(known["marie"]) == before and await Patient.count() == files
    row = await Appointment.select(Appointment.patient).where(Appointment.id == appointment).first()
    assert row["patient"] is None


# -- create a file -------------------------------------------------------------------


async def test_a_file_created_from_the_typed_identity_identifies_the_next_booking(
    portal, secretary
):
    known = await ids()
    appointment = await book(portal, STRANGER)
    done = await post(secretary, f"/staff/reconcile/{appointment}/create")
    assert done.status_code == 303
    paul = await Patient.select().where(Patient.last_name == "Inconnu").first()
    assert (paul["first_name"], paul["date_of_birth"], paul["sex"]) == (
        "Paul",
        date(1990, 1, 1),
        "M",
    )
    assert await contacts(paul["id"]) == [(PAUL_PHONE, True)]  # staff created it: vouched for
    row = await Appointment.select(Appointment.patient).where(Appointment.id == appointment).first()
    assert row["patient"] == paul["id"]
    page = await secretary.get(done.headers["location"])
    assert "Dossier créé" in text(page) and f'href="/staff/patients/{paul["id"]}"' in page.text

    [created] = await entries(known["demo"], "patient.created")
    assert created["patient_id"] == paul["id"] and created["after"]["last_name"] == "Inconnu"
    [attached] = await entries(known["demo"], "appointment.attached")
    assert attached["after"]["patient_id"] == paul["id"]

    # Paul books again with the same details: the portal knows him now.
    second = await book(portal, STRANGER)
    row = await Appointment.select(Appointment.patient).where(Appointment.id == second).first()
    assert row["patient"] == paul["id"]
    session = (
        await BookingSession.select(BookingSession.identified)
        .where(BookingSession.appointment == second)
        .first()
    )
    assert session["identified"] == "identified"
    assert f'id="appointment-{second}"' not in (await secretary.get("/staff/reconcile")).text


async def test_a_file_is_not_created_twice_for_one_appointment(portal, secretary):
    appointment = await book(portal, STRANGER)
    page = await secretary.get("/staff/reconcile")
    first = await secretary.post(
        f"/staff/reconcile/{appointment}/create", data={"_csrf_token": csrf(page.text)}
    )
    again = await secretary.post(
        f"/staff/reconcile/{appointment}/create?lang=en", data={"_csrf_token": csrf(page.text)}
    )
    assert first.status_code == 303 and again.status_code == 409
    assert "already attached" in text(again)
    assert await Patient.count().where(Patient.last_name == "Inconnu") == 1


async def test_create_refuses_a_number_another_file_has(portal, secretary):
    appointment = await book(
        portal,
        {
            **STRANGER,
            "health_insurance_number": "TREM 8554 1219",
            "first_name": "Mario",
            "last_name": "Trembly",
            "date_of_birth": "1985-04-12",
            "sex": "F",
        },
    )
    files = await Patient.count()
    response = await post(secretary, f"/staff/reconcile/{appointment}/create?lang=en")
    assert response.status_code == 422
    assert "A file already has this health insurance number: attach to it instead." in text(
        response
    )
    assert await Patient.count() == files


# -- who may -------------------------------------------------------------------------


async def test_a_practitioner_gets_the_403_page_and_no_entry(portal, demo):
    await book(portal, STRANGER)
    julie = await signed_in(demo, "julie.roy@demo.localhost")
    response = await julie.get("/staff/reconcile")
    assert response.status_code == 403 and "Vous ne pouvez pas faire ceci" in text(response)
    agenda = await julie.get("/staff/agenda", follow_redirects=True)
    assert "/staff/reconcile" not in agenda.text and nav_count(agenda.text) is None


async def test_a_post_without_the_csrf_token_is_refused(portal, secretary):
    known = await ids()
    appointment = await book(portal, MARIE_MISSPELT)
    files = await Patient.count()
    for action in ("attach", "create"):
        response = await secretary.post(
            f"/staff/reconcile/{appointment}/{action}", data={"patient": known["marie"]}
        )
        assert response.status_code == 403
    row = await Appointment.select(Appointment.patient).where(Appointment.id == appointment).first()
    assert row["patient"] is None and await Patient.count() == files


async def test_another_clinics_ids_are_404(portal, secretary, autre):
    known = await ids()
    appointment = await book(portal, MARIE_MISSPELT)
    autre_id = await demo_lookup.clinic_id("autre")
    camille = await demo_lookup.patient_id(autre_id, "Dubois")
    # The demo clinic's appointment, given to the other clinic's file: no such file here.
    mixed = await post(secretary, f"/staff/reconcile/{appointment}/attach", {"patient": camille})
    assert mixed.status_code == 404
    # The other clinic's staff, on the demo clinic's appointment: no such appointment there.
    other = await signed_in(autre, "admin@autre.localhost")
    page = await other.get("/staff/reconcile")
    assert page.status_code == 200 and "Tremblé" not in text(page)
    for action in ("attach", "create"):
        response = await other.post(
            f"/staff/reconcile/{appointment}/{action}",
            data={"patient": camille, "_csrf_token": csrf(page.text)},
        )
        assert response.status_code == 404 and "Tremblé" not in text(response)
    row = await Appointment.select(Appointment.patient).where(Appointment.id == appointment).first()
    assert row["patient"] is None
    assert await Patient.count().where(Patient.clinic == autre_id) == 1
    assert known["marie"] != camille


async def test_an_attach_without_a_file_is_said_and_changes_nothing(portal, secretary):
    appointment = await book(portal, MARIE_MISSPELT)
    response = await post(
        secretary, f"/staff/reconcile/{appointment}/attach?lang=en", {"patient": "x"}
    )
    assert response.status_code == 422
    assert "Choose the file to attach the appointment to." in text(response)
    row = await Appointment.select(Appointment.patient).where(Appointment.id == appointment).first()
    assert row["patient"] is None
