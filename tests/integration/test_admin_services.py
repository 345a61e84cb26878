"""Online services in the administration: an administrator lists, creates and edits them;
the portal's step 2 and slot search follow at once; every change is audited; bad input
comes back next to its field with nothing saved; secretaries and other clinics are kept out.

The clock is frozen on tests.moments.NOW; the slots opened here are days ahead of it."""

from __future__ import annotations

import re

import pytest

from app.online_services.tables import OnlineService, ServiceActivity, ServicePractitioner
from tests.integration import demo_lookup
from tests.integration.audit_helpers import entries
from tests.integration.portal_helpers import (
    MARIE,
    STRANGER,
    choose_service,
    identify,
    open_follow_ups,
    option_labels,
    slot_ids,
    text,
)
from tests.integration.staff_helpers import csrf, signed_in
from tests.moments import freeze

BASE = "/staff/administration/services"


@pytest.fixture
async def ids(demo_data):
    freeze()
    demo = await demo_lookup.clinic_id("demo")

    async def service(name_fr: str) -> int:
        row = (
            await OnlineService.select(OnlineService.id)
            .where((OnlineService.clinic == demo) & (OnlineService.name_fr == name_fr))
            .first()
        )
        return row["id"]

    return {
        "clinic": demo,
        "roy": await demo_lookup.practitioner_id(demo, "Dre Julie Roy"),
        "gagnon": await demo_lookup.practitioner_id(demo, "Dr Marc Gagnon"),
        "suivi": await demo_lookup.activity_id(demo, "Suivi"),
        "urgent_activity": await demo_lookup.activity_id(demo, "Consultation urgente"),
        "urgent": await service("Consultation urgente"),
        "follow_up": await service("Suivi avec mon médecin de famille"),
    }


@pytest.fixture
async def admin(demo, ids):
    return await signed_in(demo, "admin@demo.localhost")


async def post(client, path: str, data: dict, page: str = f"{BASE}/new"):
    token = csrf((await client.get(page)).text)
    return await client.post(path, data={**data, "_csrf_token": token})


def new_service(ids, **changes) -> dict:
    data = {
        "name_fr": "Suivi pour tous",
        "name_en": "Follow-up for everyone",
        "description_fr": "Ouvert à tous",
        "description_en": "",
        "active": "on",
        f"activity-{ids['suivi']}": "on",
    }
    return {**data, **changes}


def error_of(response, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', text(response))
    assert found, f"no error next to {field}"
    return found.group(1)


def value_of(response, field: str) -> str:
    found = re.search(rf'id="{field}" name="{field}" type="[a-z-]+" value="([^"]*)"', response.text)
    assert found, f"no input {field}"
    return found.group(1)


def is_checked(response, name: str) -> bool:
    found = re.search(
        rf'<input type="checkbox" id="{name}" name="{name}" value="on"( checked)?', response.text
    )
    assert found, f"no checkbox {name}"
    return bool(found.group(1))


async def step2(client, who: dict) -> list[str]:
    """The services the portal's step 2 offers this person."""
    identified = await identify(client, who)
    page = await client.get(identified.headers["location"])
    return option_labels(page.text, "service")


async def service_settings(clinic_id: int) -> dict[str, tuple]:
    return {
        row["entity_id"]: (row["before"], row["after"])
        for row in await entries(clinic_id, "setting.changed")
        if row["entity_id"].startswith("service:")
    }


async def test_the_list_says_who_can_book_each_service(admin, ids):
    page = await admin.get(f"{BASE}/")
    assert page.status_code == 200
    shown = text(page)
    assert "Consultation urgente" in shown and "Ouvert à tous" in shown
    assert "A un dossier à la clinique" in shown  # vaccination, teleconsultation
    assert "A un médecin de famille à la clinique" in shown  # the follow-up


async def test_an_inactive_service_disappears_from_step_2_and_the_change_is_audited(
    admin, demo, ids
):
    assert "Consultation urgente" in await step2(demo, MARIE)
    page = await admin.get(f"{BASE}/{ids['urgent']}")
    assert is_checked(page, "active") and is_checked(page, f"activity-{ids['urgent_activity']}")
    data = {
        "name_fr": value_of(page, "name_fr"),
        "name_en": value_of(page, "name_en"),
        f"activity-{ids['urgent_activity']}": "on",
    }  # "active" unchecked
    saved = await post(admin, f"{BASE}/{ids['urgent']}", data, page=f"{BASE}/{ids['urgent']}")
    assert saved.status_code == 303
    # As HTMX follows the redirect: the editor's block alone, with its heading.
    after = await admin.get(saved.headers["location"], headers={"HX-Request": "true"})
    assert after.status_code == 200 and "<html" not in after.text
    assert "Modifier le service en ligne" in text(after)
    assert not is_checked(after, "active") and "Le portail affiche" in text(after)
    assert "Consultation urgente" not in await step2(demo, MARIE)
    audited = await service_settings(ids["clinic"])
    assert audited[f"service:{ids['urgent']}:active"] == (
        {f"service:{ids['urgent']}:active": "true"},
        {f"service:{ids['urgent']}:active": "false"},
    )
    # The descriptions were emptied by this form (not sent): audited too, nothing else.
    assert f"service:{ids['urgent']}:name_fr" not in audited


async def test_a_new_service_makes_the_matching_open_slots_bookable_at_once(admin, demo, ids):
    await open_follow_ups()
    assert "Suivi pour tous" not in await step2(demo, STRANGER)
    created = await post(admin, f"{BASE}/new", new_service(ids))
    assert created.status_code == 303
    service_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    assert "Suivi pour tous" in await step2(demo, STRANGER)
    service_url = (await identify(demo, STRANGER)).headers["location"]
    await choose_service(demo, service_url, "Suivi pour tous")
    listing = await demo.get(service_url.replace("/service", "/slots"))
    assert len(slot_ids(listing.text)) > 0  # Julie Roy's follow-ups, opened before the service
    audited = await service_settings(ids["clinic"])
    assert audited[f"service:{service_id}:name_fr"] == (
        None,
        {f"service:{service_id}:name_fr": "Suivi pour tous"},
    )
    assert audited[f"service:{service_id}:activities"][1] == {
        f"service:{service_id}:activities": "Suivi"
    }


async def test_an_excluded_practitioner_and_criteria_apply_on_the_portal(admin, demo, ids):
    await open_follow_ups()  # all Dre Julie Roy's
    created = await post(admin, f"{BASE}/new", new_service(ids, **{f"exclude-{ids['roy']}": "on"}))
    assert created.status_code == 303
    service_url = (await identify(demo, STRANGER)).headers["location"]
    await choose_service(demo, service_url, "Suivi pour tous")
    listing = await demo.get(service_url.replace("/service", "/slots"))
    assert slot_ids(listing.text) == []
    edit = created.headers["location"].split("?")[0]
    criteria = new_service(ids, requires_file="on", min_age="18", max_age="64", **{"sex-F": "on"})
    assert (await post(admin, edit, criteria, page=edit)).status_code == 303
    assert "Suivi pour tous" not in await step2(demo, STRANGER)  # no file
    assert "Suivi pour tous" in await step2(demo, MARIE)  # a file, 41, female
    listing = await admin.get(f"{BASE}/")
    assert "A un dossier à la clinique · Âgé de 18 à 64 ans · Sexe : féminin" in text(listing)


async def test_the_preview_says_the_criteria_in_words_and_saves_nothing(admin, ids):
    before = await OnlineService.count()
    data = new_service(ids, action="preview", min_age="65", **{f"family_doctor-{ids['roy']}": "on"})
    response = await post(admin, f"{BASE}/new", data)
    assert response.status_code == 200
    preview = text(response).split('id="preview-title"')[1]
    assert "Patients identifiés seulement" in preview
    assert "Le médecin de famille est l’un de : Dre Julie Roy" in preview
    assert "Âgé de 65 ans ou plus" in preview
    assert await OnlineService.count() == before
    plain = await post(admin, f"{BASE}/new", new_service(ids, action="preview"))
    assert "Ouvert à tous" in text(plain).split('id="preview-title"')[1]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name_fr": "  "}, "name_fr", "Indiquez le nom."),
        ({"name_en": "x" * 201}, "name_en", "200 caractères au plus."),
        ({"activity-SUIVI": ""}, "activities", "Choisissez au moins une activité."),
        ({"min_age": "dix"}, "min_age", "Indiquez un âge en années, de 0 à 130."),
        ({"max_age": "999"}, "max_age", "Indiquez un âge en années, de 0 à 130."),
        (
            {"min_age": "40", "max_age": "30"},
            "max_age",
            "L’âge maximum ne peut pas être inférieur à l’âge minimum.",
        ),
        (
            {"include-ROY": "on", "exclude-ROY": "on"},
            "exclude",
            "Un praticien ne peut pas être à la fois inclus et exclu : Dre Julie Roy.",
        ),
    ],
)
async def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(
    admin, ids, changes, field, message
):
    before = (
        await OnlineService.count(),
        await ServiceActivity.count(),
        await ServicePractitioner.count(),
    )
    changes = {
        k.replace("SUIVI", str(ids["suivi"])).replace("ROY", str(ids["roy"])): v
        for k, v in changes.items()
    }
    data = {k: v for k, v in new_service(ids, **{"min_age": "18", **changes}).items() if v != ""}
    response = await post(admin, f"{BASE}/new", data)
    assert response.status_code == 422
    assert error_of(response, field) == message
    if data["name_fr"].strip():
        assert value_of(response, "name_fr") == data["name_fr"]
    for name in ("min_age", "max_age"):
        if name in data:
            assert value_of(response, name) == data[name]  # typed values kept
    assert is_checked(response, "active")
    after = (
        await OnlineService.count(),
        await ServiceActivity.count(),
        await ServicePractitioner.count(),
    )
    assert after == before
    assert await service_settings(ids["clinic"]) == {}


async def test_a_bad_edit_keeps_the_service_as_it_was(admin, demo, ids):
    page = f"{BASE}/{ids['urgent']}"
    response = await post(admin, page, {"name_fr": "", "name_en": "Urgent"}, page=page)
    assert response.status_code == 422 and error_of(response, "name_fr") == "Indiquez le nom."
    assert "Consultation urgente" in await step2(demo, MARIE)
    again = await admin.get(page)
    assert value_of(again, "name_fr") == "Consultation urgente"


async def test_a_post_without_the_csrf_token_is_refused(admin, ids):
    before = await OnlineService.count()
    response = await admin.post(f"{BASE}/new", data=new_service(ids))
    assert response.status_code == 403
    assert await OnlineService.count() == before


async def test_a_secretary_gets_the_403_page(demo, ids):
    secretary = await signed_in(demo, "secretariat@demo.localhost")
    for path in (f"{BASE}/", f"{BASE}/new", f"{BASE}/{ids['urgent']}"):
        response = await secretary.get(path)
        assert response.status_code == 403 and "Vous ne pouvez pas faire ceci" in text(response)
    token = csrf((await secretary.get("/staff/schedules/open")).text)
    response = await secretary.post(
        f"{BASE}/{ids['urgent']}", data={**new_service(ids), "_csrf_token": token}
    )
    assert response.status_code == 403
    assert await OnlineService.count().where(OnlineService.name_fr == "Suivi pour tous") == 0


async def test_another_clinics_administrator_gets_404_and_sees_none_of_it(autre, ids):
    other = await signed_in(autre, "admin@autre.localhost")
    listing = await other.get(f"{BASE}/")
    assert listing.status_code == 200 and "Consultation urgente" not in text(listing)
    assert (await other.get(f"{BASE}/{ids['urgent']}")).status_code == 404
    token = csrf((await other.get(f"{BASE}/new")).text)
    response = await other.post(
        f"{BASE}/{ids['urgent']}",
        data={"name_fr": "Volé", "name_en": "Stolen", "_csrf_token": token},
    )
    assert response.status_code == 404
    # Their own form never offers the demo clinic's activities or practitioners, and a
    # demo activity id typed into it is ignored (an unknown checkbox).
    new = await other.get(f"{BASE}/new")
    assert "Dre Julie Roy" not in text(new) and f'id="activity-{ids["suivi"]}"' not in new.text
    forged = await other.post(
        f"{BASE}/new",
        data={
            "name_fr": "X",
            "name_en": "X",
            f"activity-{ids['suivi']}": "on",
            "_csrf_token": token,
        },
    )
    assert forged.status_code == 422 and error_of(forged, "activities")
    row = (
        await OnlineService.select(OnlineService.name_fr)
        .where(OnlineService.id == ids["urgent"])
        .first()
    )
    assert row["name_fr"] == "Consultation urgente"
