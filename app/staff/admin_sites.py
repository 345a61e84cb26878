"""The Work sites pages of the administration (administrators only): the list of the
clinic's sites, and one form per site (its portal, slug, names, contact details, patient
messages and options). The portal reads its site on every request, so a saved change is
what the next patient sees.

A changed slug leaves the old one in SiteSlugRedirect: the portal's pages and the widget
under it redirect to the new slug (app/portal/moved.py), so links on the clinic's website
keep working. A slug is unique in its clinic among current and previous slugs alike."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app.db import write_transaction
from app.events import EventBus
from app.form_fields import text_fields
from app.i18n import N_
from app.staff import admin_forms as f
from app.staff.accounts import StaffUser
from app.staff.admin_forms import Field, Invalid, Kind
from app.staff.guards import administrators
from app.staff.pages import staff_page
from tenants.events import SettingChanged
from tenants.resolution import ClinicRef
from tenants.sites import valid_site_slug
from tenants.tables import SiteSlugRedirect, WorkSite


def _slug(raw: str) -> str:
    value = raw.strip().lower()
    if not valid_site_slug(value):
        raise Invalid(
            N_(
                "Lower-case letters, digits and hyphens only (not at either end), "
                "for example centre-ville; some words are reserved."
            )
        )
    return value


def site_fields(country: str) -> tuple[Field, ...]:
    return (
        Field(
            "portal_active",
            N_("Portal active"),
            bool,
            kind=Kind.CHECKBOX,
            hint=N_("Inactive: the portal says so and gives the site's phone number."),
        ),
        Field(
            "slug",
            N_("Portal address"),
            _slug,
            required=True,
            hint=N_("The end of the portal's address. The old address keeps leading here."),
        ),
        Field("name_fr", N_("Name (French)"), f.text(maximum=200, required=True), required=True),
        Field("name_en", N_("Name (English)"), f.text(maximum=200, required=True), required=True),
        Field("address", N_("Address"), f.long_text(maximum=500), kind=Kind.TEXTAREA),
        Field("phone", N_("Phone"), f.phone(country), required=True),
        Field(
            "contact_details",
            N_("Contact details shown at the end of booking"),
            f.long_text(maximum=1000),
            kind=Kind.TEXTAREA,
        ),
        Field(
            "patient_message_fr",
            N_("Patient message (French)"),
            f.long_text(maximum=2000),
            kind=Kind.TEXTAREA,
            hint=N_("Shown with every appointment's details."),
        ),
        Field(
            "patient_message_en",
            N_("Patient message (English)"),
            f.long_text(maximum=2000),
            kind=Kind.TEXTAREA,
        ),
        Field("patient_can_cancel", N_("Patient can cancel"), bool, kind=Kind.CHECKBOX),
        Field("patient_can_check_in", N_("Patient can check in"), bool, kind=Kind.CHECKBOX),
        Field(
            "questionnaire_url",
            N_("Questionnaire address"),
            f.https_url(maximum=500),
            hint=N_("Optional: a form patients fill in before their appointment."),
        ),
    )


async def _site(clinic_id: int, site_id: int, fields: tuple[Field, ...]) -> dict:
    """The site of this clinic, or not found (another clinic's id reads as no site)."""
    row = (
        await WorkSite.select(WorkSite.id, *[getattr(WorkSite, field.name) for field in fields])
        .where((WorkSite.clinic == clinic_id) & (WorkSite.id == site_id))
        .first()
    )
    if row is None:
        raise NotFoundException("no such site in this clinic")
    return row


async def _slug_taken(clinic_id: int, site_id: int, slug: str) -> bool:
    other_site = await WorkSite.exists().where(
        (WorkSite.clinic == clinic_id) & (WorkSite.slug == slug) & (WorkSite.id != site_id)
    )
    other_old = await SiteSlugRedirect.exists().where(
        (SiteSlugRedirect.clinic == clinic_id)
        & (SiteSlugRedirect.old_slug == slug)
        & (SiteSlugRedirect.site != site_id)
    )
    return other_site or other_old


class SitesAdministration(Controller):
    path = "/administration/sites"
    guards = [administrators]

    @get("", name="staff:admin_sites")
    async def index(self, request: Request, staff: StaffUser) -> Response:
        sites = (
            await WorkSite.select(
                WorkSite.id,
                WorkSite.name_fr,
                WorkSite.name_en,
                WorkSite.slug,
                WorkSite.portal_active,
            )
            .where(WorkSite.clinic == staff.clinic_id)
            .order_by(WorkSite.id)
        )
        return staff_page(
            request,
            "staff/admin_sites.html",
            {"sites": sites},
            section="staff:administration",
            block="administration",
        )

    @get("/{site_id:int}", name="staff:admin_site")
    async def form(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, site_id: int
    ) -> Response:
        fields = site_fields(clinic.country)
        row = await _site(staff.clinic_id, site_id, fields)
        return _page(request, row, fields, f.shown(fields, row), {})

    @post("/{site_id:int}", name="staff:admin_site_save")
    async def save(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus, site_id: int
    ) -> Response:
        fields = site_fields(clinic.country)
        data = await text_fields(request)
        async with write_transaction():
            row = await _site(staff.clinic_id, site_id, fields)
            values, typed, errors = f.read_form(fields, data, row)
            if "slug" in values and values["slug"] != row["slug"]:
                if await _slug_taken(staff.clinic_id, site_id, values["slug"]):
                    errors["slug"] = f.Invalid(
                        N_("Another site of the clinic uses or used this address.")
                    ).translated()
            if not errors:
                changed = f.changes(fields, values, row)
                if changed:
                    await WorkSite.update(
                        {getattr(WorkSite, field.name): after for field, _b, after in changed}
                    ).where((WorkSite.id == site_id) & (WorkSite.clinic == staff.clinic_id))
                if values["slug"] != row["slug"]:
                    await _remember_old_slug(staff.clinic_id, site_id, row["slug"], values["slug"])
                for field, before, after in changed:
                    await bus.emit(
                        SettingChanged(
                            staff.clinic_id,
                            staff.actor(),
                            f"site.{site_id}.{field.name}",
                            field.audit_text(before),
                            field.audit_text(after),
                        )
                    )
        if errors:
            return _page(request, row, fields, typed, errors, status_code=422)
        return Redirect(
            request.app.route_reverse("staff:admin_site", site_id=site_id) + "?saved=1",
            status_code=303,
        )


async def _remember_old_slug(clinic_id: int, site_id: int, old: str, new: str) -> None:
    """The old slug redirects to the site; the new one, if it was this site's own old slug,
    is current again and no longer a redirect."""
    await SiteSlugRedirect.delete().where(
        (SiteSlugRedirect.clinic == clinic_id) & (SiteSlugRedirect.old_slug == new)
    )
    await SiteSlugRedirect.insert(SiteSlugRedirect(clinic=clinic_id, site=site_id, old_slug=old))


def _page(
    request: Request,
    row: dict,
    fields: tuple[Field, ...],
    entered: dict,
    problems: dict,
    status_code: int = 200,
) -> Response:
    return staff_page(
        request,
        "staff/admin_site.html",
        {
            "site": row,
            "fields": fields,
            "entered": entered,
            "problems": problems,
            "saved": request.query_params.get("saved") == "1",
        },
        section="staff:administration",
        block="administration",
        status_code=status_code,
    )
