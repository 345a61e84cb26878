"""Two-factor authentication with TOTP (app/staff/totp.py): turning it on, off and renewing
the recovery codes on the account's security page, and the sign-in's second step.

Turning it on takes a first code from the new secret, so nobody is locked out by an app
that did not save it. The second step accepts a code (never the same time step twice,
StaffAccount.totp_last_step) or a recovery code (each once); its failures count toward
the sign-in lockout. When the clinic requires two-factor, an account without it enrols
at the second step, before any other staff page opens. Every change is an AccountChanged,
every answer at the second step a StaffSignIn, emitted inside the write transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from app import clock, db, i18n
from app.client_address import client_address
from app.db import write_transaction
from app.events import Actor, EventBus
from app.form_fields import text_fields
from app.settings import Settings
from app.staff import accounts, lockout, sessions, totp
from app.staff.accounts import StaffUser
from app.staff.events import AccountChange, AccountChanged, SignInOutcome, StaffSignIn
from app.staff.pages import staff_page
from app.staff.sign_in import safe_next, with_session
from app.staff.tables import StaffAccount
from tenants.resolution import ClinicRef

MAX_CODE = 32


class CodeRefused(Exception):
    """The code typed is not a fresh code of the account's app nor an unused recovery code."""


@dataclass(frozen=True)
class Accepted:
    method: str  # "code" or "recovery_code"
    recovery_left: int


# Changes to an account's second factor


async def _account_for_update(clinic_id: int, account_id: int) -> dict:
    query = StaffAccount.select().where(
        (StaffAccount.clinic == clinic_id) & (StaffAccount.id == account_id)
    )
    if db.is_postgres():
        query = query.lock_rows()  # two answers at once: one crosses out a recovery code
    row = await query.first()
    if row is None:
        raise LookupError("no such account")
    return row


async def _changed(bus: EventBus, actor: Actor, before: dict, kind=AccountChange.TWO_FACTOR):
    after = await _account_for_update(before["clinic"], before["id"])
    await bus.emit(
        AccountChanged(
            before["clinic"],
            before["id"],
            actor,
            kind,
            accounts.snapshot(before),
            accounts.snapshot(after),
        )
    )


async def turn_on(
    *, clinic_id: int, account_id: int, secret: str, typed: str, bus: EventBus, actor: Actor
) -> list[str]:
    """Saves the secret once `typed` is one of its codes; returns the new recovery codes."""
    codes = totp.new_recovery_codes()
    async with write_transaction():
        before = await _account_for_update(clinic_id, account_id)
        if before["totp_secret"]:
            raise CodeRefused("already on")
        step = totp.matching_step(secret, typed, last_step=None)
        if step is None:
            raise CodeRefused("not a code of this secret")
        await StaffAccount.update(
            {
                StaffAccount.totp_secret: secret,
                StaffAccount.totp_last_step: step,
                StaffAccount.recovery_codes: json.dumps([totp.recovery_digest(c) for c in codes]),
                StaffAccount.updated_at: clock.now(),
            }
        ).where(StaffAccount.id == account_id)
        await _changed(bus, actor, before)
    return codes


async def check(*, clinic_id: int, account_id: int, typed: str) -> Accepted:
    """Inside the caller's write transaction: accepts a fresh code or an unused recovery
    code and records its use (the time step, or the code crossed out), else CodeRefused."""
    row = await _account_for_update(clinic_id, account_id)
    secret = row["totp_secret"]
    stored = totp.stored_digests(row["recovery_codes"])
    if not secret:
        raise CodeRefused("two-factor is off")
    step = totp.matching_step(secret, typed, last_step=row["totp_last_step"])
    if step is not None:
        # Conditional on the step still being fresh: of two requests with one code, one wins.
        fresh = (StaffAccount.totp_last_step.is_null()) | (StaffAccount.totp_last_step < step)
        won = (
            await StaffAccount.update({StaffAccount.totp_last_step: step})
            .where((StaffAccount.id == account_id) & fresh)
            .returning(StaffAccount.id)
        )
        if won:
            return Accepted("code", len(stored))
        raise CodeRefused("replayed")
    if totp.was_used(secret, typed, last_step=row["totp_last_step"]):
        raise CodeRefused("replayed")
    left = totp.without_used(stored, typed)
    if left is None:
        raise CodeRefused("wrong")
    await StaffAccount.update({StaffAccount.recovery_codes: json.dumps(left)}).where(
        StaffAccount.id == account_id
    )
    return Accepted("recovery_code", len(left))


async def turn_off(
    *, clinic_id: int, account_id: int, typed: str, bus: EventBus, actor: Actor
) -> None:
    async with write_transaction():
        before = await _account_for_update(clinic_id, account_id)
        await check(clinic_id=clinic_id, account_id=account_id, typed=typed)
        await StaffAccount.update(
            {
                StaffAccount.totp_secret: None,
                StaffAccount.totp_last_step: None,
                StaffAccount.recovery_codes: "[]",
            }
        ).where(StaffAccount.id == account_id)
        await _changed(bus, actor, before)


async def renew_recovery_codes(
    *, clinic_id: int, account_id: int, typed: str, bus: EventBus, actor: Actor
) -> list[str]:
    codes = totp.new_recovery_codes()
    async with write_transaction():
        before = await _account_for_update(clinic_id, account_id)
        await check(clinic_id=clinic_id, account_id=account_id, typed=typed)
        await StaffAccount.update(
            {StaffAccount.recovery_codes: json.dumps([totp.recovery_digest(c) for c in codes])}
        ).where(StaffAccount.id == account_id)
        await _changed(bus, actor, before)
    return codes


# Pages


def _code_error(exc: CodeRefused) -> str:
    if str(exc) == "replayed":
        return i18n.gettext("This code was used already. Wait for the next one.")
    return i18n.gettext("This code is not right.")


def _enrolment(settings: Settings, user: StaffUser, clinic: ClinicRef, token: str = "") -> dict:
    found = token and totp.unpack(
        settings.secret_key, token, account_id=user.account_id, clinic_id=user.clinic_id
    )
    secret = found or totp.pending(
        settings.secret_key, account_id=user.account_id, clinic_id=user.clinic_id
    )
    uri = totp.provisioning_uri(secret.secret, email=user.email, clinic_name=clinic.name)
    return {
        "token": secret.token,
        "secret_text": totp.grouped(secret.secret),
        "qr": totp.qr_svg(uri, title=i18n.gettext("QR code for your authenticator app")),
    }


async def _fields(request: Request) -> dict[str, str]:
    data = await text_fields(request)
    data["code"] = data.get("code", "")[:MAX_CODE]
    return data


def _refuse_empty(data: dict) -> dict[str, str]:
    if not totp.normalise_code(data["code"]):
        return {"code": i18n.gettext("Enter the code.")}
    return {}


class AccountSecurity(Controller):
    """The signed-in account's own two-factor settings (under the signed-in router)."""

    path = "/account/security"

    @get("", name="staff:account_security")
    async def page(
        self, request: Request, staff: StaffUser, settings: Settings, clinic: ClinicRef
    ) -> Response:
        return await _security_page(request, staff, settings, clinic)

    @post("/on", name="staff:totp_on")
    async def on(
        self,
        request: Request,
        staff: StaffUser,
        settings: Settings,
        clinic: ClinicRef,
        bus: EventBus,
    ) -> Response:
        data, errors, found = await _enrolment_typed(
            request, settings, account_id=staff.account_id, clinic_id=staff.clinic_id
        )
        if found is None:
            return Redirect(request.app.route_reverse("staff:account_security"), status_code=303)
        if not errors:
            try:
                codes = await turn_on(
                    clinic_id=staff.clinic_id,
                    account_id=staff.account_id,
                    secret=found.secret,
                    typed=data["code"],
                    bus=bus,
                    actor=staff.actor(),
                )
            except CodeRefused as exc:
                errors = {"code": _code_error(exc)}
            else:
                return _recovery_page(request, codes, request.app.route_reverse("staff:home"))
        return await _security_page(
            request, staff, settings, clinic, data, errors, token=found.token, status_code=422
        )

    @post("/off", name="staff:totp_off")
    async def off(
        self,
        request: Request,
        staff: StaffUser,
        settings: Settings,
        clinic: ClinicRef,
        bus: EventBus,
    ) -> Response:
        data = await _fields(request)
        errors = _refuse_empty(data)
        if clinic.require_two_factor:
            errors = {"code": i18n.gettext("Your clinic requires two-factor authentication.")}
        if not errors:
            try:
                await turn_off(
                    clinic_id=staff.clinic_id,
                    account_id=staff.account_id,
                    typed=data["code"],
                    bus=bus,
                    actor=staff.actor(),
                )
            except CodeRefused as exc:
                errors = {"code": _code_error(exc)}
            else:
                return Redirect(
                    request.app.route_reverse("staff:account_security"), status_code=303
                )
        return await _security_page(
            request, staff, settings, clinic, {"off": data}, {"off": errors}, status_code=422
        )

    @post("/recovery-codes", name="staff:recovery_codes")
    async def renew(
        self,
        request: Request,
        staff: StaffUser,
        settings: Settings,
        clinic: ClinicRef,
        bus: EventBus,
    ) -> Response:
        data = await _fields(request)
        errors = _refuse_empty(data)
        if not errors:
            try:
                codes = await renew_recovery_codes(
                    clinic_id=staff.clinic_id,
                    account_id=staff.account_id,
                    typed=data["code"],
                    bus=bus,
                    actor=staff.actor(),
                )
            except CodeRefused as exc:
                errors = {"code": _code_error(exc)}
            else:
                back = request.app.route_reverse("staff:account_security")
                return _recovery_page(request, codes, back)
        return await _security_page(
            request, staff, settings, clinic, {"renew": data}, {"renew": errors}, status_code=422
        )


async def _security_page(
    request: Request,
    staff: StaffUser,
    settings: Settings,
    clinic: ClinicRef,
    values: dict | None = None,
    errors: dict | None = None,
    *,
    token: str = "",
    status_code: int = 200,
) -> Response:
    row = await accounts.by_id(clinic_id=staff.clinic_id, account_id=staff.account_id)
    enabled = bool(row and row["totp_secret"])
    context = {
        "enabled": enabled,
        "required": clinic.require_two_factor,
        "recovery_left": len(totp.stored_digests(row["recovery_codes"])) if row else 0,
        "values": values or {},
        "errors": errors or {},
        "enrol": None if enabled else _enrolment(settings, staff, clinic, token),
        "enrol_action": request.app.route_reverse("staff:totp_on"),
    }
    return staff_page(
        request, "staff/security.html", context, block="security", status_code=status_code
    )


def _recovery_page(request: Request, codes: list[str], onward: str) -> Response:
    """The recovery codes, shown this once; never cached."""
    page = staff_page(
        request,
        "staff/recovery_codes.html",
        {"codes": codes, "onward": onward},
        block="recovery",
    )
    page.headers["Cache-Control"] = "no-store"
    return page


# The sign-in's second step


class SecondFactor(Controller):
    """For a session whose password (or provider) is accepted but whose second factor is
    still to give (StaffSession.second_factor_pending): nothing else opens for it."""

    path = "/staff/sign-in/code"

    @get("", name="staff:second_factor")
    async def form(self, request: Request, settings: Settings, clinic: ClinicRef) -> Response:
        pending = request.scope["state"].get("staff_pending")
        if pending is None:
            return _back_to_sign_in(request)
        return await _second_page(request, settings, clinic, pending, {}, {})

    @post("", name="staff:second_factor_submit")
    async def submit(
        self, request: Request, settings: Settings, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        pending = request.scope["state"].get("staff_pending")
        if pending is None:
            return _back_to_sign_in(request)
        data = await _fields(request)
        errors = _refuse_empty(data)
        if errors:
            return await _second_page(request, settings, clinic, pending, data, errors, 422)
        client = client_address(request, settings.trusted_proxies)
        actor = Actor.staff(pending.account_id, pending.name).at(client)
        if await lockout.locked(clinic_id=clinic.id, email=pending.email, client=client):
            async with write_transaction():
                await _tell(bus, pending, SignInOutcome.LOCKED, "code", actor)
            message = i18n.gettext("Too many attempts. Try again in 15 minutes.")
            return await _second_page(
                request, settings, clinic, pending, data, {"code": message}, 429
            )
        token = request.cookies.get(sessions.COOKIE, "")
        try:
            async with write_transaction():
                accepted = await check(
                    clinic_id=clinic.id, account_id=pending.account_id, typed=data["code"]
                )
                new_token = await sessions.second_factor_given(clinic_id=clinic.id, token=token)
                await _tell(bus, pending, SignInOutcome.SIGNED_IN, accepted.method, actor)
        except LookupError:  # the pending session ended meanwhile (signed out elsewhere)
            return _back_to_sign_in(request)
        except CodeRefused as exc:
            async with write_transaction():
                await lockout.record_failure(
                    clinic_id=clinic.id, email=pending.email, client=client
                )
                await _tell(bus, pending, SignInOutcome.FAILED, "code", actor)
            errors = {"code": _code_error(exc)}
            return await _second_page(request, settings, clinic, pending, data, errors, 422)
        target = safe_next(data.get("next")) or "/staff/"
        return with_session(Redirect(target, status_code=303), new_token, settings)

    @post("/enrol", name="staff:second_factor_enrol")
    async def enrol(
        self, request: Request, settings: Settings, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        """The clinic requires two-factor and this account has none yet: it enrols here."""
        pending = request.scope["state"].get("staff_pending")
        if pending is None:
            return _back_to_sign_in(request)
        data, errors, found = await _enrolment_typed(
            request, settings, account_id=pending.account_id, clinic_id=clinic.id
        )
        if found is None:
            return Redirect(request.app.route_reverse("staff:second_factor"), status_code=303)
        client = client_address(request, settings.trusted_proxies)
        actor = Actor.staff(pending.account_id, pending.name).at(client)
        if not errors:
            token = request.cookies.get(sessions.COOKIE, "")
            try:
                async with write_transaction():
                    codes = await turn_on(
                        clinic_id=clinic.id,
                        account_id=pending.account_id,
                        secret=found.secret,
                        typed=data["code"],
                        bus=bus,
                        actor=actor,
                    )
                    new_token = await sessions.second_factor_given(clinic_id=clinic.id, token=token)
                    await _tell(bus, pending, SignInOutcome.SIGNED_IN, "code", actor)
            except LookupError:  # the pending session ended meanwhile
                return _back_to_sign_in(request)
            except CodeRefused as exc:
                errors = {"code": _code_error(exc)}
            else:
                onward = safe_next(data.get("next")) or "/staff/"
                return with_session(_recovery_page(request, codes, onward), new_token, settings)
        return await _second_page(
            request, settings, clinic, pending, data, errors, 422, token=found.token
        )


async def _enrolment_typed(
    request: Request, settings: Settings, *, account_id: int, clinic_id: int
):
    """An enrolment form as posted: its fields, what is missing, and the secret it carried
    back (None when tampered with, or another account's)."""
    data = await _fields(request)
    found = totp.unpack(
        settings.secret_key, data.get("secret", ""), account_id=account_id, clinic_id=clinic_id
    )
    return data, _refuse_empty(data), found


def _back_to_sign_in(request: Request) -> Response:
    return Redirect(request.app.route_reverse("staff:sign_in"), status_code=303)


async def _tell(bus: EventBus, user: StaffUser, outcome, method: str, actor: Actor) -> None:
    await bus.emit(StaffSignIn(user.clinic_id, user.account_id, user.email, outcome, method, actor))


async def _second_page(
    request: Request,
    settings: Settings,
    clinic: ClinicRef,
    pending: StaffUser,
    values: dict,
    errors: dict,
    status_code: int = 200,
    *,
    token: str = "",
) -> Response:
    row = await accounts.by_id(clinic_id=clinic.id, account_id=pending.account_id)
    enrolling = not (row and row["totp_secret"])
    next_page = values.get("next") or request.query_params.get("next", "")
    context = {
        "values": {**values, "next": safe_next(next_page) or ""},
        "errors": errors,
        "pending": pending,
        "enrol": _enrolment(settings, pending, clinic, token) if enrolling else None,
        "enrol_action": request.app.route_reverse("staff:second_factor_enrol"),
    }
    return staff_page(
        request,
        "staff/second_factor.html",
        context,
        block="second_factor",
        status_code=status_code,
    )
