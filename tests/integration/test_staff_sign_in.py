"""Staff sign-in with a clinic account (SPEC §10, §13): the session cookie, the guard on
the staff area, the one message for every failure, sign-out."""

from __future__ import annotations

import re

from app.staff.sessions import COOKIE
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import csrf, sign_in


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
