"""The Clinic page of the administration (administrators only): the clinic's own settings
in sections, each its own form (so a refusal in one keeps the others as stored), the
single sign-on settings (the client secret write-only), and who is linked to the
provider (an invitation links an account; unlinking is immediate).

A saved change commits with its audit rows (one SettingChanged per changed field); once
committed, the host → clinic cache is forgotten on every instance (app/tenancy_sync.py),
so the portal follows at once."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import clock, i18n
from app.db import write_transaction
from app.events import EventBus
from app.form_fields import text_fields
from app.i18n import N_
from app.numbers import MAX_ID, whole_number
from app.settings import Settings
from app.staff import accounts, invitations
from app.staff import admin_forms as f
from app.staff.accounts import StaffUser
from app.staff.admin_forms import Field, Kind
from app.staff.events import AccountChange, AccountChanged
from app.staff.guards import administrators
from app.staff.oidc import absolute_url
from app.staff.pages import staff_page
from app.staff.tables import StaffAccount
from tenants.events import SettingChanged
from tenants.resolution import ClinicRef
from tenants.tables import Clinic

LANGUAGES = (("fr", N_("French")), ("en", N_("English")))
SECTIONS = ("clinic", "messages", "embedding", "security", "sso")


def _issuer(raw: str) -> str:
    """https, or plain http on this machine only (a provider under test)."""
    value = raw.strip()
    if value.startswith(("http://127.0.0.1", "http://localhost")):
        return f.text(maximum=300)(value)
    return f.https_url(maximum=300)(value)


def sections(country: str) -> dict[str, tuple[str, tuple[Field, ...]]]:
    """Each section's title (msgid) and fields, in the page's order."""
    return {
        "clinic": (
            N_("Clinic"),
            (
                Field("name", N_("Name"), f.text(maximum=200, required=True), required=True),
                Field(
                    "phone",
                    N_("Phone"),
                    f.phone(country),
                    kind=Kind.TEXT,
                    required=True,
                    hint=N_("Shown to patients when they cannot book online."),
                ),
                Field(
                    "time_zone",
                    N_("Time zone"),
                    f.time_zone,
                    required=True,
                    hint=N_("For example America/Montreal or Europe/Paris."),
                ),
                Field(
                    "default_language",
                    N_("Default language"),
                    f.choice(tuple(code for code, _ in LANGUAGES)),
                    kind=Kind.SELECT,
                    choices=LANGUAGES,
                    required=True,
                ),
                Field(
                    "min_booking_notice_minutes",
                    N_("Minimum booking notice (minutes)"),
                    f.number(minimum=0, maximum=43200),
                    kind=Kind.NUMBER,
                    required=True,
                    hint=N_("Patients cannot book a slot that starts sooner than this."),
                ),
            ),
        ),
        "messages": (
            N_("Messages to patients"),
            (
                Field("notify_by_email", N_("Send messages by email"), bool, kind=Kind.CHECKBOX),
                Field("notify_by_sms", N_("Send messages by SMS"), bool, kind=Kind.CHECKBOX),
                Field(
                    "sms_price_cents",
                    N_("Price of one SMS segment (cents)"),
                    f.number(minimum=0, maximum=1000),
                    kind=Kind.NUMBER,
                    required=True,
                ),
                Field(
                    "quiet_hours_start",
                    N_("Quiet hours start"),
                    f.time_of_day,
                    kind=Kind.TIME,
                    required=True,
                    show=f.show_time,
                    hint=N_("Reminders wait until the end of the quiet hours (clinic time)."),
                ),
                Field(
                    "quiet_hours_end",
                    N_("Quiet hours end"),
                    f.time_of_day,
                    kind=Kind.TIME,
                    required=True,
                    show=f.show_time,
                ),
            ),
        ),
        "embedding": (
            N_("Websites that may embed the portal"),
            (
                Field(
                    "embed_origins",
                    N_("Websites"),
                    f.origins,
                    kind=Kind.TEXTAREA,
                    hint=N_("One per line, for example https://www.example.ca"),
                    show=lambda value: "\n".join(value.split()),
                ),
            ),
        ),
        "security": (
            N_("Sign-in security"),
            (
                Field(
                    "require_two_factor",
                    N_("Require two-factor authentication for the clinic"),
                    bool,
                    kind=Kind.CHECKBOX,
                    hint=N_("Every account without it sets it up at its next sign-in."),
                ),
            ),
        ),
        "sso": (
            N_("Single sign-on"),
            (
                Field(
                    "oidc_provider_name",
                    N_("Provider"),
                    f.text(maximum=100),
                    hint=N_('Shown on the sign-in page: "Sign in with …".'),
                ),
                Field(
                    "oidc_issuer",
                    N_("Issuer"),
                    _issuer,
                    hint=N_("Blank: no single sign-on, staff sign in with their password."),
                ),
                Field("oidc_client_id", N_("Client ID"), f.text(maximum=300)),
                Field(
                    "oidc_client_secret",
                    N_("Client secret"),
                    f.text(maximum=2000),
                    kind=Kind.SECRET,
                    hint=N_("Never shown again. Leave blank to keep the current one."),
                ),
                Field(
                    "oidc_email_domains",
                    N_("Email domains that may link"),
                    f.words(pattern=f.DOMAIN),
                    hint=N_("Space-separated, for example clinique.ca"),
                ),
                Field(
                    "oidc_tenant_ids",
                    N_("Microsoft Entra tenant IDs"),
                    f.words(pattern=f.UUID),
                    hint=N_("Space-separated tenant IDs (tid)."),
                ),
                Field(
                    "oidc_hosted_domains",
                    N_("Google Workspace domains"),
                    f.words(pattern=f.DOMAIN),
                    hint=N_("Space-separated hd values."),
                ),
            ),
        ),
    }


def _all_fields(country: str) -> tuple[Field, ...]:
    return tuple(field for _title, fields in sections(country).values() for field in fields)


async def _stored(clinic_id: int, fields: tuple[Field, ...]) -> dict:
    return (
        await Clinic.select(*[getattr(Clinic, field.name) for field in fields])
        .where(Clinic.id == clinic_id)
        .first()
    )


class ClinicAdministration(Controller):
    path = "/administration"
    guards = [administrators]

    @get("/clinic", name="staff:admin_clinic")
    async def page(self, request: Request, staff: StaffUser, clinic: ClinicRef) -> Response:
        return await _page(request, staff, clinic)

    # One static path per section (a section is no id: nothing for another clinic to guess).
    @post([f"/clinic/{name}" for name in SECTIONS], name="staff:admin_clinic_save")
    async def save(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        section = request.scope["path"].rstrip("/").rsplit("/", 1)[-1]
        fields = sections(clinic.country)[section][1]
        data = await text_fields(request)
        async with write_transaction():
            stored = await _stored(staff.clinic_id, fields)
            values, typed, errors = f.read_form(fields, data, stored)
            if errors:
                refused = (section, typed, errors)
            else:
                refused = None
                changed = f.changes(fields, values, stored)
                if changed:
                    await Clinic.update(
                        {getattr(Clinic, field.name): after for field, _b, after in changed}
                    ).where(Clinic.id == staff.clinic_id)
                for field, before, after in changed:
                    await bus.emit(
                        SettingChanged(
                            staff.clinic_id,
                            staff.actor(),
                            field.name,
                            field.audit_text(before),
                            field.audit_text(after),
                        )
                    )
        if refused:
            return await _page(request, staff, clinic, refused=refused, status_code=422)
        return Redirect(
            request.app.route_reverse("staff:admin_clinic") + f"?saved={section}#{section}",
            status_code=303,
        )

    @post("/invitations", name="staff:invite")
    async def invite(
        self, request: Request, staff: StaffUser, settings: Settings, clinic: ClinicRef
    ) -> Response:
        account = await _account(request, staff)
        if not clinic.oidc_issuer:
            raise NotFoundException("no single sign-on configured")
        token = await invitations.create(
            clinic_id=staff.clinic_id, account_id=account["id"], by=staff.account_id
        )
        path = request.app.route_reverse("staff:oidc_invitation", token=token)
        link = absolute_url(request, settings, path)
        return await _page(
            request, staff, clinic, invitation={"name": account["name"], "link": link}
        )

    @post("/clinic/unlink", name="staff:admin_unlink")
    async def unlink(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        """The account no longer signs in through the provider (its password still works);
        a new invitation links it again, to whichever subject answers it."""
        account = await _account(request, staff)
        async with write_transaction():
            done = (
                await StaffAccount.update(
                    {
                        StaffAccount.oidc_issuer: None,
                        StaffAccount.oidc_subject: None,
                        StaffAccount.updated_at: clock.now(),
                    }
                )
                .where(
                    (StaffAccount.id == account["id"])
                    & (StaffAccount.clinic == staff.clinic_id)
                    & StaffAccount.oidc_subject.is_not_null()
                )
                .returning(StaffAccount.id)
            )
            if done:
                after = await accounts.by_id(clinic_id=staff.clinic_id, account_id=account["id"])
                await bus.emit(
                    AccountChanged(
                        staff.clinic_id,
                        account["id"],
                        staff.actor(),
                        AccountChange.UNLINKED,
                        accounts.snapshot(account),
                        accounts.snapshot(after),
                    )
                )
        return Redirect(
            request.app.route_reverse("staff:admin_clinic") + "?saved=accounts#accounts",
            status_code=303,
        )


async def _account(request: Request, staff: StaffUser) -> dict:
    """The active account of this clinic the form names; anything else is not found."""
    data = await text_fields(request)
    account_id = whole_number(data.get("account", ""), maximum=MAX_ID)
    account = account_id and await accounts.by_id(clinic_id=staff.clinic_id, account_id=account_id)
    if not account or not account["active"]:
        raise NotFoundException("no such account in this clinic")
    return account


async def _page(
    request: Request,
    staff: StaffUser,
    clinic: ClinicRef,
    *,
    refused: tuple[str, dict, dict] | None = None,
    invitation: dict | None = None,
    status_code: int = 200,
) -> Response:
    known = sections(clinic.country)
    stored = await _stored(staff.clinic_id, _all_fields(clinic.country))
    forms = []
    for name, (title, fields) in known.items():
        values, errors = f.shown(fields, stored), {}
        if refused and refused[0] == name:
            values, errors = refused[1], refused[2]
        forms.append(
            {"name": name, "title": title, "fields": fields, "entered": values, "problems": errors}
        )
    people = (
        await StaffAccount.select(
            StaffAccount.id,
            StaffAccount.name,
            StaffAccount.email,
            StaffAccount.oidc_subject,
            StaffAccount.totp_secret,
        )
        .where((StaffAccount.clinic == staff.clinic_id) & (StaffAccount.active.eq(True)))
        .order_by(StaffAccount.name)
    )
    context = {
        "forms": forms,
        "secret_set": bool(stored["oidc_client_secret"]),
        "sso_configured": bool(stored["oidc_issuer"]),
        "people": [
            {
                "id": p["id"],
                "name": p["name"],
                "email": p["email"],
                "linked": bool(p["oidc_subject"]),
                "two_factor": bool(p["totp_secret"]),
            }
            for p in people
        ],
        "saved": request.query_params.get("saved"),
        "invitation": invitation,
        "invitation_hours": int(invitations.LIFETIME.total_seconds() // 3600),
        "gettext": i18n.gettext,
    }
    return staff_page(
        request,
        "staff/admin_clinic.html",
        context,
        section="staff:administration",
        block="administration",
        status_code=status_code,
    )
