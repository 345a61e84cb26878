"""The embed snippets, administrators only (moved here from the public `/{site}/embed`
page): for each work site the widget's script tag and a plain iframe, with their absolute
addresses built by app.urls.clinic_page_url (from the settings, never the Host header),
a copy button and a live preview of the portal."""

from __future__ import annotations

import html
from dataclasses import dataclass

from litestar import Controller, Request, Response, get

from app.settings import Settings
from app.staff.accounts import StaffUser
from app.staff.guards import administrators
from app.staff.pages import staff_page
from app.urls import clinic_page_url
from tenants.resolution import ClinicRef
from tenants.sites import SiteView, list_sites


@dataclass(frozen=True)
class Snippets:
    site: SiteView
    portal_url: str
    script: str
    iframe: str


def snippets_of(
    request: Request, settings: Settings, clinic: ClinicRef, site: SiteView
) -> Snippets:
    portal = clinic_page_url(request, settings, clinic, "portal:identify", site_slug=site.slug)
    script = clinic_page_url(request, settings, clinic, "portal:widget_js", site_slug=site.slug)
    title = html.escape(site.name_fr)
    return Snippets(
        site=site,
        portal_url=portal,
        script=f'<script src="{script}" async></script>',
        iframe=(
            f'<iframe src="{portal}" title="{title}" '
            'style="width:100%;min-height:900px;border:0"></iframe>'
        ),
    )


class EmbedAdministration(Controller):
    path = "/administration/embed"
    guards = [administrators]

    @get("", name="staff:admin_embed")
    async def page(
        self, request: Request, staff: StaffUser, settings: Settings, clinic: ClinicRef
    ) -> Response:
        sites = await list_sites(clinic_id=staff.clinic_id)
        return staff_page(
            request,
            "staff/admin/embed.html",
            {
                "sites": [snippets_of(request, settings, clinic, site) for site in sites],
                "embed_origins": clinic.embed_origins,
            },
            section="staff:administration",
            block="embed",
        )
