"""Identification against the demo files (SPEC §5), rate limiting, and tenant isolation."""

import re
from datetime import date

import pytest

from app.patients.forms import parse_identity
from app.patients.identification import PER_IDENTITY, Identification, identify
from app.patients.tables import ContactDetail, Patient
from tests.integration.demo_lookup import clinic_id, patient_id
from tests.integration.portal_helpers import identify as identify_over_http
from tests.moments import NOW, freeze

MARIE = {
    "first_name": "Marie",
    "last_name": "Tremblay",
    "date_of_birth": "1985-04-12",
    "sex": "F",
    "health_insurance_number": "",
    "cell_phone": "",
    "email": "marie.tremblay@example.org",
    "accept_terms": "on",
}
JEAN = {
    **MARIE,
    "first_name": "Jean",
    "last_name": "Côté",
    "date_of_birth": "1972-11-03",
    "sex": "M",
    "email": "jean.cote@example.org",
}
STRANGER = {
    **MARIE,
    "first_name": "Paul",
    "last_name": "Inconnu",
    "date_of_birth": "1990-01-01",
    "sex": "M",
    "email": "paul@example.org",
}
UNIDENTIFIED = Identification("unidentified", None)


def form_token_free(page: str) -> str:
    return re.sub(r'name="form_token" value="[^"]+"', 'name="form_token"', page)


def typed(person: dict, country: str = "CA", hin_format: str = "qc_ramq", **changes):
    form, errors = parse_identity({**person, **changes}, country=country, hin_format=hin_format)
    assert errors == {}
    return form


async def attempt(
    clinic: int, person: dict, client: str = "203.0.113.7", **changes
) -> Identification:
    return await identify(clinic_id=clinic, form=typed(person, **changes), client_key=client)


async def test_every_detail_equal_identifies_the_file(demo_id):
    assert await attempt(demo_id, MARIE) == Identification(
        "identified", await patient_id(demo_id, "Tremblay")
    )
    assert await attempt(demo_id, JEAN) == Identification(
        "identified", await patient_id(demo_id, "Côté")
    )


@pytest.mark.parametrize(
    "first, last",
    [("marie", "TREMBLAY"), ("  Marie ", "  Tremblay  "), ("Márie", "Trémblay")],
)
async def test_case_accent_and_space_variants_identify(demo_id, first, last):
    found = await attempt(demo_id, MARIE, first_name=first, last_name=last)
    assert found.patient_id == await patient_id(demo_id, "Tremblay")


async def test_a_name_typed_without_its_accents_identifies(demo_id):
    found = await attempt(demo_id, JEAN, first_name="JEAN", last_name="cote")
    assert found.patient_id == await patient_id(demo_id, "Côté")


@pytest.mark.parametrize("phone", ["514 555 0101", "(514) 555-0101", "+1 514-555-0101"])
async def test_the_cell_phone_typed_in_three_formats_identifies(demo_id, phone):
    found = await attempt(demo_id, MARIE, email="", cell_phone=phone)
    assert found.status == "identified"


async def test_one_wrong_character_in_the_date_of_birth_identifies_nobody(demo_id):
    assert await attempt(demo_id, MARIE, date_of_birth="1985-04-13") == UNIDENTIFIED


async def test_a_contact_the_file_lacks_identifies_nobody(demo_id):
    assert await attempt(demo_id, MARIE, email="marie@ailleurs.example") == UNIDENTIFIED
    assert await attempt(demo_id, MARIE, email="", cell_phone="514 555 0199") == UNIDENTIFIED


async def test_another_sex_identifies_nobody(demo_id):
    assert await attempt(demo_id, MARIE, sex="X") == UNIDENTIFIED


async def test_the_health_insurance_number_identifies_even_with_other_details_off(demo_id):
    # The last name and the date of birth must still be the file's (see test_identity_takeover.py).
    found = await attempt(
        demo_id,
        MARIE,
        health_insurance_number="trem 8554 1219",
        first_name="Mary",
        last_name="TREMBLAY",
        email="",
        cell_phone="438 555 0177",
    )
    assert found == Identification("identified", await patient_id(demo_id, "Tremblay"))


async def test_with_the_number_and_every_other_detail_the_file_is_found_too(demo_id):
    found = await attempt(demo_id, JEAN, health_insurance_number="COTJ 7211 0318")
    assert found.patient_id == await patient_id(demo_id, "Côté")


async def test_a_number_on_no_file_falls_back_on_the_other_details(demo_id):
    # Same shape and date of birth as Marie's, a different serial: no file has it.
    assert (
        await attempt(demo_id, MARIE, health_insurance_number="TREM85541299")
    ).status == "identified"
    assert (
        await attempt(demo_id, MARIE, health_insurance_number="TREM85541299", email="x@example.org")
        == UNIDENTIFIED
    )


async def test_no_file_and_wrong_details_give_the_same_http_answer(demo):
    """What the patient's browser gets, the redirect and the page it leads to, is the same
    for nobody's details and for a real file's with one detail wrong; the right details
    do get another answer, so the comparison can tell them apart."""
    freeze()

    async def answer(who: dict) -> tuple[int, int, str]:
        identified = await identify_over_http(demo, who)
        page = await demo.get(identified.headers["location"])
        # The session's own token and the form's signature differ on every answer.
        session = identified.headers["location"].split("/b/")[1].split("/")[0]
        return (
            identified.status_code,
            page.status_code,
            form_token_free(page.text.replace(session, "TOKEN")),
        )

    no_file = await answer(STRANGER)
    wrong_details = await answer({**MARIE, "email": "marie@ailleurs.example"})
    assert no_file == wrong_details
    assert await answer(MARIE) != no_file


async def test_a_closed_file_identifies_nobody(demo_id):
    await Patient.update({Patient.status: "inactive"}).where(
        Patient.id == await patient_id(demo_id, "Tremblay")
    )
    assert await attempt(demo_id, MARIE) == UNIDENTIFIED
    assert await attempt(demo_id, MARIE, health_insurance_number="TREM85541219") == UNIDENTIFIED


async def test_duplicate_files_identify_nobody(demo_id):
    copy = Patient(
        clinic=demo_id,
        first_name="MARIE",
        last_name="TREMBLAY",
        date_of_birth=date(1985, 4, 12),
        sex="F",
        created_at=NOW,
    )
    await copy.save()
    # The copy has no contacts, so the details still designate one file only…
    assert (await attempt(demo_id, MARIE)).status == "identified"
    await ContactDetail(
        clinic=demo_id,
        patient=copy.id,
        kind="email",
        value="marie.tremblay@example.org",
        position=1,
    ).save()
    # …until it shares one: then nobody is guessed.
    assert await attempt(demo_id, MARIE) == UNIDENTIFIED
    # The number still tells them apart.
    assert (
        await attempt(demo_id, MARIE, health_insurance_number="TREM85541219")
    ).status == "identified"


async def test_another_clinics_files_are_never_matched(demo_id):
    autre_id = await clinic_id("autre")
    assert await attempt(autre_id, MARIE) == UNIDENTIFIED
    assert await attempt(autre_id, MARIE, health_insurance_number="TREM85541219") == UNIDENTIFIED
    camille = {
        **MARIE,
        "first_name": "Camille",
        "last_name": "Dubois",
        "date_of_birth": "1990-05-14",
        "email": "camille.dubois@example.fr",
    }
    assert (await attempt(autre_id, camille)).status == "identified"
    assert await attempt(demo_id, camille) == UNIDENTIFIED


# -- rate limiting (the limits per address: test_abuse_limits.py) -------------------


async def test_failures_for_one_identity_are_limited_whatever_the_address(demo_id):
    for n in range(PER_IDENTITY.failures):
        assert (
            await attempt(demo_id, MARIE, client=f"198.51.100.{n}", email=f"guess{n}@example.org")
            == UNIDENTIFIED
        )
    assert await attempt(demo_id, MARIE, client="192.0.2.99") == Identification("rate_limited")
    assert (await attempt(demo_id, JEAN, client="192.0.2.99")).status == "identified"


async def test_failures_for_one_health_insurance_number_are_limited(demo_id):
    for n in range(PER_IDENTITY.failures):
        guess = await attempt(
            demo_id,
            STRANGER,
            client=f"198.51.100.{n}",
            first_name=f"Paul{n}",
            date_of_birth="1985-04-12",
            sex="F",
            health_insurance_number="TREM85541299",
        )
        assert guess == UNIDENTIFIED
    limited = await attempt(
        demo_id, MARIE, client="192.0.2.99", health_insurance_number="TREM85541299"
    )
    assert limited == Identification("rate_limited")


async def test_the_limit_counts_failures_only(demo_id):
    for _ in range(PER_IDENTITY.failures + 5):
        assert (await attempt(demo_id, MARIE, client="198.51.100.1")).status == "identified"
    assert await attempt(demo_id, STRANGER, client="198.51.100.1") == UNIDENTIFIED


async def test_a_limit_reached_at_one_clinic_does_not_block_another(demo_id):
    autre_id = await clinic_id("autre")
    for _ in range(PER_IDENTITY.failures + 1):
        await attempt(autre_id, STRANGER, client="198.51.100.1")
    assert (await attempt(demo_id, MARIE, client="198.51.100.1")).status == "identified"
