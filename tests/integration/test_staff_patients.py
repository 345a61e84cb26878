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
