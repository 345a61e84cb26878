"""The page an invited staff member opens from their email to choose a password: the
link's token must be unused, unexpired and of this clinic (else a 404 page); the password
is hashed with argon2 (app.staff.passwords) and must be MIN_LENGTH long. Setting it uses
the link up and ends any session the account had; the invitee then signs in."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import clock, i18n
from app.db import write_transaction
from app.events import Actor, EventBus
from app.form_fields import text_fields
from app.staff import accounts, password_invitations
from app.staff.events import AccountChange, AccountChanged
from app.staff.pages import staff_page
from app.staff.passwords import MIN_LENGTH, hash_password
from app.staff.tables import StaffAccount, StaffSession
from tenants.resolution import ClinicRef

MAX_LENGTH = 1024  # argon2 takes any length; this bounds the work one request asks for


def check(data: dict[str, str]) -> tuple[str | None, dict[str, str]]:
    password, again = data.get("password", ""), data.get("password_again", "")
    if len(password) < MIN_LENGTH:
        return None, {
            "password": i18n.gettext(
                "Choose a password of at least %(count)d characters.", count=MIN_LENGTH
            )
        }
    if len(password) > MAX_LENGTH:
        return None, {"password": i18n.gettext("This password is too long.")}
    if password != again:
        return None, {"password_again": i18n.gettext("The two passwords differ.")}
    return password, {}


class SetPassword(Controller):
    path = "/staff/set-password"

    @get("/{token:str}", name="staff:set_password")
    async def page(self, request: Request, clinic: ClinicRef, token: str) -> Response:
        account_id = await password_invitations.account_of(clinic_id=clinic.id, token=token)
        if account_id is None:
            raise NotFoundException("no such invitation")
        row = await accounts.by_id(clinic_id=clinic.id, account_id=account_id)
        return _page(request, token, row)

    @post("/{token:str}", name="staff:set_password_submit")
    async def submit(
        self, request: Request, clinic: ClinicRef, bus: EventBus, token: str
    ) -> Response:
        account_id = await password_invitations.account_of(clinic_id=clinic.id, token=token)
        if account_id is None:
            raise NotFoundException("no such invitation")
        before = await accounts.by_id(clinic_id=clinic.id, account_id=account_id)
        password, errors = check(await text_fields(request))
        if password is None:
            return _page(request, token, before, errors=errors, status_code=422)
        hashed = hash_password(password)  # before the transaction: argon2 takes its time
        async with write_transaction():
            if await password_invitations.use(clinic_id=clinic.id, token=token) is None:
                raise NotFoundException("the invitation was used meanwhile")
            await StaffAccount.update(
                {StaffAccount.password_hash: hashed, StaffAccount.updated_at: clock.now()}
            ).where((StaffAccount.clinic == clinic.id) & (StaffAccount.id == account_id))
            await StaffSession.delete().where(
                (StaffSession.clinic == clinic.id) & (StaffSession.account == account_id)
            )
            after = await accounts.by_id(clinic_id=clinic.id, account_id=account_id)
            await bus.emit(
                AccountChanged(
                    clinic.id,
                    account_id,
                    Actor.staff(account_id, before["name"]),
                    AccountChange.UPDATED,
                    accounts.snapshot(before),
                    accounts.snapshot(after),
                )
            )
        return Redirect(
            request.app.route_reverse("staff:sign_in") + "?password_set=1", status_code=303
        )


def _page(
    request: Request, token: str, row: dict, *, errors: dict | None = None, status_code: int = 200
) -> Response:
    return staff_page(
        request,
        "staff/admin/set_password.html",
        {"token": token, "account": row, "errors": errors or {}, "min_length": MIN_LENGTH},
        block="set_password",
        status_code=status_code,
    )
