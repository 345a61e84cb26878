"""The Work sites pages of the administration, over HTTP: each change is what the next
patient sees (a closed portal gives the site's phone, the patient message on the review
and details pages), bad input is refused next to its field with nothing saved, an old
slug keeps leading to the site (portal and widget), and only demo's administrators
reach demo's sites."""

from __future__ import annotations

import re

import pytest

from app.audit.tables import AuditEntry
from tenants.events import SettingChanged
from tenants.tables import SiteSlugRedirect, WorkSite
from tests.integration.portal_helpers import (
    MARIE,
    choose_service,
    form_token,
    identify,
    open_follow_ups,
    slot_ids,
    text,
)
from tests.integration.staff_helpers import csrf, signed_in
from tests.moments import freeze

ADMIN = "admin@demo.localhost"
SECRETARY = "secretariat@demo.localhost"


async def site_row(slug: str) -> dict | None:
    return await WorkSite.select().where(WorkSite.slug == slug).first()


def form_of(row: dict) -> dict:
    """The site's form as the page would post it unchanged."""
    data = {
        name: row[name]
        for name in (
            "slug",
            "name_fr",
            "name_en",
            "address",
            "phone",
            "contact_details",
            "patient_message_fr",
            "patient_message_en",
            "questionnaire_url",
        )
    }
    for box in ("portal_active", "patient_can_cancel", "patient_can_check_in"):
        if row[box]:
            data[box] = "on"
    return data


async def save_site(client, current: str, /, **changes):
    row = await site_row(current)
    page = await client.get(f"/staff/administration/sites/{row['id']}")
    form = {**form_of(row), **changes}
    form = {k: v for k, v in form.items() if v is not None}
    return await client.post(
        f"/staff/administration/sites/{row['id']}", data={**form, "_csrf_token": csrf(page.text)}
    )


def field_error(response, name: str) -> str:
    match = re.search(rf'<p class="error" id="{name}-error">([^<]+)</p>', response.text)
    return match.group(1) if match else ""


async def test_the_sites_are_listed_and_linked_from_the_index(demo):
    await signed_in(demo, ADMIN)
    index = await demo.get("/staff/administration")
    assert 'href="/staff/administration/sites"' in index.text
    listing = await demo.get("/staff/administration/sites")
    assert "Centre-ville" in text(listing) and "Laval" in text(listing)
    assert "Cabinet principal" not in text(listing)


async def test_a_deactivated_portal_shows_the_sites_phone(recorded, demo):
    await signed_in(demo, ADMIN)
    saved = await save_site(demo, "laval", portal_active=None, phone="450 555 0299")
    assert saved.status_code == 303
    portal = await demo.get("/laval/")
    assert "(450) 555-0299" in text(portal)
    assert "form_token" not in portal.text  # no booking form
    changes = {(e.setting, e.before, e.after) for e in recorded.of(SettingChanged)}
    laval = (await site_row("laval"))["id"]
    assert (f"site.{laval}.portal_active", "true", "false") in changes
    assert all(recorded.in_transaction)
    assert await AuditEntry.exists().where(AuditEntry.entity_id == f"site.{laval}.portal_active")
    # and on again
    assert (await save_site(demo, "laval", portal_active="on")).status_code == 303
    assert "form_token" in (await demo.get("/laval/")).text


async def test_a_changed_patient_message_shows_on_the_review_and_details_pages(demo):
    freeze()
    await open_follow_ups()
    await signed_in(demo, ADMIN)
    saved = await save_site(demo, "centre-ville", patient_message_fr="Apportez vos lunettes, svp.")
    assert saved.status_code == 303
    identified = await identify(demo, MARIE)
    service_url = identified.headers["location"]
    await choose_service(demo, service_url, "Suivi avec mon médecin de famille")
    slots_url = service_url.replace("/service", "/slots")
    listing = await demo.get(slots_url)
    held = await demo.post(
        slots_url, data={"slot": slot_ids(listing.text)[0], "form_token": form_token(listing.text)}
    )
    review = await demo.get(held.headers["location"])
    assert "Apportez vos lunettes, svp." in text(review)
    booked = await demo.post(held.headers["location"], data={"form_token": form_token(review.text)})
    done = await demo.get(booked.headers["location"])
    details_url = re.search(r'href="(/a/[^"]+)"', done.text).group(1)
    assert (
        await save_site(demo, "centre-ville", patient_message_fr="Nouveau message.")
    ).status_code == 303
    details = await demo.get(details_url)
    assert "Nouveau message." in text(details) and "lunettes" not in text(details)
    english = await demo.get(details_url + "?lang=en")
    assert "Please arrive 10 minutes early" in text(english)


@pytest.mark.parametrize(
    "field,typed",
    [
        ("slug", "Bad Slug!"),
        ("slug", "staff"),  # reserved
        ("slug", "laval"),  # another site's
        ("name_fr", ""),
        ("phone", "12"),
        ("questionnaire_url", "http://insecure.example/form"),
    ],
)
async def test_a_bad_site_value_is_refused_next_to_its_field(demo, field, typed):
    await signed_in(demo, ADMIN)
    before = await site_row("centre-ville")
    refused = await save_site(demo, "centre-ville", patient_message_fr="Tapé", **{field: typed})
    assert refused.status_code == 422
    assert field_error(refused, field)
    assert "Tapé" in refused.text  # what was typed is kept
    assert await site_row("centre-ville") == before
    assert not await SiteSlugRedirect.exists()


async def test_an_old_slug_redirects_the_portal_and_the_widget(demo):
    await signed_in(demo, ADMIN)
    saved = await save_site(demo, "centre-ville", slug="montreal")
    assert saved.status_code == 303
    assert (await demo.get("/montreal/")).status_code == 200
    old = await demo.get("/centre-ville/?lang=en")
    assert old.status_code == 301 and old.headers["location"] == "/montreal/?lang=en"
    widget = await demo.get("/centre-ville/widget.js")
    assert widget.status_code == 301 and widget.headers["location"] == "/montreal/widget.js"
    script = await demo.get("/montreal/widget.js")
    assert 'demo.localhost:8000/montreal"' in script.text
    # Renamed again: both previous slugs lead to the current one
    assert (await save_site(demo, "montreal", slug="mtl")).status_code == 303
    assert (await demo.get("/centre-ville/")).headers["location"] == "/mtl/"
    assert (await demo.get("/montreal/")).headers["location"] == "/mtl/"
    # Laval may not take a slug the other site used: its old links must keep working
    refused = await save_site(demo, "laval", slug="centre-ville")
    assert refused.status_code == 422 and field_error(refused, "slug")
    # Back to its first slug: current again, no longer a redirect
    assert (await save_site(demo, "mtl", slug="centre-ville")).status_code == 303
    assert (await demo.get("/centre-ville/")).status_code == 200
    assert (await demo.get("/mtl/")).headers["location"] == "/centre-ville/"


async def test_an_old_slug_of_demo_does_not_redirect_on_autre(demo, autre):
    await signed_in(demo, ADMIN)
    await save_site(demo, "centre-ville", slug="montreal")
    assert (await autre.get("/centre-ville/")).status_code == 404


async def test_a_secretary_gets_the_403_page(demo):
    await signed_in(demo, SECRETARY)
    row = await site_row("laval")
    for path in ("/staff/administration/sites", f"/staff/administration/sites/{row['id']}"):
        response = await demo.get(path)
        assert response.status_code == 403 and "Stationnement" not in response.text


async def test_autres_administrator_cannot_see_or_change_demos_sites(autre):
    await signed_in(autre, "admin@autre.localhost")
    laval = await site_row("laval")
    seen = await autre.get(f"/staff/administration/sites/{laval['id']}")
    assert seen.status_code == 404 and "Stationnement" not in seen.text
    page = await autre.get("/staff/administration/sites")
    assert "Laval" not in text(page) and "Cabinet principal" in text(page)
    posted = await autre.post(
        f"/staff/administration/sites/{laval['id']}",
        data={**form_of(laval), "name_fr": "Pris", "_csrf_token": csrf(page.text)},
    )
    assert posted.status_code == 404
    assert await site_row("laval") == laval


async def test_a_post_without_the_csrf_token_is_refused(demo):
    await signed_in(demo, ADMIN)
    laval = await site_row("laval")
    refused = await demo.post(
        f"/staff/administration/sites/{laval['id']}", data={**form_of(laval), "name_fr": "X"}
    )
    assert refused.status_code == 403
    assert await site_row("laval") == laval


async def test_an_htmx_save_answers_with_the_pages_block(demo):
    """The form enhanced with htmx: a refusal swaps the block in place (422, the message
    next to its field), a save follows the redirect to the saved block."""
    await signed_in(demo, ADMIN)
    row = await site_row("laval")
    page = await demo.get(f"/staff/administration/sites/{row['id']}")
    htmx = {"HX-Request": "true", "HX-Target": "administration"}
    refused = await demo.post(
        f"/staff/administration/sites/{row['id']}",
        data={**form_of(row), "slug": "Pas bon", "_csrf_token": csrf(page.text)},
        headers=htmx,
    )
    assert refused.status_code == 422 and field_error(refused, "slug")
    assert "<html" not in refused.text and 'id="administration"' in refused.text
    saved = await demo.post(
        f"/staff/administration/sites/{row['id']}",
        data={**form_of(row), "name_en": "Laval North", "_csrf_token": csrf(page.text)},
        headers=htmx,
    )
    assert saved.status_code == 303
    after = await demo.get(saved.headers["location"], headers=htmx)
    assert "<html" not in after.text and "Enregistré" in text(after)
