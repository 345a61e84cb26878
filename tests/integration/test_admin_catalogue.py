"""Activities, appointment types and practitioners in the administration: listed, created
and edited by an administrator, every changed field audited; an activity's new duration
leaves the slots already opened alone; bad input comes back next to its field with nothing
saved; secretaries and another clinic's administrator are kept out.

The clock is frozen on tests.moments.NOW; the slots opened here are days ahead of it."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from app.listeners import make_bus
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Activity, AppointmentType, Practitioner, PractitionerSite, Slot
from tests.integration import demo_lookup
from tests.integration.audit_helpers import entries
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.portal_helpers import open_follow_ups, text
from tests.integration.staff_helpers import csrf, signed_in
from tests.moments import NOW, freeze

BASE = "/staff/administration/catalogue"


@pytest.fixture
async def ids(demo_data):
    freeze()
    demo = await demo_lookup.clinic_id("demo")
    autre = await demo_lookup.clinic_id("autre")
    on_site = (
        await AppointmentType.select(AppointmentType.id)
        .where((AppointmentType.clinic == demo) & (AppointmentType.name_fr == "Sur place"))
        .first()
    )
    autre_type = (
        await AppointmentType.select(AppointmentType.id)
        .where(AppointmentType.clinic == autre)
        .first()
    )
    return {
        "clinic": demo,
        "suivi": await demo_lookup.activity_id(demo, "Suivi"),
        "roy": await demo_lookup.practitioner_id(demo, "Dre Julie Roy"),
        "centre": await demo_lookup.site_id(demo, "centre-ville"),
        "laval": await demo_lookup.site_id(demo, "laval"),
        "on_site": on_site["id"],
        "autre_type": autre_type["id"],
        "autre_site": await demo_lookup.site_id(autre, "principal"),
    }


@pytest.fixture
async def admin(demo, ids):
    return await signed_in(demo, "admin@demo.localhost")


async def post(client, path: str, data: dict):
    token = csrf((await client.get(f"{BASE}/")).text)
    return await client.post(path, data={**data, "_csrf_token": token})


def error_of(response, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', text(response))
    assert found, f"no error next to {field}"
    return found.group(1)


def value_of(response, field: str) -> str:
    found = re.search(rf'id="{field}" name="{field}" type="[a-z-]+" value="([^"]*)"', response.text)
    assert found, f"no input {field}"
    return found.group(1)


async def settings(clinic_id: int, prefix: str) -> dict[str, tuple]:
    return {
        row["entity_id"]: (
            (row["before"] or {}).get(row["entity_id"]),
            (row["after"] or {}).get(row["entity_id"]),
        )
        for row in await entries(clinic_id, "setting.changed")
        if row["entity_id"].startswith(prefix)
    }


def activity_form(ids, **changes) -> dict:
    return {
        "name_fr": "Suivi",
        "name_en": "Follow-up",
        "duration_minutes": "30",
        "appointment_type": str(ids["on_site"]),
        "active": "on",
        **changes,
    }


async def test_the_page_lists_the_catalogue_in_the_staffs_language(admin):
    page = await admin.get(f"{BASE}/")
    shown = text(page)
    assert page.status_code == 200
    assert "Consultation urgente" in shown and "Sur place" in shown and "Télémédecine" in shown
    assert "Sophie Lavoie, IPS" in shown and "Infirmière praticienne" in shown
    english = text(await admin.get(f"{BASE}/?lang=en"))
    assert "Urgent consultation" in english and "Nurse practitioner" in english
    assert "Telemedicine" in english and "Activités" not in english


async def test_a_new_duration_leaves_the_slots_already_opened_as_they_were(admin, ids):
    await open_follow_ups(days=1)  # 09:00-12:00, 30 minutes: six slots
    before = await Slot.select(Slot.starts_at, Slot.ends_at).where(Slot.activity == ids["suivi"])
    page = await admin.get(f"{BASE}/activities/{ids['suivi']}")
    assert value_of(page, "duration_minutes") == "30"
    assert "gardent leur durée" in text(page)  # said on the page
    saved = await post(
        admin, f"{BASE}/activities/{ids['suivi']}", activity_form(ids, duration_minutes="45")
    )
    assert saved.status_code == 303
    swapped = await admin.get(saved.headers["location"], headers={"HX-Request": "true"})
    assert "<html" not in swapped.text and "Modifier l’activité" in text(swapped)
    assert value_of(swapped, "duration_minutes") == "45"
    after = await Slot.select(Slot.starts_at, Slot.ends_at).where(Slot.activity == ids["suivi"])
    assert after == before and all(
        s["ends_at"] - s["starts_at"] == timedelta(minutes=30) for s in after
    )
    # A schedule opened from now on uses the new length.
    await SchedulingService(clinic_id=ids["clinic"], bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=ids["roy"],
        site_id=ids["centre"],
        activity_id=ids["suivi"],
        day=NOW.date() + timedelta(days=3),
        start=time(9),
        end=time(10, 30),
    )
    new = await Slot.select(Slot.starts_at, Slot.ends_at).where(
        (Slot.activity == ids["suivi"]) & (Slot.local_date == NOW.date() + timedelta(days=3))
    )
    assert [s["ends_at"] - s["starts_at"] for s in new] == [timedelta(minutes=45)] * 2
    audited = await settings(ids["clinic"], "activity:")
    assert audited == {f"activity:{ids['suivi']}:duration_minutes": ("30", "45")}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"duration_minutes": "0"}, "duration_minutes", "Indiquez un nombre entier de 5 à 480."),
        (
            {"duration_minutes": "trente"},
            "duration_minutes",
            "Indiquez un nombre entier de 5 à 480.",
        ),
        (
            {"duration_minutes": "9" * 40},
            "duration_minutes",
            "Indiquez un nombre entier de 5 à 480.",
        ),
        ({"name_fr": ""}, "name_fr", "Indiquez le nom."),
        ({"appointment_type": "AUTRE"}, "appointment_type", "Choisissez l'une des options."),
    ],
)
async def test_bad_activity_input_is_shown_next_to_its_field_and_nothing_saved(
    admin, ids, changes, field, message
):
    changes = {k: v.replace("AUTRE", str(ids["autre_type"])) for k, v in changes.items()}
    response = await post(admin, f"{BASE}/activities/{ids['suivi']}", activity_form(ids, **changes))
    assert response.status_code == 422 and error_of(response, field) == message
    if field == "duration_minutes":
        assert value_of(response, "duration_minutes") == changes["duration_minutes"]
    row = await Activity.select().where(Activity.id == ids["suivi"]).first()
    assert (row["name_fr"], row["duration_minutes"]) == ("Suivi", 30)
    assert await settings(ids["clinic"], "activity:") == {}


async def test_a_new_activity_is_created_and_audited(admin, ids):
    data = activity_form(ids, name_fr="Prélèvement", name_en="Blood test", duration_minutes="10")
    created = await post(admin, f"{BASE}/activities/new", data)
    assert created.status_code == 303
    row = await Activity.select().where(Activity.name_fr == "Prélèvement").first()
    assert row["duration_minutes"] == 10 and row["appointment_type"] == ids["on_site"]
    listing = text(await admin.get(f"{BASE}/"))
    assert "Prélèvement" in listing
    audited = await settings(ids["clinic"], f"activity:{row['id']}:")
    assert audited[f"activity:{row['id']}:name_fr"] == (None, "Prélèvement")
    assert audited[f"activity:{row['id']}:appointment_type"] == (None, "Sur place")


async def test_the_three_modalities_are_exclusive_and_the_no_statuses_are_explained(admin, ids):
    page = await admin.get(f"{BASE}/appointment-types/new")
    shown = text(page)
    assert 'type="radio"' in page.text
    assert "même par le personnel" in shown  # no automated or manual communication, explained
    assert "portail patient" in shown
    data = {
        "name_fr": "Appel",
        "name_en": "Call",
        "modality": "telephone",
        "no_automated_communication": "on",
        "active": "on",
    }
    created = await post(admin, f"{BASE}/appointment-types/new", data)
    assert created.status_code == 303
    row = await AppointmentType.select().where(AppointmentType.name_fr == "Appel").first()
    assert (row["on_site"], row["telemedicine"], row["telephone"]) == (False, False, True)
    assert row["no_automated_communication"] and not row["no_communication"]
    edit = f"{BASE}/appointment-types/{ids['on_site']}"
    moved = await post(
        admin,
        edit,
        {"name_fr": "Sur place", "name_en": "On site", "modality": "telemedicine", "active": "on"},
    )
    assert moved.status_code == 303
    row = await AppointmentType.select().where(AppointmentType.id == ids["on_site"]).first()
    assert (row["on_site"], row["telemedicine"], row["telephone"]) == (False, True, False)
    audited = await settings(ids["clinic"], f"appointment_type:{ids['on_site']}:")
    assert audited == {f"appointment_type:{ids['on_site']}:modality": ("On site", "Telemedicine")}
    forged = await post(
        admin, edit, {"name_fr": "X", "name_en": "X", "modality": "on_site,telephone"}
    )
    assert forged.status_code == 422
    assert error_of(forged, "modality") == "Choisissez l'une des options."


async def test_a_telemedicine_type_can_hold_its_visits_in_the_built_in_video_room(admin, ids):
    """The platform is chosen per type; built-in video only for a telemedicine type (the
    bad pairing is said next to the field and nothing is saved)."""
    page = await admin.get(f"{BASE}/appointment-types/new")
    assert 'name="video_platform"' in page.text and "Vidéo intégrée" in text(page)
    refused = await post(
        admin,
        f"{BASE}/appointment-types/new",
        {
            "name_fr": "Vidéo",
            "name_en": "Video",
            "modality": "on_site",
            "video_platform": "builtin",
        },
    )
    assert refused.status_code == 422
    assert (
        error_of(refused, "video_platform") == "La vidéo intégrée est pour un type en télémédecine."
    )
    assert not await AppointmentType.exists().where(AppointmentType.name_fr == "Vidéo")
    forged = await post(
        admin,
        f"{BASE}/appointment-types/new",
        {
            "name_fr": "Vidéo",
            "name_en": "Video",
            "modality": "telemedicine",
            "video_platform": "zoom",
        },
    )
    assert forged.status_code == 422 and error_of(forged, "video_platform")
    created = await post(
        admin,
        f"{BASE}/appointment-types/new",
        {
            "name_fr": "Vidéo",
            "name_en": "Video",
            "modality": "telemedicine",
            "video_platform": "builtin",
            "active": "on",
        },
    )
    assert created.status_code == 303
    row = await AppointmentType.select().where(AppointmentType.name_fr == "Vidéo").first()
    assert row["telemedicine"] and row["video_platform"] == "builtin"


@pytest.mark.parametrize("platform", ["external", "link"])
async def test_the_integrated_and_another_platform_are_for_telemedicine_too(admin, ids, platform):
    """Issue 14: the integrated platform (Reacts-style) and another platform (its link typed
    on each appointment) are offered, each only for a telemedicine type."""
    page = await admin.get(f"{BASE}/appointment-types/new")
    assert "Plateforme intégrée" in text(page) and "Autre plateforme (lien saisi" in text(page)
    name = f"Vidéo {platform}"
    refused = await post(
        admin,
        f"{BASE}/appointment-types/new",
        {"name_fr": name, "name_en": name, "modality": "telephone", "video_platform": platform},
    )
    assert refused.status_code == 422
    assert (
        error_of(refused, "video_platform")
        == "Une autre plateforme vidéo est réservée à un type en télémédecine."
    )
    assert not await AppointmentType.exists().where(AppointmentType.name_fr == name)
    created = await post(
        admin,
        f"{BASE}/appointment-types/new",
        {
            "name_fr": name,
            "name_en": name,
            "modality": "telemedicine",
            "video_platform": platform,
            "active": "on",
        },
    )
    assert created.status_code == 303
    row = await AppointmentType.select().where(AppointmentType.name_fr == name).first()
    assert row["telemedicine"] and row["video_platform"] == platform


async def test_a_practitioner_is_created_with_their_sites_and_edited(admin, ids):
    data = {
        "name": "Dre Anne Paré",
        "kind": "specialist",
        f"sites-{ids['centre']}": "on",
        f"sites-{ids['laval']}": "on",
        "is_family_doctor": "on",
        "active": "on",
    }
    created = await post(admin, f"{BASE}/practitioners/new", data)
    assert created.status_code == 303
    row = await Practitioner.select().where(Practitioner.name == "Dre Anne Paré").first()
    assert row["kind"] == "specialist" and row["is_family_doctor"] and row["active"]
    sites = await PractitionerSite.select(PractitionerSite.site).where(
        PractitionerSite.practitioner == row["id"]
    )
    assert {s["site"] for s in sites} == {ids["centre"], ids["laval"]}
    # The schedules page offers her at once.
    assert "Dre Anne Paré" in text(await admin.get("/staff/schedules/open"))
    edit = created.headers["location"].split("?")[0]
    off = await post(
        admin, edit, {"name": "Dre Anne Paré", "kind": "specialist", f"sites-{ids['laval']}": "on"}
    )
    assert off.status_code == 303
    row = await Practitioner.select().where(Practitioner.id == row["id"]).first()
    assert not row["active"] and not row["is_family_doctor"]
    audited = await settings(ids["clinic"], f"practitioner:{row['id']}:")
    assert audited[f"practitioner:{row['id']}:active"] == ("true", "false")
    assert audited[f"practitioner:{row['id']}:sites"][1] == "Laval"


async def test_bad_practitioner_input_saves_nothing(admin, ids):
    before = await Practitioner.count()
    response = await post(
        admin,
        f"{BASE}/practitioners/new",
        {"name": "  ", "kind": "wizard", f"sites-{ids['autre_site']}": "on"},
    )
    assert response.status_code == 422
    assert error_of(response, "name") == "Indiquez le nom."
    assert error_of(response, "kind") == "Choisissez l'une des options."
    assert await Practitioner.count() == before


async def test_a_post_without_the_csrf_token_is_refused(admin, ids):
    response = await admin.post(
        f"{BASE}/activities/{ids['suivi']}", data=activity_form(ids, duration_minutes="60")
    )
    assert response.status_code == 403
    row = (
        await Activity.select(Activity.duration_minutes).where(Activity.id == ids["suivi"]).first()
    )
    assert row["duration_minutes"] == 30


async def test_a_secretary_gets_the_403_page(demo, ids):
    secretary = await signed_in(demo, "secretariat@demo.localhost")
    for path in (f"{BASE}/", f"{BASE}/activities/{ids['suivi']}", f"{BASE}/practitioners/new"):
        response = await secretary.get(path)
        assert response.status_code == 403 and "Vous ne pouvez pas faire ceci" in text(response)


async def test_another_clinics_administrator_gets_404_and_sees_none_of_it(autre, ids):
    other = await signed_in(autre, "admin@autre.localhost")
    listing = text(await other.get(f"{BASE}/"))
    assert "Dre Julie Roy" not in listing and "Suivi" not in listing
    for path, data in (
        (
            f"{BASE}/activities/{ids['suivi']}",
            {"name_fr": "X", "name_en": "X", "duration_minutes": "60"},
        ),
        (
            f"{BASE}/appointment-types/{ids['on_site']}",
            {"name_fr": "X", "name_en": "X", "modality": "telephone"},
        ),
        (f"{BASE}/practitioners/{ids['roy']}", {"name": "X", "kind": "gp"}),
    ):
        assert (await other.get(path)).status_code == 404
        assert (await post(other, path, data)).status_code == 404
    row = (
        await Activity.select(Activity.duration_minutes).where(Activity.id == ids["suivi"]).first()
    )
    assert row["duration_minutes"] == 30
    assert await Practitioner.count().where(Practitioner.name == "X") == 0
