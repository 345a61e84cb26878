"""Host → clinic over HTTP: every way in, and every way a clinic must stay closed."""

import pytest

from tenants.tables import Clinic, ClinicDomain, WorkSite


async def test_subdomain_reaches_its_clinic_and_site(demo):
    response = await demo.get("/centre-ville/", headers={"host": "demo.localhost:8000"})
    assert response.status_code == 200
    assert "Clinique Démo" in response.text
    assert "1000 rue Sainte-Catherine Ouest" in response.text


async def test_host_is_case_insensitive_and_port_is_ignored(demo):
    response = await demo.get("/laval/", headers={"host": "DEMO.LOCALHOST:1234"})
    assert response.status_code == 200
    assert "3000 boulevard Le Carrefour" in response.text


async def test_clinic_home_lists_only_its_own_sites(demo):
    response = await demo.get("/")
    assert response.status_code == 200
    assert "/centre-ville" in response.text and "/laval" in response.text
    assert "/principal" not in response.text and "Clinique Autre" not in response.text


async def test_custom_domain_maps_to_its_clinic(demo):
    autre = await Clinic.objects().get(Clinic.slug == "autre")
    await ClinicDomain(host="rdv.clinique-autre.fr", clinic=autre.id).save()
    response = await demo.get("/principal/", headers={"host": "RDV.clinique-autre.fr:443"})
    assert response.status_code == 200
    assert "12 rue de la Paix" in response.text
    # …and only to it: the demo clinic's sites are not there.
    assert (
        await demo.get("/centre-ville/", headers={"host": "rdv.clinique-autre.fr"})
    ).status_code == 404


@pytest.mark.parametrize(
    "host",
    ["nope.localhost", "unknown-clinic.example.com", "a.demo.localhost", "demo.localhost.evil.com"],
)
async def test_unknown_host_is_a_404_page_without_data(demo, host):
    for path in ("/", "/centre-ville/", "/laval/"):
        response = await demo.get(path, headers={"host": host})
        assert response.status_code == 404
        assert "text/html" in response.headers["content-type"]
        assert "Clinique" not in response.text and "Sainte-Catherine" not in response.text


async def test_suspended_clinic_is_unknown(demo):
    await Clinic.update({Clinic.status: "suspended"}).where(Clinic.slug == "demo")
    response = await demo.get("/centre-ville/")
    assert response.status_code == 404


async def test_a_clinic_host_cannot_reach_another_clinics_site(demo, autre):
    assert (await autre.get("/centre-ville/")).status_code == 404
    assert (await demo.get("/principal/")).status_code == 404


async def test_bare_domain_is_the_platform_page_listing_nothing_private(demo):
    response = await demo.get("/", headers={"host": "localhost:8000"})
    assert response.status_code == 200
    for private in ("Clinique Démo", "Clinique Autre", "centre-ville", "514 555 0100"):
        assert private not in response.text
    # The platform host has no sites.
    assert (await demo.get("/centre-ville/", headers={"host": "localhost"})).status_code == 404


async def test_deactivated_portal_says_so_and_gives_the_phone(demo):
    await WorkSite.update({WorkSite.portal_active: False}).where(WorkSite.slug == "laval")
    response = await demo.get("/laval/?lang=en")
    assert response.status_code == 200
    assert "Online booking is not available" in response.text
    assert "450 555 0200" in response.text


async def test_malformed_paths_are_404_not_500(demo):
    for path in (
        "/%00/",
        "/..%2f..%2fetc/passwd",
        "/" + "x" * 5000 + "/",
        "/static/",
        "/static/css/app.css/x",
        "/centre-ville/nothing-here",
    ):
        response = await demo.get(path)
        assert response.status_code in (404, 405), path


async def test_healthz_reports_database_and_redis(demo):
    response = await demo.get("/healthz", headers={"host": "anything.example"})
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not configured",
        "outbox": {"due": 0, "lag_seconds": 0.0},
    }


async def test_static_assets_are_served_on_clinic_hosts(demo):
    response = await demo.get("/static/vendor/htmx-2.0.11.min.js")
    assert response.status_code == 200
    assert "htmx" in response.text[:2000]


async def test_pages_load_nothing_from_other_hosts(demo):
    response = await demo.get("/centre-ville/")
    assert "https://" not in response.text and "http://" not in response.text
