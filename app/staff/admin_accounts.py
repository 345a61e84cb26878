"""Staff accounts, administrators only: the list, creating an account (an email with a
link to set its password), changing its role and linked practitioner, deactivating it
(its sessions end at once) and resetting its two-factor. Every change is an
AccountChanged with the account before and after, emitted inside the write transaction
(the audit row follows). The clinic always keeps one active administrator."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import clock, i18n
from app.db import write_transaction
from app.events import Actor, EventBus
from app.form_fields import text_fields
from app.numbers import whole_number
from app.scheduling.tables import Practitioner
from app.settings import Settings
from app.staff import accounts, invitation_email, password_invitations
from app.staff.accounts import StaffUser
from app.staff.events import AccountChange, AccountChanged
from app.staff.guards import administrators
from app.staff.pages import staff_page
from app.staff.tables import ROLE_LABELS, StaffAccount, StaffRole, StaffSession
from app.urls import clinic_page_url
from tenants.resolution import ClinicRef

MAX_EMAIL, MAX_NAME = 254, 200


@dataclass(frozen=True)
class AccountForm:
    email: str
    name: str
    role: StaffRole
    practitioner_id: int | None


async def _practitioners(clinic_id: int) -> list[dict]:
    return await (
        Practitioner.select(Practitioner.id, Practitioner.name)
        .where((Practitioner.clinic == clinic_id) & Practitioner.active.eq(True))
        .order_by(Practitioner.name)
    )


async def parse(
    data: dict[str, str], *, clinic_id: int, with_identity: bool
) -> tuple[AccountForm | None, dict[str, str]]:
    """The typed account, or the message for each bad field."""
    errors: dict[str, str] = {}
    email = data.get("email", "").strip().lower()
    name = data.get("name", "").strip()
    if with_identity:
        if not email:
            errors["email"] = i18n.gettext("Enter the email.")
        elif len(email) > MAX_EMAIL or "@" not in email.strip("@") or " " in email:
            errors["email"] = i18n.gettext("Enter an email such as name@example.org.")
        elif await accounts.by_email(clinic_id=clinic_id, email=email):
            errors["email"] = i18n.gettext("An account already has this email.")
        if not name:
            errors["name"] = i18n.gettext("Enter the name.")
        elif len(name) > MAX_NAME:
            errors["name"] = i18n.gettext("This name is too long.")
    try:
        role = StaffRole(data.get("role", ""))
    except ValueError:
        role = None
        errors["role"] = i18n.gettext("Choose a role.")
    practitioner_id = None
    typed = data.get("practitioner", "")
    if typed:
        practitioner_id = whole_number(typed, maximum=2**31 - 1)
        known = {p["id"] for p in await _practitioners(clinic_id)}
        if practitioner_id not in known:
            errors["practitioner"] = i18n.gettext("Choose a practitioner of the list.")
    if role is StaffRole.PRACTITIONER and not typed:
        errors["practitioner"] = i18n.gettext("A practitioner's account needs their practitioner.")
    if errors:
        return None, errors
    return AccountForm(email, name, role, practitioner_id), {}


async def _row(clinic_id: int, account_id: int) -> dict:
    row = await accounts.by_id(clinic_id=clinic_id, account_id=account_id)
    if row is None:
        raise NotFoundException("no such account in this clinic")
    return row


async def _last_administrator(clinic_id: int, row: dict) -> bool:
    """Whether this account is the clinic's only active administrator."""
    if row["role"] != StaffRole.ADMINISTRATOR or not row["active"]:
        return False
    others = await StaffAccount.count().where(
        (StaffAccount.clinic == clinic_id)
        & (StaffAccount.role == StaffRole.ADMINISTRATOR.value)
        & StaffAccount.active.eq(True)
        & (StaffAccount.id != row["id"])
    )
    return others == 0


async def _emit(
    bus: EventBus,
    actor: Actor,
    before: dict | None,
    kind: AccountChange,
    clinic_id: int,
    account_id: int,
) -> None:
    after = await _row(clinic_id, account_id)
    await bus.emit(
        AccountChanged(
            clinic_id,
            account_id,
            actor,
            kind,
            accounts.snapshot(before) if before else None,
            accounts.snapshot(after),
        )
    )


def _hours() -> int:
    return int(password_invitations.LIFETIME.total_seconds() // 3600)


class AccountsAdministration(Controller):
    path = "/administration/accounts"
    guards = [administrators]

    @get("", name="staff:admin_accounts")
    async def list_page(self, request: Request, staff: StaffUser) -> Response:
        return await _list(request, staff)

    @post("", name="staff:admin_account_create")
    async def create(
        self,
        request: Request,
        staff: StaffUser,
        bus: EventBus,
        settings: Settings,
        clinic: ClinicRef,
    ) -> Response:
        data = await text_fields(request)
        form, errors = await parse(data, clinic_id=staff.clinic_id, with_identity=True)
        if form is None:
            return await _list(request, staff, values=data, errors=errors, status_code=422)
        async with write_transaction():
            account_id = await accounts.create(
                clinic_id=staff.clinic_id,
                email=form.email,
                name=form.name,
                role=form.role,
                practitioner_id=form.practitioner_id,
            )
            await _emit(
                bus, staff.actor(), None, AccountChange.CREATED, staff.clinic_id, account_id
            )
            token = await password_invitations.create(
                clinic_id=staff.clinic_id, account_id=account_id, by=staff.account_id
            )
        link = clinic_page_url(request, settings, clinic, "staff:set_password", token=token)
        await invitation_email.send(
            settings=settings,
            clinic_id=staff.clinic_id,
            clinic_name=clinic.name,
            to=form.email,
            name=form.name,
            link=link,
            hours=_hours(),
        )
        return Redirect(
            request.app.route_reverse("staff:admin_accounts") + "?invited=1", status_code=303
        )

    @get("/{account_id:int}", name="staff:admin_account")
    async def edit_page(self, request: Request, staff: StaffUser, account_id: int) -> Response:
        row = await _row(staff.clinic_id, account_id)
        return await _edit(request, staff, row)

    @post("/{account_id:int}", name="staff:admin_account_update")
    async def update(
        self, request: Request, staff: StaffUser, bus: EventBus, account_id: int
    ) -> Response:
        data = await text_fields(request)
        before = await _row(staff.clinic_id, account_id)
        form, errors = await parse(data, clinic_id=staff.clinic_id, with_identity=False)
        if (
            form
            and form.role is not StaffRole.ADMINISTRATOR
            and await _last_administrator(staff.clinic_id, before)
        ):
            form, errors = None, {"role": _last_message()}
        if form is None:
            return await _edit(request, staff, before, values=data, errors=errors, status_code=422)
        async with write_transaction():
            await StaffAccount.update(
                {
                    StaffAccount.role: form.role.value,
                    StaffAccount.practitioner: form.practitioner_id,
                    StaffAccount.updated_at: clock.now(),
                }
            ).where((StaffAccount.clinic == staff.clinic_id) & (StaffAccount.id == account_id))
            await _emit(
                bus, staff.actor(), before, AccountChange.UPDATED, staff.clinic_id, account_id
            )
        return _back(request, account_id, "saved")

    @post("/{account_id:int}/deactivate", name="staff:admin_account_deactivate")
    async def deactivate(
        self, request: Request, staff: StaffUser, bus: EventBus, account_id: int
    ) -> Response:
        before = await _row(staff.clinic_id, account_id)
        if await _last_administrator(staff.clinic_id, before):
            return await _edit(
                request, staff, before, errors={"deactivate": _last_message()}, status_code=422
            )
        async with write_transaction():
            await StaffAccount.update(
                {StaffAccount.active: False, StaffAccount.updated_at: clock.now()}
            ).where((StaffAccount.clinic == staff.clinic_id) & (StaffAccount.id == account_id))
            # Ended with the change, not at the next idle expiry: the next request is refused.
            await StaffSession.delete().where(
                (StaffSession.clinic == staff.clinic_id) & (StaffSession.account == account_id)
            )
            await _emit(
                bus, staff.actor(), before, AccountChange.DEACTIVATED, staff.clinic_id, account_id
            )
        return _back(request, account_id, "deactivated")

    @post("/{account_id:int}/two-factor-reset", name="staff:admin_account_reset_two_factor")
    async def reset_two_factor(
        self, request: Request, staff: StaffUser, bus: EventBus, account_id: int
    ) -> Response:
        before = await _row(staff.clinic_id, account_id)
        async with write_transaction():
            await StaffAccount.update(
                {
                    StaffAccount.totp_secret: None,
                    StaffAccount.totp_last_step: None,
                    StaffAccount.recovery_codes: "[]",
                    StaffAccount.updated_at: clock.now(),
                }
            ).where((StaffAccount.clinic == staff.clinic_id) & (StaffAccount.id == account_id))
            await _emit(
                bus, staff.actor(), before, AccountChange.TWO_FACTOR, staff.clinic_id, account_id
            )
        return _back(request, account_id, "two_factor_reset")


def _last_message() -> str:
    return i18n.gettext(
        "This is the clinic's last administrator: make another account administrator first."
    )


def _back(request: Request, account_id: int, what: str) -> Response:
    return Redirect(
        request.app.route_reverse("staff:admin_account", account_id=account_id) + f"?done={what}",
        status_code=303,
    )


async def _list(
    request: Request,
    staff: StaffUser,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    status_code: int = 200,
) -> Response:
    people = await (
        StaffAccount.select(
            StaffAccount.id,
            StaffAccount.name,
            StaffAccount.email,
            StaffAccount.role,
            StaffAccount.active,
            StaffAccount.totp_secret,
            StaffAccount.password_hash,
            StaffAccount.practitioner.name.as_alias("practitioner_name"),
        )
        .where(StaffAccount.clinic == staff.clinic_id)
        .order_by(StaffAccount.active, ascending=False)
        .order_by(StaffAccount.name)
    )
    context = {
        "people": people,
        "practitioners": await _practitioners(staff.clinic_id),
        "roles": ROLE_LABELS,
        "values": values or {"role": StaffRole.SECRETARY.value},
        "errors": errors or {},
        "invited": request.query_params.get("invited") == "1",
        "hours": _hours(),
    }
    return staff_page(
        request,
        "staff/admin/accounts.html",
        context,
        section="staff:administration",
        block="accounts",
        status_code=status_code,
    )


async def _edit(
    request: Request,
    staff: StaffUser,
    row: dict,
    *,
    values: dict | None = None,
    errors: dict | None = None,
    status_code: int = 200,
) -> Response:
    shown = values or {
        "role": row["role"],
        "practitioner": str(row["practitioner"] or ""),
    }
    context = {
        "account": row,
        "two_factor": bool(row["totp_secret"]),
        "practitioners": await _practitioners(staff.clinic_id),
        "roles": ROLE_LABELS,
        "values": shown,
        "errors": errors or {},
        "done": request.query_params.get("done", ""),
        "is_self": row["id"] == staff.account_id,
    }
    return staff_page(
        request,
        "staff/admin/account.html",
        context,
        section="staff:administration",
        block="account",
        status_code=status_code,
    )
