"""The front desk links dependants on the patient's file (SPEC §7b): find the other file,
link it as a dependant or a guardian, unlink; both files audited; another clinic's file
is 404 and changes nothing; a tampered form is said next to the results; no CSRF token,
no change. `dependants_of` then lists the pair, which "My appointments" reads."""

from __future__ import annotations

import re

import pytest

from app.audit.tables import AuditEntry
from app.patients import dependants
from app.patients.tables import Dependant
from tests.integration import demo_lookup
from tests.integration.staff_helpers import csrf, signed_in
from tests.integration.test_booking_for_someone_else import lea_file

SECRETARY = "secretariat@demo.localhost"


@pytest.fixture
async def front_desk(demo):
    return await signed_in(demo, SECRETARY)


async def family_page(client, patient_id: int, q: str = ""):
    return await client.get(f"/staff/patients/{patient_id}/family", params={"q": q} if q else None)


async def change(client, patient_id: int, *, unlink: bool = False, **data):
    page = await client.get(f"/staff/patients/{patient_id}")
    url = f"/staff/patients/{patient_id}/family" + ("/unlink" if unlink else "")
    return await client.post(url, data={"_csrf_token": csrf(page.text), **data})


async def test_a_secretary_links_and_unlinks_a_child(front_desk, demo_id):
    marie = await demo_lookup.patient_id(demo_id, "Tremblay")
    lea = await lea_file(demo_id)

    found = await family_page(front_desk, marie, "gagnon")
    assert found.status_code == 200
    assert "Léa Gagnon est à la charge de ce patient" in found.text
    assert re.search(rf'name="other" value="{lea}"', found.text)

    linked = await change(front_desk, marie, other=str(lea), role="dependant", q="gagnon")
    assert linked.status_code in (302, 303)
    assert linked.headers["location"].endswith(f"/staff/patients/{marie}#family-title")
    listed = await dependants.dependants_of(clinic_id=demo_id, guardian_id=marie)
    assert [(d.patient_id, d.first_name) for d in listed] == [(lea, "Léa")]
    assert [
        g.patient_id for g in await dependants.guardians_of(clinic_id=demo_id, patient_id=lea)
    ] == [marie]

    # Both files show it, and both trails have it.
    assert "Gagnon, Léa" in (await front_desk.get(f"/staff/patients/{marie}")).text
    assert "Tremblay, Marie" in (await front_desk.get(f"/staff/patients/{lea}")).text
    for pid in (marie, lea):
        [entry] = await AuditEntry.select().where(
            (AuditEntry.patient_id == pid) & (AuditEntry.action == "patient.dependants")
        )
        assert entry["clinic"] == demo_id
    [marie_entry] = await AuditEntry.select().where(
        (AuditEntry.patient_id == marie) & (AuditEntry.action == "patient.dependants")
    )
    assert f"#{lea} Léa Gagnon" in str(marie_entry["after"])
    assert f"#{lea}" not in str(marie_entry["before"])

    again = await change(front_desk, marie, other=str(lea), role="dependant")
    assert again.status_code == 422 and "Ces dossiers sont déjà liés." in again.text

    # Unlinked from the child's page: Marie is her guardian there.
    unlinked = await change(front_desk, lea, unlink=True, other=str(marie), role="guardian")
    assert unlinked.status_code in (302, 303)
    assert await dependants.dependants_of(clinic_id=demo_id, guardian_id=marie) == []


async def test_another_clinics_file_is_refused(front_desk, demo_id):
    marie = await demo_lookup.patient_id(demo_id, "Tremblay")
    autre = await demo_lookup.clinic_id("autre")
    camille = await demo_lookup.patient_id(autre, "Dubois")
    for role in ("dependant", "guardian"):
        refused = await change(front_desk, marie, other=str(camille), role=role)
        assert refused.status_code == 404
        assert "Dubois" not in refused.text
    # Nor is her page reachable as the page's file.
    assert (await family_page(front_desk, camille)).status_code == 404
    assert (await change(front_desk, camille, other=str(marie), role="dependant")).status_code in (
        404,
    )
    # The search lists this clinic's files only.
    assert "Dubois" not in (await family_page(front_desk, marie, "dubois")).text
    assert await Dependant.count() == 0


async def test_a_tampered_form_is_said_next_to_the_results(front_desk, demo_id):
    marie = await demo_lookup.patient_id(demo_id, "Tremblay")
    lea = await lea_file(demo_id)
    for bad in (
        {"other": "abc", "role": "dependant"},
        {"other": str(lea), "role": "boss"},
        {"other": "9" * 40, "role": "guardian"},
        {"other": "", "role": ""},
    ):
        response = await change(front_desk, marie, **bad)
        assert response.status_code == 422, bad
        assert 'id="other-error"' in response.text
    itself = await change(front_desk, marie, other=str(marie), role="dependant")
    assert itself.status_code == 422 and 'id="other-error"' in itself.text
    not_linked = await change(front_desk, marie, unlink=True, other=str(lea), role="dependant")
    assert not_linked.status_code == 422 and 'id="other-error"' in not_linked.text
    assert await Dependant.count() == 0
    assert not await AuditEntry.exists().where(AuditEntry.action == "patient.dependants")


async def test_no_csrf_token_no_change(front_desk, demo_id):
    marie = await demo_lookup.patient_id(demo_id, "Tremblay")
    lea = await lea_file(demo_id)
    response = await front_desk.post(
        f"/staff/patients/{marie}/family", data={"other": str(lea), "role": "dependant"}
    )
    assert response.status_code == 403
    forged = await front_desk.post(
        f"/staff/patients/{marie}/family",
        data={"other": str(lea), "role": "dependant", "_csrf_token": "forged"},
    )
    assert forged.status_code == 403
    assert await Dependant.count() == 0


async def test_a_practitioner_cannot_link(demo, demo_id):
    marie = await demo_lookup.patient_id(demo_id, "Tremblay")
    lea = await lea_file(demo_id)
    julie = await signed_in(demo, "julie.roy@demo.localhost")
    assert (await family_page(julie, marie)).status_code == 403
    page = await julie.get("/staff/")
    token = csrf(page.text)
    refused = await julie.post(
        f"/staff/patients/{marie}/family",
        data={"other": str(lea), "role": "dependant", "_csrf_token": token},
    )
    assert refused.status_code == 403
    assert await Dependant.count() == 0
