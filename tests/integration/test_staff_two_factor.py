"""Two-factor authentication (TOTP) for staff accounts: enrolment on the security page
(the QR code drawn by the server, the secret as text, a first code to confirm, recovery
codes shown once), the sign-in's second step (a wrong, a replayed, a reused recovery code
refused; failures count toward the lockout), turning it off, and the clinic requiring it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app import clock
from app.staff import totp
from app.staff.events import AccountChange, AccountChanged, SignInOutcome, StaffSignIn
from app.staff.sessions import COOKIE
from app.staff.tables import StaffAccount
from tenants.events import SettingChanged
from tenants.tables import Clinic
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import csrf, sign_in, signed_in

ADMIN = "admin@demo.localhost"
SECRETARY = "secretariat@demo.localhost"


def field_error(response, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', text(response), re.S)
    return found.group(1).strip() if found else ""


def secret_token(html: str) -> str:
    return re.search(r'name="secret" value="([^"]+)"', html).group(1)


def recovery_codes(response) -> list[str]:
    block = re.search(r'<ul class="recovery-codes".*?</ul>', response.text, re.S).group(0)
    return re.findall(r"<code>([^<]+)</code>", block)


async def account(email: str) -> dict:
    return await StaffAccount.select().where(StaffAccount.email == email).first()


def code_now(secret: str, later: int = 0) -> str:
    return totp.code_at(secret, totp.current_step() + later)


async def enrol(client) -> tuple[str, list[str]]:
    """Turns two-factor on for the signed-in account; (its secret, its recovery codes)."""
    page = await client.get("/staff/account/security")
    token = secret_token(page.text)
    secret = token.split(".")[0]
    done = await client.post(
        "/staff/account/security/on",
        data={"secret": token, "code": code_now(secret), "_csrf_token": csrf(page.text)},
    )
    assert done.status_code == 200, done.text
    return secret, recovery_codes(done)


async def sign_out(client) -> None:
    page = await client.get("/staff/sign-in/code")
    if page.status_code != 200:
        page = await client.get("/staff/")
    await client.post("/staff/sign-out", data={"_csrf_token": csrf(page.text)})


async def give_code(client, code: str):
    page = await client.get("/staff/sign-in/code")
    assert page.status_code == 200, page.headers
    return await client.post(
        "/staff/sign-in/code", data={"code": code, "_csrf_token": csrf(page.text)}
    )


async def test_enrolment_shows_a_qr_code_drawn_here_and_the_secret_and_needs_a_first_code(
    recorded, demo
):
    await signed_in(demo, SECRETARY)
    page = await demo.get("/staff/account/security")
    assert page.status_code == 200
    assert "Désactivée" in text(page) or "Désactivé" in text(page)
    assert '<svg width="' in page.text and "<img" not in page.text  # no image service
    token = secret_token(page.text)
    secret = token.split(".")[0]
    assert totp.grouped(secret) in text(page)

    wrong = await demo.post(
        "/staff/account/security/on",
        data={"secret": token, "code": "000000", "_csrf_token": csrf(page.text)},
    )
    assert wrong.status_code == 422
    assert field_error(wrong, "enrol-code") == "Ce code n'est pas correct."
    assert secret_token(wrong.text) == token  # the same secret: the app already has it
    assert (await account(SECRETARY))["totp_secret"] is None

    tampered = await demo.post(
        "/staff/account/security/on",
        data={
            "secret": "A" * 32 + "." + token.split(".")[1],
            "code": code_now("A" * 32),
            "_csrf_token": csrf(page.text),
        },
    )
    assert tampered.status_code == 303 and (await account(SECRETARY))["totp_secret"] is None

    done = await demo.post(
        "/staff/account/security/on",
        data={"secret": token, "code": code_now(secret), "_csrf_token": csrf(page.text)},
    )
    assert done.status_code == 200 and done.headers["cache-control"] == "no-store"
    codes = recovery_codes(done)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = await account(SECRETARY)
    assert stored["totp_secret"] == secret
    digests = totp.stored_digests(stored["recovery_codes"])
    assert len(digests) == 10 and not any(code in stored["recovery_codes"] for code in codes)
    assert "Activée" in text(await demo.get("/staff/account/security"))
    assert codes[0] not in (await demo.get("/staff/account/security")).text  # shown once

    [changed] = recorded.of(AccountChanged)
    assert changed.kind is AccountChange.TWO_FACTOR
    assert (changed.before.two_factor, changed.after.two_factor) == (False, True)
    assert all(recorded.in_transaction)


async def test_sign_in_with_a_code_refuses_a_wrong_and_a_replayed_one(recorded, demo):
    await signed_in(demo, SECRETARY)
    secret, _codes = await enrol(demo)
    enrolled_with = code_now(secret)
    await sign_out(demo)

    first = await sign_in(demo, SECRETARY, next_page="/staff/account/security")
    assert first.status_code == 303
    assert first.headers["location"] == "/staff/sign-in/code?next=/staff/account/security"
    pending_cookie = demo.cookies[COOKIE]
    shut = await demo.get("/staff/")  # nothing else opens before the code
    assert shut.status_code == 303 and shut.headers["location"].startswith("/staff/sign-in")

    wrong = await give_code(demo, "123456" if enrolled_with != "123456" else "654321")
    assert wrong.status_code == 422
    assert field_error(wrong, "code") == "Ce code n'est pas correct."

    replayed = await give_code(demo, enrolled_with)  # the step enrolment used
    assert replayed.status_code == 422
    assert field_error(replayed, "code") == "Ce code a déjà servi. Attendez le suivant."

    clock.advance(timedelta(seconds=totp.STEP_SECONDS))
    fresh = code_now(secret)
    page = await demo.get("/staff/sign-in/code?next=/staff/account/security")
    ok = await demo.post(
        "/staff/sign-in/code",
        data={"code": fresh, "next": "/staff/account/security", "_csrf_token": csrf(page.text)},
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/staff/account/security"
    assert demo.cookies[COOKIE] != pending_cookie  # a new session id once the code is given
    assert (await demo.get("/staff/")).status_code == 200

    await sign_out(demo)
    await sign_in(demo, SECRETARY)
    again = await give_code(demo, fresh)  # the same code, in the same time step
    assert field_error(again, "code") == "Ce code a déjà servi. Attendez le suivant."
    older = await give_code(demo, enrolled_with)
    assert older.status_code == 422

    outcomes = [(e.outcome, e.method) for e in recorded.of(StaffSignIn) if e.method != "password"]
    assert outcomes.count((SignInOutcome.FAILED, "code")) == 4  # wrong, replayed x3
    assert (SignInOutcome.SIGNED_IN, "code") in outcomes
    assert all(recorded.in_transaction)


async def test_a_recovery_code_signs_in_once(recorded, demo):
    await signed_in(demo, ADMIN)
    _secret, codes = await enrol(demo)
    await sign_out(demo)
    await sign_in(demo, ADMIN)
    used = await give_code(demo, codes[3].upper())  # typed in capitals: still the code
    assert used.status_code == 303
    assert len(totp.stored_digests((await account(ADMIN))["recovery_codes"])) == 9
    assert "9 codes de récupération restants." in text(await demo.get("/staff/account/security"))
    await sign_out(demo)
    await sign_in(demo, ADMIN)
    twice = await give_code(demo, codes[3])
    assert twice.status_code == 422
    assert field_error(twice, "code") == "Ce code n'est pas correct."
    methods = [e.method for e in recorded.of(StaffSignIn) if e.outcome is SignInOutcome.SIGNED_IN]
    assert "recovery_code" in methods


async def test_wrong_codes_count_toward_the_lockout(demo):
    await signed_in(demo, ADMIN)
    secret, _codes = await enrol(demo)
    await sign_out(demo)
    await sign_in(demo, ADMIN)
    clock.advance(timedelta(seconds=totp.STEP_SECONDS))
    for _ in range(5):
        assert (await give_code(demo, "000000")).status_code == 422
    locked = await give_code(demo, code_now(secret))
    assert locked.status_code == 429
    assert field_error(locked, "code") == "Trop de tentatives. Réessayez dans 15 minutes."
    assert (await demo.get("/staff/")).status_code == 303
    await sign_out(demo)
    assert (await sign_in(demo, ADMIN)).status_code == 429  # the password step too


async def test_turning_it_off_needs_a_current_code(recorded, demo):
    await signed_in(demo, SECRETARY)
    secret, _codes = await enrol(demo)
    page = await demo.get("/staff/account/security")
    wrong = await demo.post(
        "/staff/account/security/off", data={"code": "000000", "_csrf_token": csrf(page.text)}
    )
    assert wrong.status_code == 422
    assert field_error(wrong, "off-code") == "Ce code n'est pas correct."
    assert (await account(SECRETARY))["totp_secret"] == secret
    clock.advance(timedelta(seconds=totp.STEP_SECONDS))
    off = await demo.post(
        "/staff/account/security/off",
        data={"code": code_now(secret), "_csrf_token": csrf(page.text)},
    )
    assert off.status_code == 303
    stored = await account(SECRETARY)
    assert stored["totp_secret"] is None and totp.stored_digests(stored["recovery_codes"]) == []
    kinds = [(e.before.two_factor, e.after.two_factor) for e in recorded.of(AccountChanged)]
    assert kinds == [(False, True), (True, False)]


async def test_new_recovery_codes_replace_the_old_ones(demo):
    await signed_in(demo, ADMIN)
    secret, old = await enrol(demo)
    clock.advance(timedelta(seconds=totp.STEP_SECONDS))
    page = await demo.get("/staff/account/security")
    renewed = await demo.post(
        "/staff/account/security/recovery-codes",
        data={"code": code_now(secret), "_csrf_token": csrf(page.text)},
    )
    new = recovery_codes(renewed)
    assert len(new) == 10 and not set(new) & set(old)
    await sign_out(demo)
    await sign_in(demo, ADMIN)
    assert (await give_code(demo, old[0])).status_code == 422
    assert (await give_code(demo, new[0])).status_code == 303


async def test_a_clinic_that_requires_it_makes_an_account_enrol_before_anything_else(
    recorded, demo
):
    await signed_in(demo, ADMIN)
    admin_page = await demo.get("/staff/administration/clinic")
    assert "Exiger l'authentification à deux facteurs pour la clinique" in text(admin_page)
    saved = await demo.post(
        "/staff/administration/clinic/security",
        data={"require_two_factor": "on", "_csrf_token": csrf(admin_page.text)},
    )
    assert saved.status_code == 303
    assert (await Clinic.select(Clinic.require_two_factor).where(Clinic.slug == "demo"))[0][
        "require_two_factor"
    ]
    [setting] = recorded.of(SettingChanged)
    assert (setting.setting, setting.before, setting.after) == (
        "require_two_factor",
        "false",
        "true",
    )
    # The administrator, signed in without a second factor, is sent to enrol at once
    held = await demo.get("/staff/administration/clinic")
    assert held.status_code == 303 and held.headers["location"].startswith("/staff/sign-in")
    assert "Configurer" in text(await demo.get("/staff/sign-in/code"))
    await sign_out(demo)

    first = await sign_in(demo, SECRETARY)
    assert first.headers["location"] == "/staff/sign-in/code"
    assert (await demo.get("/staff/account/security")).status_code == 303  # nothing else opens
    page = await demo.get("/staff/sign-in/code")
    assert "Configurer l'authentification à deux facteurs" in text(page)
    token = secret_token(page.text)
    secret = token.split(".")[0]
    wrong = await demo.post(
        "/staff/sign-in/code/enrol",
        data={"secret": token, "code": "000000", "_csrf_token": csrf(page.text)},
    )
    assert wrong.status_code == 422 and field_error(wrong, "enrol-code")
    assert secret_token(wrong.text) == token
    done = await demo.post(
        "/staff/sign-in/code/enrol",
        data={"secret": token, "code": code_now(secret), "_csrf_token": csrf(page.text)},
    )
    assert done.status_code == 200 and len(recovery_codes(done)) == 10
    assert (await demo.get("/staff/")).status_code == 200
    security = await demo.get("/staff/account/security")
    assert "Désactiver" not in text(security)  # the clinic requires it: no way to turn it off
    methods = [(e.outcome, e.method) for e in recorded.of(StaffSignIn)]
    assert (SignInOutcome.SIGNED_IN, "code") in methods


@pytest.mark.parametrize(
    "path",
    ["/staff/account/security/on", "/staff/sign-in/code", "/staff/administration/clinic/security"],
)
async def test_the_two_factor_forms_refuse_a_post_without_the_csrf_token(demo, path):
    await signed_in(demo, ADMIN)
    response = await demo.post(path, data={"code": "123456", "require_two_factor": "on"})
    assert response.status_code == 403
    assert (await account(ADMIN))["totp_secret"] is None
    assert not (await Clinic.select(Clinic.require_two_factor).where(Clinic.slug == "demo"))[0][
        "require_two_factor"
    ]


async def test_the_security_page_and_the_second_step_speak_english_too(demo):
    await signed_in(demo, ADMIN)
    page = await demo.get("/staff/account/security?lang=en")
    assert "Two-factor authentication" in text(page) and "Turn on two-factor" in text(page)
    token = secret_token(page.text)
    wrong = await demo.post(
        "/staff/account/security/on?lang=en",
        data={"secret": token, "code": "000000", "_csrf_token": csrf(page.text)},
    )
    assert field_error(wrong, "enrol-code") == "This code is not right."


async def test_the_second_step_waits_ten_minutes_then_the_password_is_asked_again(demo):
    await signed_in(demo, ADMIN)
    await enrol(demo)
    await sign_out(demo)
    await sign_in(demo, ADMIN)
    clock.advance(timedelta(minutes=9))
    assert (await demo.get("/staff/sign-in/code")).status_code == 200
    clock.advance(timedelta(minutes=2))
    gone = await demo.get("/staff/sign-in/code")
    assert gone.status_code == 303 and gone.headers["location"] == "/staff/sign-in"
