"""The embeddable widget: a script that puts the site's portal in an iframe sized to
its content. The snippets a clinic copies onto its website are on the administration's
embed page (app/staff/admin_embed.py), no longer on a public page."""

from __future__ import annotations

import json

from litestar import Request, Response, get
from litestar.di import Provide

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
