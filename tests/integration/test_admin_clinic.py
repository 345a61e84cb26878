"""The Clinic page of the administration, over HTTP: each valid change is in force on the
portal at once, each bad input is refused next to its field with what was typed kept and
nothing saved, the client secret is never shown back, and only demo's administrators
reach demo's settings."""

from __future__ import annotations

import re

import pytest

from app.audit.tables import AuditEntry
from app.staff.events import AccountChange, AccountChanged
from app.staff.tables import StaffAccount
from tenants.events import SettingChanged
from tenants.tables import Clinic
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import csrf, signed_in

ADMIN = "admin@demo.localhost"
SECRETARY = "secretariat@demo.localhost"
CLINIC_FORM = {
    "name": "Clinique Démo",
    "phone": "514 555 0100",
    "time_zone": "America/Montreal",
    "default_language": "fr",
    "min_booking_notice_minutes": "60",
}
MESSAGES_FORM = {
    "notify_by_email": "on",
    "notify_by_sms": "on",
    "sms_price_cents": "5",
    "quiet_hours_start": "21:00",
    "quiet_hours_end": "08:00",
}


async def clinic_row(slug: str = "demo") -> dict:
    return await Clinic.select().where(Clinic.slug == slug).first()


async def save(client, section: str, form: dict, page_path="/staff/administration/clinic"):
    page = await client.get(page_path)
    return await client.post(
        f"/staff/administration/clinic/{section}", data={**form, "_csrf_token": csrf(page.text)}
    )


def field_error(response, name: str) -> str:
    match = re.search(rf'<p class="error" id="{name}-error">([^<]+)</p>', response.text)
    return match.group(1) if match else ""


def value_of(response, name: str) -> str:
    match = re.search(rf'<input id="{name}" name="{name}"[^>]*value="([^"]*)"', response.text)
    return match.group(1) if match else ""


async def test_the_index_links_to_the_clinic_page(demo):
    await signed_in(demo, ADMIN)
    index = await demo.get("/staff/administration")
    assert index.status_code == 200
    assert 'href="/staff/administration/clinic"' in index.text and "Clinique" in text(index)
    english = await demo.get("/staff/administration?lang=en")
    assert ">Clinic</a>" in english.text


async def test_a_new_name_and_language_are_in_force_on_the_portal_at_once(recorded, demo):
    assert "Clinique Démo" in text(await demo.get("/centre-ville/"))  # cached by the host
    await signed_in(demo, ADMIN)
    saved = await save(
        demo,
        "clinic",
        {
            **CLINIC_FORM,
            "name": "Clinique Renommée",
            "default_language": "en",
            "phone": "514 555 0111",
        },
    )
    assert saved.status_code == 303
    demo.cookies.delete("lang")
    portal = await demo.get("/centre-ville/", headers={"accept-language": ""})
    assert "Clinique Renommée" in text(portal)
    assert "(514) 555-0111" in text(portal)  # the clinic's phone in the portal's footer
    assert '<html lang="en"' in portal.text
    changes = {(e.setting, e.before, e.after) for e in recorded.of(SettingChanged)}
    assert ("name", "Clinique Démo", "Clinique Renommée") in changes
    assert ("default_language", "fr", "en") in changes
    assert all(recorded.in_transaction)
    audited = await AuditEntry.select(AuditEntry.entity_id).where(
        AuditEntry.action == "setting.changed"
    )
    assert {"name", "default_language"} <= {row["entity_id"] for row in audited}


async def test_the_websites_allowed_to_embed_are_the_portals_frame_ancestors(demo):
    await signed_in(demo, ADMIN)
    saved = await save(
        demo, "embedding", {"embed_origins": "https://www.demo.example\nhttps://demo.example"}
    )
    assert saved.status_code == 303
    policy = (await demo.get("/centre-ville/")).headers["content-security-policy"]
    assert "frame-ancestors 'self' https://www.demo.example https://demo.example" in policy


@pytest.mark.parametrize(
    "field,typed",
    [
        ("name", ""),
        ("phone", "not a phone"),
        ("time_zone", "Mars/Olympus"),
        ("min_booking_notice_minutes", "-5"),
        ("min_booking_notice_minutes", "²"),
    ],
)
async def test_a_bad_clinic_value_is_refused_next_to_its_field(demo, field, typed):
    await signed_in(demo, ADMIN)
    before = await clinic_row()
    refused = await save(demo, "clinic", {**CLINIC_FORM, "name": "Typed name", field: typed})
    assert refused.status_code == 422
    assert field_error(refused, field)
    assert value_of(refused, field) == typed
    if field != "name":
        assert value_of(refused, "name") == "Typed name"  # the rest kept as typed too
    assert await clinic_row() == before  # nothing saved, the name neither


@pytest.mark.parametrize(
    "field,typed",
    [("quiet_hours_start", "25:00"), ("sms_price_cents", "abc")],
)
async def test_a_bad_messages_value_is_refused(demo, field, typed):
    await signed_in(demo, ADMIN)
    before = await clinic_row()
    refused = await save(demo, "messages", {**MESSAGES_FORM, field: typed})
    assert refused.status_code == 422 and field_error(refused, field)
    assert value_of(refused, field) == typed
    assert await clinic_row() == before


@pytest.mark.parametrize(
    "origins", ["https://www.demo.example/page", "javascript:alert(1)", "www.demo.example"]
)
async def test_an_embedding_website_with_a_path_or_no_scheme_is_refused(demo, origins):
    await signed_in(demo, ADMIN)
    refused = await save(demo, "embedding", {"embed_origins": origins})
    assert refused.status_code == 422 and field_error(refused, "embed_origins")
    assert (await clinic_row())["embed_origins"] == ""


async def test_channels_and_quiet_hours_are_saved_and_audited(recorded, demo):
    await signed_in(demo, ADMIN)
    saved = await save(
        demo, "messages", {**MESSAGES_FORM, "notify_by_sms": "", "quiet_hours_start": "22:30"}
    )
    assert saved.status_code == 303
    row = await clinic_row()
    assert row["notify_by_sms"] is False and row["quiet_hours_start"].strftime("%H:%M") == "22:30"
    changes = {(e.setting, e.before, e.after) for e in recorded.of(SettingChanged)}
    assert changes == {("notify_by_sms", "true", "false"), ("quiet_hours_start", "21:00", "22:30")}
    page = await demo.get("/staff/administration/clinic")
    assert value_of(page, "quiet_hours_start") == "22:30"


SSO_FORM = {
    "oidc_provider_name": "Entra",
    "oidc_issuer": "https://login.example.org/tenant/v2.0",
    "oidc_client_id": "client-123",
    "oidc_client_secret": "s3cret-value-never-shown",
    "oidc_email_domains": "demo.example",
    "oidc_tenant_ids": "0b8e2c2a-1111-4222-8333-444455556666",
    "oidc_hosted_domains": "",
}


async def test_the_client_secret_is_write_only(recorded, demo):
    await signed_in(demo, ADMIN)
    saved = await save(demo, "sso", SSO_FORM)
    assert saved.status_code == 303
    assert (await clinic_row())["oidc_client_secret"] == "s3cret-value-never-shown"
    page = await demo.get("/staff/administration/clinic")
    assert "s3cret-value-never-shown" not in page.text and "Défini" in text(page)
    # Blank keeps it
    kept = await save(demo, "sso", {**SSO_FORM, "oidc_client_secret": "", "oidc_client_id": "c2"})
    assert kept.status_code == 303
    row = await clinic_row()
    assert row["oidc_client_secret"] == "s3cret-value-never-shown" and row["oidc_client_id"] == "c2"
    # A refused form does not echo it either
    refused = await save(
        demo,
        "sso",
        {**SSO_FORM, "oidc_issuer": "ftp://x", "oidc_client_secret": "new-secret-typed"},
    )
    assert refused.status_code == 422 and field_error(refused, "oidc_issuer")
    assert "new-secret-typed" not in refused.text
    assert (await clinic_row())["oidc_client_secret"] == "s3cret-value-never-shown"
    # The audit log says whether it is set, never what it is
    secrets = [e for e in recorded.of(SettingChanged) if e.setting == "oidc_client_secret"]
    assert [(e.before, e.after) for e in secrets] == [("not set", "set")]
    rows = await AuditEntry.select()
    assert "s3cret-value-never-shown" not in repr(rows)
    # The sign-in page offers the provider at once
    demo.cookies.clear()
    assert "Se connecter avec Entra" in text(await demo.get("/staff/sign-in"))


@pytest.mark.parametrize(
    "field,typed",
    [("oidc_email_domains", "not a domain!"), ("oidc_tenant_ids", "12345")],
)
async def test_bad_single_sign_on_values_are_refused(demo, field, typed):
    await signed_in(demo, ADMIN)
    refused = await save(demo, "sso", {**SSO_FORM, field: typed})
    assert refused.status_code == 422 and field_error(refused, field)
    assert value_of(refused, field) == typed
    assert (await clinic_row())["oidc_issuer"] == ""


async def test_an_account_is_unlinked_from_its_provider(recorded, demo):
    await StaffAccount.update(
        {StaffAccount.oidc_issuer: "https://idp.example", StaffAccount.oidc_subject: "sub-1"}
    ).where(StaffAccount.email == SECRETARY)
    await signed_in(demo, ADMIN)
    page = await demo.get("/staff/administration/clinic")
    account = (await StaffAccount.select().where(StaffAccount.email == SECRETARY).first())["id"]
    done = await demo.post(
        "/staff/administration/clinic/unlink",
        data={"account": str(account), "_csrf_token": csrf(page.text)},
    )
    assert done.status_code == 303
    row = await StaffAccount.select().where(StaffAccount.email == SECRETARY).first()
    assert row["oidc_subject"] is None
    [change] = recorded.of(AccountChanged)
    assert change.kind is AccountChange.UNLINKED and change.before.oidc_subject == "sub-1"


async def test_autres_account_cannot_be_unlinked_from_demo(demo):
    await StaffAccount.update(
        {StaffAccount.oidc_issuer: "https://idp.example", StaffAccount.oidc_subject: "sub-a"}
    ).where(StaffAccount.email == "admin@autre.localhost")
    await signed_in(demo, ADMIN)
    page = await demo.get("/staff/administration/clinic")
    other = (
        await StaffAccount.select().where(StaffAccount.email == "admin@autre.localhost").first()
    )["id"]
    refused = await demo.post(
        "/staff/administration/clinic/unlink",
        data={"account": str(other), "_csrf_token": csrf(page.text)},
    )
    assert refused.status_code == 404 and "Admin Autre" not in refused.text
    row = await StaffAccount.select().where(StaffAccount.email == "admin@autre.localhost").first()
    assert row["oidc_subject"] == "sub-a"


async def test_a_secretary_gets_the_403_page(demo):
    await signed_in(demo, SECRETARY)
    for path in ("/staff/administration", "/staff/administration/clinic"):
        response = await demo.get(path)
        assert response.status_code == 403 and "administrateur" in text(response)
        assert "Fuseau horaire" not in text(response)


async def test_autres_administrator_sees_and_changes_only_autre(demo, autre):
    await signed_in(autre, "admin@autre.localhost")
    page = await autre.get("/staff/administration/clinic")
    assert "Clinique Autre" in page.text and "Clinique Démo" not in page.text
    assert "Europe/Paris" in page.text
    saved = await save(
        autre,
        "clinic",
        {
            **CLINIC_FORM,
            "name": "Autre renommée",
            "phone": "01 45 55 01 00",
            "time_zone": "Europe/Paris",
        },
    )
    assert saved.status_code == 303
    assert (await clinic_row("demo"))["name"] == "Clinique Démo"
    assert (await clinic_row("autre"))["name"] == "Autre renommée"


async def test_a_post_without_the_csrf_token_is_refused(demo):
    await signed_in(demo, ADMIN)
    refused = await demo.post(
        "/staff/administration/clinic/clinic", data={**CLINIC_FORM, "name": "Sans jeton"}
    )
    assert refused.status_code == 403
    assert (await clinic_row())["name"] == "Clinique Démo"


async def test_an_unknown_section_is_not_found(demo):
    await signed_in(demo, ADMIN)
    assert (await save(demo, "nothing", {})).status_code == 404


@pytest.fixture
def other_instance(demo_data, require_redis, redis_url, tmp_path):
    """A second app instance, its own process (its own host cache), `python -m app serve`
    on the suite's database and Redis, as another instance behind a load balancer."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    from conftest import free_port

    port = free_port()
    log = open(tmp_path / "other-instance.log", "w")  # noqa: SIM115 - the child's output
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        stdout=log,
        stderr=log,
        env={**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "REDIS_URL": redis_url},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "did not start"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


async def test_a_change_on_one_instance_is_in_force_on_another_within_a_second(
    other_instance, redis_url
):
    """The other instance has the clinic in its host cache; the change made on this one
    (both on the same Redis) is in force there within a second."""
    import asyncio
    import time
    from dataclasses import replace

    import httpx

    from app.main import create_app
    from app.settings import load
    from tests.integration.web import clinic_client, running

    settings = replace(load(), redis_url=redis_url)
    async with (
        running(create_app(settings)) as first,
        clinic_client(first, "demo") as admin,
        httpx.AsyncClient(base_url=other_instance, headers={"host": "demo.localhost"}) as patient,
    ):
        assert "Clinique Démo" in text(await patient.get("/centre-ville/"))  # now cached there
        await signed_in(admin, ADMIN)
        saved = await save(admin, "clinic", {**CLINIC_FORM, "name": "Clinique Partagée"})
        assert saved.status_code == 303
        started = time.monotonic()
        while "Clinique Partagée" not in text(await patient.get("/centre-ville/")):
            assert time.monotonic() - started < 1.0, "not in force on the other instance"
            await asyncio.sleep(0.05)


async def test_an_htmx_refusal_swaps_the_pages_block(demo):
    await signed_in(demo, ADMIN)
    page = await demo.get("/staff/administration/clinic")
    refused = await demo.post(
        "/staff/administration/clinic/clinic",
        data={**CLINIC_FORM, "time_zone": "Nowhere", "_csrf_token": csrf(page.text)},
        headers={"HX-Request": "true", "HX-Target": "administration"},
    )
    assert refused.status_code == 422 and field_error(refused, "time_zone")
    assert "<html" not in refused.text and 'id="administration"' in refused.text
