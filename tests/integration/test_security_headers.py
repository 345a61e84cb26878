"""The headers every page carries, and what they protect: scripts only from the platform,
no Referer carrying a details link elsewhere, token pages never cached, HTTPS kept."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re

import httpx
import pytest

from app.main import create_app
from app.settings import load
from tenants.tables import WorkSite
from tests.integration.portal_helpers import MARIE, book_marie_follow_up, identify, open_follow_ups
from tests.moments import freeze

CSP = re.compile(
    r"default-src 'self'; script-src 'self' 'sha256-[A-Za-z0-9+/]{43}='; object-src 'none'; base-uri 'none'; "  # noqa: E501 - the text as read
    r"form-action 'self'; frame-ancestors 'self'"
)


def sha256(script: str) -> str:
    return base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


@pytest.fixture
async def details(demo):
    freeze()
    await open_follow_ups()
    done = await book_marie_follow_up(demo)
    return re.search(r'href="(/a/[^"]+)"', done).group(1)


@pytest.mark.parametrize(
    "path, host",
    [
        ("/centre-ville/", "demo.localhost"),
        ("/nope", "demo.localhost"),  # an error page
        ("/", "unknown.localhost"),  # no clinic at all
        ("/static/css/app.css", "demo.localhost"),
    ],
)
async def test_every_response_has_the_policy_and_no_referrer(demo, path, host):
    response = await demo.get(path, headers={"host": host})
    assert CSP.fullmatch(response.headers["content-security-policy"])
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers  # plain http on a laptop


async def test_the_only_inline_script_is_the_one_the_policy_names_by_hash(demo, details):
    for url in ("/centre-ville/", details, "/nope"):
        page = await demo.get(url)
        allowed = re.findall(r"'sha256-([^']+)'", page.headers["content-security-policy"])
        inline = re.findall(r"<script>(.*?)</script>", page.text, re.S)
        assert len(inline) == 1 and [sha256(inline[0])] == allowed, url
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) == ["<script>"]
        assert " style=" not in page.text and "<style" not in page.text
        assert re.findall(r"<[^>]+\son[a-z]+=", page.text) == []  # no event handler attributes


async def test_pages_with_a_token_in_their_address_are_never_cached(demo, details):
    session_url = (await identify(demo, MARIE)).headers["location"]
    for url in (
        details,
        details + "/calendar.ics",
        details + "/reschedule",
        session_url,
        session_url.replace("/service", "/slots"),
    ):
        assert (await demo.get(url)).headers["cache-control"] == "no-store", url
    assert "no-store" not in (await demo.get("/centre-ville/")).headers.get("cache-control", "")


async def test_the_questionnaire_link_sends_no_referrer(demo, details):
    await WorkSite.update(
        {WorkSite.questionnaire_url: "https://forms.example.org/previsite"}
    ).where(WorkSite.slug == "centre-ville")
    page = await demo.get(details)
    assert (
        '<a class="button" href="https://forms.example.org/previsite" rel="noreferrer">'
        in page.text
    )


async def test_under_https_hsts_and_secure_cookies(demo_data):
    settings = dataclasses.replace(load(), public_scheme="https")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings)), base_url="https://demo.localhost"
    ) as client:
        home = await client.get("/")  # the CSRF cookie
        switched = await client.get("/centre-ville/?lang=en")  # the language cookie
    assert home.headers["strict-transport-security"] == "max-age=31536000"
    cookies = home.headers.get_list("set-cookie") + switched.headers.get_list("set-cookie")
    assert {c.split("=")[0] for c in cookies} == {"csrftoken", "lang"}
    assert all("Secure" in cookie for cookie in cookies), cookies


async def test_without_https_cookies_are_not_secure(demo):
    switched = await demo.get("/centre-ville/?lang=en")
    assert "Secure" not in switched.headers["set-cookie"]


async def test_static_assets_are_versioned_and_cached_for_a_year(demo):
    page = await demo.get("/centre-ville/")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert {a.split("?")[0] for a in assets} == {
        "/static/favicon.svg",
        "/static/css/app.css",
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/js/app.js",
    }
    for asset in assets:
        assert re.search(r"\?v=[0-9a-f]{12}$", asset), asset
        response = await demo.get(asset)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "max-age=31536000, public, immutable"
    assert '<link rel="icon" href="/static/favicon.svg?v=' in page.text
