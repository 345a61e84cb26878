"""The embeddable widget: a script that puts the site's portal in an iframe sized to
its content, and the snippets a clinic copies onto its website."""

from __future__ import annotations

import html
import json

from litestar import Request, Response, get
from litestar.di import Provide

from app.htmx import page_or_fragment
from app.portal.dependencies import portal_site
from app.settings import Settings
from app.urls import clinic_page_url
from tenants.resolution import ClinicRef
from tenants.sites import SiteView

WIDGET_JS = """(function () {
  var script = document.currentScript;
  var src = %(src)s, origin = %(origin)s;
  var frame = document.createElement("iframe");
  frame.src = src;
  frame.title = %(title)s;
  frame.loading = "lazy";
  frame.style.cssText = "width:100%%;min-height:640px;border:0;display:block;";
  frame.setAttribute("allow", "camera; microphone; fullscreen");
  script.parentNode.insertBefore(frame, script.nextSibling);
  window.addEventListener("message", function (event) {
    // Only the portal may resize its frame.
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.type === "clinic-booking:height" && typeof data.height === "number") {
      frame.style.height = Math.max(320, Math.min(data.height, 20000)) + "px";
    }
  });
})();
"""


@get(
    "/{site_slug:str}/widget.js",
    name="portal:widget_js",
    dependencies={"site": Provide(portal_site)},
)
async def widget_js(
    request: Request, settings: Settings, clinic: ClinicRef, site: SiteView
) -> Response:
    body = WIDGET_JS % {
        "src": json.dumps(
            clinic_page_url(request, settings, clinic, "portal:identify", site_slug=site.slug)
        ),
        "origin": json.dumps(settings.clinic_url(clinic.slug)),
        "title": json.dumps(
            site.name_fr if not site.name_en else f"{site.name_fr} / {site.name_en}"
        ),
    }
    return Response(
        body,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@get("/{site_slug:str}/embed", name="portal:embed", dependencies={"site": Provide(portal_site)})
async def embed(
    request: Request, settings: Settings, clinic: ClinicRef, site: SiteView
) -> Response:
    portal = clinic_page_url(request, settings, clinic, "portal:identify", site_slug=site.slug)
    script = clinic_page_url(request, settings, clinic, "portal:widget_js", site_slug=site.slug)
    title = html.escape(site.name_fr)
    return page_or_fragment(
        request,
        "portal/embed.html",
        {
            "site": site,
            "script_snippet": f'<script src="{script}" async></script>',
            "iframe_snippet": (
                f'<iframe src="{portal}" title="{title}" '
                'style="width:100%;min-height:900px;border:0"></iframe>'
            ),
            "portal_url": portal,
        },
    )
