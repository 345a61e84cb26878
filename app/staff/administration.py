"""The clinic's administration, administrators only. For now: whether the clinic requires
two-factor authentication, the single sign-on settings (read only here; edited in the
full administration), and invitations that link an account to the clinic's provider."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import i18n
from app.db import write_transaction
from app.events import EventBus
from app.form_fields import text_fields
from app.numbers import whole_number
from app.settings import Settings
from app.staff import invitations
from app.staff.accounts import StaffUser
from app.staff.guards import administrators
from app.staff.oidc import absolute_url
from app.staff.pages import staff_page
from app.staff.tables import StaffAccount
from tenants.events import SettingChanged
from tenants.resolution import ClinicRef, forget_cache
from tenants.tables import Clinic

REQUIRE_TWO_FACTOR = "require_two_factor"


def _shown(value: bool) -> str:
    return "true" if value else "false"


class Administration(Controller):
    path = "/administration"
    guards = [administrators]

    @get("", name="staff:administration")
    async def page(self, request: Request, staff: StaffUser) -> Response:
        return await _page(request, staff)

    @post("/two-factor", name="staff:administration_two_factor")
    async def two_factor(self, request: Request, staff: StaffUser, bus: EventBus) -> Response:
        data = await text_fields(request)
        wanted = data.get(REQUIRE_TWO_FACTOR) == "on"
        async with write_transaction():
            row = (
                await Clinic.select(Clinic.require_two_factor)
                .where(Clinic.id == staff.clinic_id)
                .first()
            )
            if row["require_two_factor"] != wanted:
                await Clinic.update({Clinic.require_two_factor: wanted}).where(
                    Clinic.id == staff.clinic_id
                )
                await bus.emit(
                    SettingChanged(
                        staff.clinic_id,
                        staff.actor(),
                        REQUIRE_TWO_FACTOR,
                        _shown(row["require_two_factor"]),
                        _shown(wanted),
                    )
                )
        forget_cache()  # this instance at once; others within the host cache's lifetime
        return Redirect(
            request.app.route_reverse("staff:administration") + "?saved=1", status_code=303
        )

    @post("/invitations", name="staff:invite")
    async def invite(
        self, request: Request, staff: StaffUser, settings: Settings, clinic: ClinicRef
    ) -> Response:
        data = await text_fields(request)
        account_id = whole_number(data.get("account", ""), maximum=2**31 - 1)
        account = account_id and (
            await StaffAccount.select(StaffAccount.id, StaffAccount.name, StaffAccount.active)
            .where((StaffAccount.clinic == staff.clinic_id) & (StaffAccount.id == account_id))
            .first()
        )
        if not account or not account["active"]:
            raise NotFoundException("no such account in this clinic")
        if not clinic.oidc_issuer:
            raise NotFoundException("no single sign-on configured")
        token = await invitations.create(
            clinic_id=staff.clinic_id, account_id=account["id"], by=staff.account_id
        )
        path = request.app.route_reverse("staff:oidc_invitation", token=token)
        link = absolute_url(request, settings, path)
        return await _page(request, staff, invitation={"name": account["name"], "link": link})


async def _page(request: Request, staff: StaffUser, invitation: dict | None = None) -> Response:
    clinic = (
        await Clinic.select(
            Clinic.require_two_factor,
            Clinic.oidc_provider_name,
            Clinic.oidc_issuer,
            Clinic.oidc_client_id,
            Clinic.oidc_client_secret,
            Clinic.oidc_email_domains,
            Clinic.oidc_tenant_ids,
            Clinic.oidc_hosted_domains,
        )
        .where(Clinic.id == staff.clinic_id)
        .first()
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
        "settings_row": clinic,
        "secret_set": bool(clinic["oidc_client_secret"]),
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
        "saved": request.query_params.get("saved") == "1",
        "invitation": invitation,
        "invitation_hours": int(invitations.LIFETIME.total_seconds() // 3600),
        "no_value": i18n.gettext("none"),
    }
    return staff_page(
        request,
        "staff/administration.html",
        context,
        section="staff:administration",
        block="administration",
    )
