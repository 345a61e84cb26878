"""What the platform must not give away: the dev outbox on a real install, an address
built from a forged Host header, a link that points off-site, a details link that
survives a move, a form posted from someone else's page, a token in the access log,
memory for every Host a client invents."""

from __future__ import annotations

import dataclasses
import html
import os
import re

import httpx
import pytest

from app.__main__ import banner
from app.booking.tables import Appointment, BookingSession
from app.main import create_app
from app.settings import SmsSettings, load
from e2e.conftest import ARTIFACTS, start_server, stop_server
from tenants import resolution
from tenants.tables import Clinic, ClinicDomain
from tests.integration.portal_helpers import (
    MARIE,
    book_marie_follow_up,
    form_token,
    identify,
    open_follow_ups,
    slot_ids,
    text,
)
from tests.integration.staff_helpers import signed_in
from tests.moments import freeze

EVIL = "evil.example"


@pytest.fixture
async def details(demo):
    freeze()
    await open_follow_ups()
    done = await book_marie_follow_up(demo)
    return re.search(r'href="(/a/[^"]+)"', done).group(1)


# -- the dev outbox ---------------------------------------------------------------------

PRODUCTION_LIKE = {
    "BASE_DOMAIN": "clinic.test",
    "PUBLIC_SCHEME": "https",
    "SMTP_URL": "smtp://mail.clinic.test:587",
    "SMS_URL": "https://sms.clinic.test",
    "SMS_ACCOUNT_SID": "AC1",
    "SMS_AUTH_TOKEN": "t",
    "SMS_FROM": "+15145550000",
}


async def test_the_dev_outbox_is_not_mounted_on_sqlite_with_providers(details):
    """The demonstrated case: (on the SQLite run) SQLite without Redis, but a real domain,
    mail and SMS providers."""
    settings = load({**os.environ, **PRODUCTION_LIKE})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings)), base_url="https://demo.clinic.test"
    ) as client:
        response = await client.get("/dev/outbox")
    assert (
        response.status_code == 404
        and "marie" not in response.text.lower()
        and "/a/" not in response.text
    )


def test_start_up_says_whether_the_dev_outbox_is_mounted():
    laptop = load({"SECRET_KEY": "x" * 32})
    assert "Dev outbox: mounted at http://demo.localhost:8000/dev/outbox" in banner(laptop)
    sms = SmsSettings("https://sms.example", "AC1", "t", "+15145550000")
    for settings in (
        dataclasses.replace(laptop, smtp_url="smtp://mail.example"),
        dataclasses.replace(laptop, sms=sms),
        dataclasses.replace(laptop, base_domain="clinic.test"),
    ):
        assert "Dev outbox: not mounted" in banner(settings) and "/dev/outbox" not in banner(
            settings
        )


# -- absolute addresses come from the settings ---------------------------------------------


async def test_a_forged_host_never_reaches_the_widget(demo):
    injected = await demo.get(
        "/centre-ville/widget.js", headers={"host": f"demo.localhost:@{EVIL}"}
    )
    assert injected.status_code == 404 and EVIL not in injected.text
    # A port the server does not listen on, and a custom domain: the script names the clinic's own
    # address.
    await ClinicDomain(
        host="rdv.clinique-demo.ca", clinic=(await Clinic.objects().get(Clinic.slug == "demo")).id
    ).save()
    for host in ("demo.localhost:1234", "rdv.clinique-demo.ca"):
        widget = await demo.get("/centre-ville/widget.js", headers={"host": host})
        assert widget.status_code == 200, host
        assert (
            'var src = "http://demo.localhost:8000/centre-ville", origin = "http://demo.localhost:8000";'
            in widget.text
        )


async def test_both_snippets_on_the_embed_page_work_as_pasted(demo):
    """The snippets are on the administration's embed page (the public one answers 404)."""
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get("/staff/administration/embed", headers={"host": "DEMO.localhost:1234"})
    script, iframe = [
        html.unescape(t) for t in re.findall(r"<textarea[^>]*>([^<]+)</textarea>", page.text)
    ][:2]
    assert (
        script == '<script src="http://demo.localhost:8000/centre-ville/widget.js" async></script>'
    )
    assert iframe.startswith(
        '<iframe src="http://demo.localhost:8000/centre-ville" title="Centre-ville"'
    )
    for snippet in (script, iframe):
        url = re.search(r'src="http://demo\.localhost:8000([^"]+)"', snippet).group(1)
        assert (await demo.get(url)).status_code == 200, url


async def test_the_calendar_file_links_to_the_clinics_own_address(demo, details):
    ics = await demo.get(details + "/calendar.ics", headers={"host": "demo.localhost:1234"})
    assert f"URL:http://demo.localhost:8000{details}" in ics.text.replace("\r\n ", "")


async def test_the_404_page_of_a_protocol_relative_path_links_nowhere_else(demo):
    response = await demo.get(f"//{EVIL}/x?a=1")
    assert response.status_code == 404
    links = re.findall(r'href="([^"]*)"', response.text)
    assert "?a=1&amp;lang=en" in links and "?a=1&amp;lang=fr" in links
    assert not [link for link in links if EVIL in link or link.startswith("//")]


# -- a details link dies with the time it was made for ------------------------------------


async def test_after_a_move_the_old_link_no_longer_works(demo, details):
    choices = await demo.get(details + "/reschedule")
    before = await Appointment.objects().first()
    target = [s for s in slot_ids(choices.text) if s != before.slot][0]
    moved = await demo.post(
        details + "/reschedule", data={"slot": target, "form_token": form_token(choices.text)}
    )
    new_link = moved.headers["location"].split("?")[0]
    assert new_link != details

    old_page = await demo.get(details)
    assert old_page.status_code == 404 and "Ce lien ne fonctionne pas" in text(old_page)
    confirmed = await demo.post(details + "/confirm", data={"form_token": form_token(choices.text)})
    assert confirmed.status_code == 404 and (await Appointment.objects().first()).status == "booked"

    page = await demo.get(new_link)
    confirmed = await demo.post(new_link + "/confirm", data={"form_token": form_token(page.text)})
    assert (
        confirmed.status_code == 303 and (await Appointment.objects().first()).status == "confirmed"
    )


# -- forms come from the clinic's own pages -------------------------------------------------


async def test_a_form_posted_from_another_site_is_refused(demo):
    page = await demo.get("/centre-ville/")
    data = {**MARIE, "form_token": form_token(page.text)}
    for headers in (
        {"sec-fetch-site": "cross-site", "origin": f"https://{EVIL}"},
        {"origin": f"https://{EVIL}"},
        {"sec-fetch-site": "same-site", "origin": "http://autre.localhost"},
    ):
        refused = await demo.post("/centre-ville/", data=data, headers=headers)
        assert refused.status_code == 403 and "Ce formulaire ne peut pas être envoyé d'ici" in text(
            refused
        )
    assert await BookingSession.count() == 0
    same_origin = await demo.post(
        "/centre-ville/", data=data, headers={"sec-fetch-site": "same-origin", "origin": "null"}
    )
    assert same_origin.status_code == 303


async def test_a_form_on_a_website_the_clinic_lists_may_post(demo):
    await Clinic.update({Clinic.embed_origins: "https://www.clinique-demo.ca"}).where(
        Clinic.slug == "demo"
    )
    page = await demo.get("/centre-ville/")
    listed = {"sec-fetch-site": "cross-site", "origin": "https://www.clinique-demo.ca"}
    response = await demo.post(
        "/centre-ville/", data={**MARIE, "form_token": form_token(page.text)}, headers=listed
    )
    assert response.status_code == 303


async def test_a_cross_site_post_cannot_cancel_an_appointment(demo, details):
    page = await demo.get(details)
    refused = await demo.post(
        details + "/cancel",
        data={"form_token": form_token(page.text)},
        headers={"sec-fetch-site": "cross-site", "origin": f"https://{EVIL}"},
    )
    assert refused.status_code == 403 and (await Appointment.objects().first()).status == "booked"


# -- memory for hosts is bounded ---------------------------------------------------------------


async def test_the_host_cache_keeps_only_the_most_recently_used_hosts(demo_data, monkeypatch):
    monkeypatch.setattr(resolution, "CACHE_SIZE", 20)
    resolution.forget_cache()
    for n in range(20):
        await resolution.resolve(f"host-{n}.example", "localhost")
    await resolution.resolve("host-0.example", "localhost")  # used again: now the most recent
    await resolution.resolve("demo.localhost", "localhost")
    assert "host-0.example" in resolution._cache and "host-1.example" not in resolution._cache
    for n in range(100, 1000):
        await resolution.resolve(f"host-{n}.example", "localhost")
    assert len(resolution._cache) == 20


# -- the access log -----------------------------------------------------------------------------


async def test_the_access_log_shows_no_token(demo, details):
    session = (await identify(demo, MARIE)).headers["location"]
    server = start_server("redaction-server")
    try:
        for path in (details, details + "/calendar.ics", session, "/a/1.2.forged"):
            httpx.get(
                f"http://127.0.0.1:{server.port}{path}",
                headers={"host": "demo.localhost"},
                timeout=10,
            )
    finally:
        stop_server(server)
    log = (ARTIFACTS / "redaction-server.log").read_text()
    # (The server keeps the real time, to which these frozen-clock links may be old: what
    # matters is the line, not its status.)
    assert '"GET /a/… HTTP/1.1"' in log and '"GET /a/…/calendar.ics HTTP/1.1"' in log
    assert '"GET /centre-ville/b/…/service HTTP/1.1"' in log
    tokens = (details.split("/a/")[1], session.split("/b/")[1].split("/")[0], "1.2.forged")
    assert not [token for token in tokens if token in log]
    assert "Dev outbox: mounted" in log
