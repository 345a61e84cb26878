"""Single sign-on by OpenID Connect against a real provider (tests/oidc_provider: the npm
`oidc-provider` run by Node), not a mock: a linked account signs in; an invitation links
one; a verified email of an allowed domain links one; and a wrong audience, a bad nonce,
an expired token, a token signed by another key, another issuer, an unlinked subject
whose email names a staff account, a used or foreign state are all refused with the one
message, nobody signed in."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from app import clock
from app.staff import oidc
from app.staff.events import AccountChange, AccountChanged, SignInOutcome, StaffSignIn
from app.staff.sessions import COOKIE
from app.staff.tables import StaffAccount
from tenants.resolution import forget_cache
from tenants.tables import Clinic
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import csrf, signed_in
from tests.oidc_provider.harness import Account, Client, running_provider

CALLBACK = "http://demo.localhost/staff/sign-in/oidc/callback"
CLIENT = Client("clinic-demo", "demo-secret", (CALLBACK,))
JULIE = Account(
    "julie@idp.test",
    "julie-password",
    {
        "sub": "julie-sub",
        "email": "julie.roy@demo.localhost",
        "email_verified": True,
        "name": "Julie Roy",
    },
)
# Says the secretary's address, unverified (as anyone can on Entra): must never open it.
MALLORY = Account(
    "mallory@idp.test",
    "mallory-password",
    {"sub": "mallory-sub", "email": "secretariat@demo.localhost", "email_verified": False},
)
# The secretary at the provider, under an address the clinic does not know.
SECRETARY = Account(
    "sec@idp.test",
    "sec-password",
    {"sub": "secretary-sub", "email": "s.demo@elsewhere.test", "email_verified": True},
)
ADMIN = Account(
    "admin@idp.test",
    "admin-password",
    {"sub": "admin-sub", "email": "admin@demo.localhost", "email_verified": True},
)
REFUSED = "La connexion unique n'a pas abouti."


@pytest.fixture(scope="module")
def provider():
    with running_provider([CLIENT], [JULIE, MALLORY, SECRETARY, ADMIN]) as provider:
        yield provider


@pytest.fixture
async def configured(demo_data, provider):
    """The demo clinic signs in with the test provider; Julie is linked to her subject."""
    await Clinic.update(
        {
            Clinic.oidc_provider_name: "Test IdP",
            Clinic.oidc_issuer: provider.issuer,
            Clinic.oidc_client_id: CLIENT.client_id,
            Clinic.oidc_client_secret: CLIENT.client_secret,
        }
    ).where(Clinic.slug == "demo")
    await StaffAccount.update(
        {StaffAccount.oidc_issuer: provider.issuer, StaffAccount.oidc_subject: "julie-sub"}
    ).where(StaffAccount.email == "julie.roy@demo.localhost")
    forget_cache()
    oidc.forget_metadata()
    yield provider
    await provider.tamper_next_id_token(None)


def fresh_times(**more) -> dict:
    """iat and exp by the platform's clock (the test clock, not the provider's machine)."""
    now = int(clock.now().timestamp())
    return {"iat": now, "exp": now + 3600, **more}


async def through_provider(browser, provider, account, tamper=None, **claims) -> str:
    """From "Sign in with …" to the provider's redirect back; the next ID token rewritten."""
    start = await browser.get("/staff/sign-in/oidc")
    assert start.status_code == 303, start.text
    callback = await provider.sign_in(start.headers["location"], account)
    await provider.tamper_next_id_token(tamper, **(claims or fresh_times()))
    return callback


async def sso(browser, provider, account, tamper=None, **claims):
    return await browser.get(await through_provider(browser, provider, account, tamper, **claims))


async def linked(email: str) -> tuple[str | None, str | None]:
    row = await StaffAccount.select().where(StaffAccount.email == email).first()
    return row["oidc_issuer"], row["oidc_subject"]


def refused(response) -> bool:
    return response.status_code == 403 and REFUSED in text(response)


async def test_the_sign_in_page_offers_the_clinics_provider(configured, demo):
    page = await demo.get("/staff/sign-in")
    assert "Se connecter avec Test IdP" in text(page)
    assert 'href="/staff/sign-in/oidc"' in page.text


async def test_a_linked_account_signs_in_through_the_provider(recorded, configured, demo):
    start = await demo.get("/staff/sign-in/oidc")
    location = httpx.URL(start.headers["location"])
    assert location.params["code_challenge_method"] == "S256"
    assert location.params["redirect_uri"] == CALLBACK
    assert location.params["nonce"] and location.params["state"]
    cookie = start.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Domain" not in cookie and "SameSite=lax" in cookie
    callback = await configured.sign_in(str(location), JULIE)
    await configured.tamper_next_id_token(None, **fresh_times())
    back = await demo.get(callback)
    assert back.status_code == 303 and back.headers["location"] == "/staff/"
    home = await demo.get("/staff/")
    assert home.status_code == 200 and "Dre Julie Roy" in text(home)
    [event] = [e for e in recorded.of(StaffSignIn) if e.outcome is SignInOutcome.SIGNED_IN]
    assert event.method == "oidc" and all(recorded.in_transaction)


async def test_an_invitation_links_an_account_once(recorded, configured, demo, web_app):
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get("/staff/administration/clinic")
    secretary = (
        await StaffAccount.select()
        .where(StaffAccount.email == "secretariat@demo.localhost")
        .first()
    )["id"]
    made = await demo.post(
        "/staff/administration/invitations",
        data={"account": str(secretary), "_csrf_token": csrf(page.text)},
    )
    assert made.status_code == 200
    link = re.search(r'<code class="invitation-link">([^<]+)</code>', made.text).group(1)
    assert link.startswith("http://demo.localhost/staff/sign-in/oidc/invitation/")

    transport = httpx.ASGITransport(app=web_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo.localhost") as invitee:
        start = await invitee.get(link)
        assert start.status_code == 303
        callback = await configured.sign_in(start.headers["location"], SECRETARY)
        await configured.tamper_next_id_token(None, **fresh_times())
        back = await invitee.get(callback)
        assert back.status_code == 303, back.text
        assert "Secrétariat Démo" in text(await invitee.get("/staff/"))
    assert await linked("secretariat@demo.localhost") == (configured.issuer, "secretary-sub")
    [change] = recorded.of(AccountChanged)
    assert change.kind is AccountChange.LINKED and change.after.oidc_subject == "secretary-sub"

    async with httpx.AsyncClient(transport=transport, base_url="http://demo.localhost") as again:
        assert (await again.get(link)).status_code == 404  # used once


async def test_an_invitation_for_another_clinics_account_is_not_found(configured, demo):
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get("/staff/administration/clinic")
    other = (
        await StaffAccount.select().where(StaffAccount.email == "admin@autre.localhost").first()
    )["id"]
    made = await demo.post(
        "/staff/administration/invitations",
        data={"account": str(other), "_csrf_token": csrf(page.text)},
    )
    assert made.status_code == 404 and "Admin Autre" not in made.text


@pytest.mark.parametrize("tamper", ["wrong_audience", "nonce", "other_key", "wrong_issuer"])
async def test_a_token_that_fails_a_check_is_refused(recorded, configured, demo, tamper):
    response = await sso(demo, configured, JULIE, tamper, **fresh_times())
    assert refused(response)
    assert COOKIE not in demo.cookies
    assert (await demo.get("/staff/")).status_code == 303
    [event] = recorded.of(StaffSignIn)
    assert (event.outcome, event.method) == (SignInOutcome.FAILED, "oidc")


async def test_an_expired_token_is_refused(configured, demo):
    now = int(clock.now().timestamp())
    response = await sso(demo, configured, JULIE, "expired", iat=now - 7200, exp=now - 3600)
    assert refused(response) and COOKIE not in demo.cookies


async def test_a_token_expires_by_the_platforms_clock(configured, demo):
    callback = await through_provider(demo, configured, JULIE)
    clock.advance(timedelta(hours=2))  # the token's hour is over by the time it comes back
    assert refused(await demo.get(callback))


async def test_an_unlinked_subject_whose_email_names_a_staff_account_is_refused(configured, demo):
    assert refused(await sso(demo, configured, MALLORY))
    assert await linked("secretariat@demo.localhost") == (None, None)
    # A verified email too, while the clinic vouches for no domain: still refused
    assert refused(await sso(demo, configured, ADMIN))
    assert await linked("admin@demo.localhost") == (None, None)


async def test_a_verified_email_of_an_allowed_domain_links_the_account(recorded, configured, demo):
    await Clinic.update({Clinic.oidc_email_domains: "demo.localhost"}).where(Clinic.slug == "demo")
    assert refused(await sso(demo, configured, MALLORY))  # unverified: never
    back = await sso(demo, configured, ADMIN)
    assert back.status_code == 303
    assert await linked("admin@demo.localhost") == (configured.issuer, "admin-sub")
    assert [e.kind for e in recorded.of(AccountChanged)] == [AccountChange.LINKED]


async def test_a_state_is_used_once_and_by_the_browser_that_started_it(configured, demo, web_app):
    callback = await through_provider(demo, configured, JULIE)
    transport = httpx.ASGITransport(app=web_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo.localhost") as other:
        assert refused(await other.get(callback))  # not the browser that started: refused...
    assert refused(await demo.get(callback))  # ...and the state is spent

    callback = await through_provider(demo, configured, JULIE)
    assert (await demo.get(callback)).status_code == 303
    demo.cookies.clear()
    assert refused(await demo.get(callback))  # replayed


async def test_a_demo_state_is_refused_on_autres_host(configured, demo, autre):
    # autre uses the same provider and has an account for the same subject: only the
    # state's clinic tells the two apart
    await Clinic.update(
        {
            Clinic.oidc_issuer: configured.issuer,
            Clinic.oidc_client_id: CLIENT.client_id,
            Clinic.oidc_client_secret: CLIENT.client_secret,
        }
    ).where(Clinic.slug == "autre")
    await StaffAccount.update(
        {StaffAccount.oidc_issuer: configured.issuer, StaffAccount.oidc_subject: "julie-sub"}
    ).where(StaffAccount.email == "admin@autre.localhost")
    callback = await through_provider(demo, configured, JULIE)
    autre.cookies.set(oidc.COOKIE, demo.cookies[oidc.COOKIE], domain="autre.localhost")
    query = httpx.URL(callback).query.decode()
    response = await autre.get(f"/staff/sign-in/oidc/callback?{query}")
    assert refused(response) and COOKIE not in autre.cookies
    assert (await autre.get("/staff/")).status_code == 303


async def test_a_clinic_without_single_sign_on_has_no_such_route(demo):
    assert (await demo.get("/staff/sign-in/oidc")).status_code == 404
    assert "Se connecter avec" not in text(await demo.get("/staff/sign-in"))


async def test_the_demo_seed_takes_the_clinics_provider_from_the_settings(demo_data, monkeypatch):
    from app.seed import seed

    monkeypatch.setenv("OIDC_ISSUER", "https://login.example.org")
    monkeypatch.setenv("OIDC_CLIENT_ID", "demo-client")
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "demo-secret")
    monkeypatch.setenv("OIDC_PROVIDER_NAME", "Example")
    await seed(schedules=False)
    rows = await Clinic.select(
        Clinic.slug, Clinic.oidc_issuer, Clinic.oidc_client_id, Clinic.oidc_provider_name
    ).order_by(Clinic.slug)
    by_slug = {row["slug"]: row for row in rows}
    assert by_slug["demo"]["oidc_issuer"] == "https://login.example.org"
    assert by_slug["demo"]["oidc_provider_name"] == "Example"
    assert by_slug["autre"]["oidc_issuer"] == ""  # the demo clinic only


async def test_the_administration_shows_the_single_sign_on_but_never_its_secret(configured, demo):
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get("/staff/administration/clinic")
    assert page.status_code == 200
    assert configured.issuer in page.text and CLIENT.client_id in page.text
    assert "Secret client" in text(page) and "Défini" in text(page)
    assert CLIENT.client_secret not in page.text
    assert "Lien d'invitation pour Secrétariat Démo" in text(page)
    assert "Lien d'invitation pour Dre Julie Roy" not in text(page)  # linked already


async def test_cancelling_at_the_provider_is_refused_with_the_one_message(configured, demo):
    start = await demo.get("/staff/sign-in/oidc")
    callback = await configured.sign_in(start.headers["location"], JULIE, consent=False)
    assert "error=access_denied" in callback
    assert refused(await demo.get(callback)) and COOKIE not in demo.cookies


async def test_an_account_with_two_factor_still_gives_its_code_after_the_provider(configured, demo):
    from app.staff import totp

    await StaffAccount.update(
        {StaffAccount.totp_secret: totp.new_secret(), StaffAccount.totp_last_step: 0}
    ).where(StaffAccount.email == "julie.roy@demo.localhost")
    back = await sso(demo, configured, JULIE)
    assert back.status_code == 303 and back.headers["location"] == "/staff/sign-in/code"
    assert (await demo.get("/staff/")).status_code == 303
