"""Signing in to the staff area with a clinic account: email and password, then the second
factor when the account has one or the clinic requires it (app/staff/two_factor.py).

One message for every failure, whether or not the email names an account; the password is
checked against a dummy hash when it does not, so the answer takes as long. Five failures
lock the account and the client out for 15 minutes (app/staff/lockout.py)."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from app import i18n
from app.client_address import client_address
from app.db import write_transaction
from app.events import Actor, EventBus
from app.form_fields import text_fields
from app.settings import Settings
from app.staff import accounts, lockout, sessions
from app.staff.events import SignInOutcome, StaffSignIn
from app.staff.pages import staff_page
from app.staff.passwords import verify_password
from tenants.resolution import ClinicRef

MAX_EMAIL = 254
MAX_PASSWORD = 1024  # argon2 takes any length: a bound keeps a request from burning CPU


def safe_next(target: str | None) -> str | None:
    """Where to go after signing in: a page of the staff area of this host, never elsewhere."""
    if (
        target
        and (target == "/staff" or target.startswith("/staff/"))
        and "//" not in target
        and "\\" not in target
    ):
        return target
    return None


@dataclass(frozen=True)
class SignInForm:
    email: str
    password: str


def parse_sign_in(data: dict[str, str]) -> tuple[SignInForm | None, dict[str, str]]:
    errors: dict[str, str] = {}
    email = data.get("email", "").strip().lower()
    password = data.get("password", "")
    if not email:
        errors["email"] = i18n.gettext("Enter your email.")
    elif len(email) > MAX_EMAIL:
        errors["email"] = i18n.gettext("This email is too long.")
    if not password:
        errors["password"] = i18n.gettext("Enter your password.")
    elif len(password) > MAX_PASSWORD:
        errors["password"] = i18n.gettext("This password is too long.")
    return (None, errors) if errors else (SignInForm(email, password), {})


def with_session(response: Response, token: str, settings: Settings) -> Response:
    """The session cookie: this host only (no Domain), not readable by scripts, not sent
    by cross-site requests, Secure under https, limited to the staff area."""
    response.set_cookie(
        sessions.COOKIE,
        token,
        path="/staff",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


class SignIn(Controller):
    path = "/staff"

    @get("/sign-in", name="staff:sign_in")
    async def form(self, request: Request, clinic: ClinicRef) -> Response:
        if request.scope["state"].get("staff"):
            return Redirect(
                safe_next(request.query_params.get("next")) or "/staff/", status_code=303
            )
        if request.scope["state"].get("staff_pending"):  # the password given, the code not
            return Redirect(request.app.route_reverse("staff:second_factor"), status_code=303)
        return _page(request, clinic, {"next": request.query_params.get("next", "")}, {})

    @post("/sign-in", name="staff:sign_in_submit")
    async def submit(
        self, request: Request, settings: Settings, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        data = await text_fields(request)
        form, errors = parse_sign_in(data)
        if form is None:
            return _page(request, clinic, data, errors, status_code=422)
        client = client_address(request, settings.trusted_proxies)
        system = Actor.system("sign-in").at(client)
        if await lockout.locked(clinic_id=clinic.id, email=form.email, client=client):
            async with write_transaction():
                await _tell(bus, clinic, None, form.email, SignInOutcome.LOCKED, system)
            message = i18n.gettext("Too many attempts. Try again in 15 minutes.")
            return _page(request, clinic, data, {"form": message}, status_code=429)
        account = await accounts.by_email(clinic_id=clinic.id, email=form.email)
        usable = account is not None and account["active"]
        if not verify_password(account["password_hash"] if usable else None, form.password):
            async with write_transaction():
                await lockout.record_failure(clinic_id=clinic.id, email=form.email, client=client)
                await _tell(
                    bus,
                    clinic,
                    account["id"] if account else None,
                    form.email,
                    SignInOutcome.FAILED,
                    system,
                )
            message = i18n.gettext("The email or the password is not right.")
            return _page(request, clinic, data, {"form": message}, status_code=422)
        return await signed_in(
            request,
            settings,
            clinic,
            bus,
            account,
            client=client,
            method="password",
            next_page=safe_next(data.get("next")),
        )

    @post("/sign-out", name="staff:sign_out")
    async def sign_out(self, request: Request, clinic: ClinicRef, bus: EventBus) -> Response:
        staff = request.scope["state"].get("staff") or request.scope["state"].get("staff_pending")
        token = request.cookies.get(sessions.COOKIE, "")
        async with write_transaction():
            await sessions.end(clinic_id=clinic.id, token=token)
            if staff:
                await _tell(
                    bus,
                    clinic,
                    staff.account_id,
                    staff.email,
                    SignInOutcome.SIGNED_OUT,
                    staff.actor(),
                )
        response = Redirect(request.app.route_reverse("staff:sign_in"), status_code=303)
        response.delete_cookie(sessions.COOKIE, path="/staff")
        return response


async def signed_in(
    request: Request,
    settings: Settings,
    clinic: ClinicRef,
    bus: EventBus,
    account: dict,
    *,
    client: str,
    method: str,
    next_page: str | None,
) -> Response:
    """The first factor is given: a new session (never the one the browser came with), then
    the second factor if the account or the clinic needs one, else the staff area."""
    needs_code = bool(account["totp_secret"]) or clinic.require_two_factor
    async with write_transaction():
        old = request.cookies.get(sessions.COOKIE)
        if old:
            await sessions.end(clinic_id=clinic.id, token=old)
        token = await sessions.start(
            clinic_id=clinic.id,
            account_id=account["id"],
            client=client,
            second_factor_pending=needs_code,
        )
        if not needs_code:
            actor = Actor.staff(account["id"], account["name"]).at(client)
            await _tell(
                bus, clinic, account["id"], account["email"], SignInOutcome.SIGNED_IN, actor, method
            )
    if needs_code:
        target = request.app.route_reverse("staff:second_factor")
        target += f"?next={next_page}" if next_page else ""
    else:
        target = next_page or "/staff/"
    return with_session(Redirect(target, status_code=303), token, settings)


async def _tell(bus, clinic, account_id, email, outcome, actor, method="password") -> None:
    await bus.emit(StaffSignIn(clinic.id, account_id, email, outcome, method, actor))


def _page(
    request: Request, clinic: ClinicRef, values: dict, errors: dict, status_code: int = 200
) -> Response:
    provider = clinic.oidc_provider_name if clinic.oidc_issuer else ""
    return staff_page(
        request,
        "staff/sign_in.html",
        {"values": values, "errors": errors, "provider": provider},
        block="sign_in",
        status_code=status_code,
    )
