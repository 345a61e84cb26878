"""Staff sign-in with a clinic account (SPEC §10, §13): the session cookie, the guard on
the staff area, the one message for every failure, sign-out."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import httpx

from app import clock
from app.main import create_app
from app.settings import load
from app.staff.sessions import COOKIE
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import PASSWORD, csrf, sign_in, signed_in
from tests.integration.web import running


def without_typed(response) -> str:
    """The page without its CSRF token and the email typed back into the form."""
    typed = r'name="_csrf_token" value="[^"]+"|value="[^"]*@demo.localhost"'
    return re.sub(typed, "", response.text)


async def test_the_staff_area_asks_to_sign_in_first(demo):
    response = await demo.get("/staff/")
    assert (
        response.status_code == 303
        and response.headers["location"] == "/staff/sign-in?next=%2Fstaff"
    )


async def test_an_administrator_signs_in_and_out(demo):
    signed = await sign_in(demo, "admin@demo.localhost", next_page="/staff/")
    assert signed.status_code == 303 and signed.headers["location"] == "/staff/"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/staff" in cookie and "Domain" not in cookie
    home = await demo.get("/staff/")
    assert home.status_code == 200 and "Admin Démo" in text(home)
    out = await demo.post("/staff/sign-out", data={"_csrf_token": csrf(home.text)})
    assert out.status_code == 303
    assert (await demo.get("/staff/")).status_code == 303


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(demo):
    wrong = await sign_in(demo, "admin@demo.localhost", "not-the-password")
    nobody = await sign_in(demo, "nobody@demo.localhost", "not-the-password")
    assert wrong.status_code == nobody.status_code == 422
    assert "Le courriel ou le mot de passe n'est pas correct." in text(wrong)
    assert without_typed(wrong) == without_typed(nobody)


# Lockout: five failures per account and per client, fifteen minutes on the test clock.
# The clock flows here (never frozen in the past): the app's clean-up of old failures
# runs beside the test with the clock it started with.


async def fail(client, email: str, expected_failures: int) -> None:
    assert (await sign_in(client, email, "wrong-password")).status_code == 422


async def test_five_wrong_passwords_lock_the_account_even_with_the_right_one(demo):
    for n in range(5):
        await fail(demo, "admin@demo.localhost", n + 1)
    locked = await sign_in(demo, "admin@demo.localhost")
    assert locked.status_code == 429
    assert "Trop de tentatives. Réessayez dans 15 minutes." in text(locked)
    assert COOKIE not in locked.headers.get("set-cookie", "")
    clock.advance(timedelta(minutes=14))
    assert (await sign_in(demo, "admin@demo.localhost")).status_code == 429
    clock.advance(timedelta(minutes=1, seconds=1))
    assert (await sign_in(demo, "admin@demo.localhost")).status_code == 303


async def test_the_account_is_locked_from_another_client_too(demo, web_app):
    for n in range(5):
        await fail(demo, "secretariat@demo.localhost", n + 1)
    elsewhere = httpx.ASGITransport(app=web_app, client=("198.51.100.7", 4000))
    async with httpx.AsyncClient(transport=elsewhere, base_url="http://demo.localhost") as other:
        assert (await sign_in(other, "secretariat@demo.localhost")).status_code == 429
        # ...while that other client may still sign in to another account
        assert (await sign_in(other, "admin@demo.localhost")).status_code == 303


async def test_one_client_guessing_many_accounts_is_locked_out(demo):
    for n in range(5):
        await fail(demo, f"guess{n}@demo.localhost", n + 1)
    assert (await sign_in(demo, "admin@demo.localhost")).status_code == 429


# Sessions: idle expiry, fixation, the clinic's host, the Secure flag


async def test_a_session_left_idle_twelve_hours_ends(demo):
    await sign_in(demo, "admin@demo.localhost")
    clock.advance(timedelta(hours=11, minutes=59))
    assert (await demo.get("/staff/")).status_code == 200  # used: the idle time starts again
    clock.advance(timedelta(hours=11, minutes=59))
    assert (await demo.get("/staff/")).status_code == 200
    clock.advance(timedelta(hours=12, minutes=1))
    gone = await demo.get("/staff/")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/staff/sign-in")


async def test_sign_out_ends_the_session_on_the_server(demo):
    await sign_in(demo, "admin@demo.localhost")
    token = demo.cookies[COOKIE]
    home = await demo.get("/staff/")
    await demo.post("/staff/sign-out", data={"_csrf_token": csrf(home.text)})
    demo.cookies.set(COOKIE, token, domain="demo.localhost", path="/staff")  # kept a copy
    assert (await demo.get("/staff/")).status_code == 303


async def test_signing_in_gives_a_new_session_id_and_never_adopts_a_planted_one(demo):
    demo.cookies.set(COOKIE, "planted-by-an-attacker", domain="demo.localhost", path="/staff")
    await sign_in(demo, "admin@demo.localhost")
    first = demo.cookies[COOKIE]
    assert first != "planted-by-an-attacker"
    home = await demo.get("/staff/")
    again = {"email": "admin@demo.localhost", "password": PASSWORD, "_csrf_token": csrf(home.text)}
    assert (await demo.post("/staff/sign-in", data=again)).status_code == 303
    second = demo.cookies[COOKIE]
    assert second != first
    # the session the browser had before signing in again is over
    async with httpx.AsyncClient(
        transport=demo._transport, base_url="http://demo.localhost", cookies={COOKIE: first}
    ) as old:
        assert (await old.get("/staff/")).status_code == 303


async def test_a_demo_session_cookie_copied_to_autres_host_opens_nothing(demo, autre):
    await sign_in(demo, "admin@demo.localhost")
    autre.cookies.set(COOKIE, demo.cookies[COOKIE], domain="autre.localhost", path="/staff")
    response = await autre.get("/staff/")
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in")
    assert "Admin Démo" not in response.text


async def test_the_session_cookie_is_secure_under_https(demo_data):
    settings = replace(load(), public_scheme="https")
    transport_to = httpx.ASGITransport
    async with (
        running(create_app(settings)) as app,
        httpx.AsyncClient(
            transport=transport_to(app=app), base_url="https://demo.localhost"
        ) as client,
    ):
        page = await client.get("/staff/sign-in")
        signed = await client.post(
            "/staff/sign-in",
            data={
                "email": "admin@demo.localhost",
                "password": PASSWORD,
                "_csrf_token": csrf(page.text),
            },
        )
        assert signed.status_code == 303
        assert "Secure" in signed.headers["set-cookie"]


async def test_the_session_cookie_is_not_secure_over_plain_http_on_the_laptop(demo):
    signed = await sign_in(demo, "admin@demo.localhost")
    assert "Secure" not in signed.headers["set-cookie"]


# CSRF


async def test_sign_in_without_the_csrf_token_is_refused(demo):
    await demo.get("/staff/sign-in")
    response = await demo.post(
        "/staff/sign-in", data={"email": "admin@demo.localhost", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert COOKIE not in demo.cookies


async def test_sign_out_without_the_csrf_token_is_refused(demo):
    await sign_in(demo, "admin@demo.localhost")
    assert (await demo.post("/staff/sign-out")).status_code == 403
    assert (await demo.get("/staff/")).status_code == 200  # still signed in


# Roles


async def test_a_secretary_gets_the_403_page_on_the_administration(demo):
    await signed_in(demo, "secretariat@demo.localhost")
    response = await demo.get("/staff/administration")
    assert response.status_code == 403
    assert "Cette page est réservée aux rôles suivants : administrateur." in text(response)
    assert "Exiger" not in text(response)
