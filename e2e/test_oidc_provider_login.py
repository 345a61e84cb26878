"""The local OpenID provider's pages in a real browser (tests/oidc_provider), as a person
meets them during a single sign-on: the labelled login form (a wrong password said on the
page, the email kept), the consent page, then the redirect back with a code and the state."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, screenshot_path
from tests.oidc_provider.harness import Account, Client, running_provider

CALLBACK = "http://demo.localhost/staff/sign-in/oidc/callback"  # the test answers it itself
CLIENT = Client("clinic-demo", "demo-secret", (CALLBACK,))
JULIE = Account(
    "julie.roy@demo.test",
    "correct horse battery",
    {"sub": "julie-1", "email": "julie.roy@demo.test", "email_verified": True, "name": "Julie Roy"},
)


@pytest.fixture(scope="module")
def provider():
    with running_provider([CLIENT], [JULIE]) as provider:
        yield provider


async def test_a_person_signs_in_on_the_providers_pages_and_is_sent_back(page: Page, provider):
    await page.set_viewport_size(DESKTOP)
    await page.route(f"{CALLBACK}?*", lambda route: route.fulfill(body="back at the clinic"))
    async with AsyncOAuth2Client(
        CLIENT.client_id,
        CLIENT.client_secret,
        redirect_uri=CALLBACK,
        scope="openid email",
        code_challenge_method="S256",
    ) as oauth:
        metadata = (await oauth.request("GET", provider.discovery_url, withhold_token=True)).json()
        url, state = oauth.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce="n"
        )

    await page.goto(url)
    await page.get_by_label("Email").fill(JULIE.login)
    await page.get_by_label("Password").fill("not her password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    await expect(page.get_by_label("Email")).to_have_value(JULIE.login)
    await page.screenshot(path=screenshot_path("oidc-provider-login"))

    await page.get_by_label("Password").fill(JULIE.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Allow access")).to_be_visible()
    await page.screenshot(path=screenshot_path("oidc-provider-consent"))
    await page.get_by_role("button", name="Continue").click()

    await page.wait_for_url(f"{CALLBACK}?*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == [state]
    assert query["iss"] == [provider.issuer]
    assert query["code"][0]
