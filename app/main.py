"""create_app(settings) -> Litestar: the one place that wires things together."""

from __future__ import annotations

import logging

from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.plugins.htmx import HTMXRequest
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app import db
from app.assets import static_router
from app.bearer_paths import redact
from app.disconnects import DisconnectMiddleware
from app.health import healthz
from app.htmx import page_or_fragment
from app.messaging.background import InProcessDispatch
from app.messaging.dispatch import Dispatcher
from app.messaging.outbox_page import dev_outbox
from app.portal.controllers import home
from app.portal.details import AppointmentDetails, AppointmentLinkInvalid
from app.portal.guard import CrossSiteForm, PortalClosed
from app.portal.widget import embed, widget_js
from app.portal.wizard import Wizard
from app.security_headers import security_headers
from app.settings import Settings
from app.templating import make_environment
from tenants.middleware import ClinicMiddleware
from tenants.resolution import ClinicRef

log = logging.getLogger("app")


def current_clinic(request: Request) -> ClinicRef:
    """Routes that take `clinic` get one, or the request ends in a 404 (fail closed)."""
    clinic = request.scope.get("state", {}).get("clinic")
    if clinic is None:
        raise NotFoundException("no clinic on this host")
    return clinic


def error_page(request: Request, exc: Exception) -> Response:
    # The path from the scope: request.url would parse the Host header, which may be
    # what is wrong with this request.
    path = request.scope["path"]
    status = exc.status_code if isinstance(exc, HTTPException) else HTTP_500_INTERNAL_SERVER_ERROR
    if status >= 500:
        log.exception("unhandled error on %s", redact(path), exc_info=exc)
    if path == "/healthz":
        return Response({"error": status}, status_code=status)
    template = {404: "errors/404.html"}.get(status, "errors/error.html")
    return page_or_fragment(request, template, {"status": status}, status_code=status)


def closed_portal(request: Request, exc: PortalClosed) -> Response:
    return page_or_fragment(request, "portal/closed.html", {"site": exc.site})


def invalid_link(request: Request, exc: AppointmentLinkInvalid) -> Response:
    return page_or_fragment(request, "portal/link_invalid.html", status_code=404)


def cross_site_form(request: Request, exc: CrossSiteForm) -> Response:
    return page_or_fragment(request, "portal/cross_site.html", status_code=403)


def create_app(settings: Settings) -> Litestar:
    jinja = make_environment()
    # Without Redis the outbox is delivered from this process (see app/messaging/background.py).
    background = None if settings.redis_url else InProcessDispatch(Dispatcher(settings, jinja))
    app = Litestar(
        route_handlers=[
            home,
            Wizard,
            widget_js,
            embed,
            AppointmentDetails,
            healthz,
            *([dev_outbox] if settings.dev_outbox else []),
            static_router(),
        ],
        request_class=HTMXRequest,
        dependencies={"clinic": Provide(current_clinic, sync_to_thread=False)},
        middleware=[DisconnectMiddleware(), ClinicMiddleware(settings.base_domain)],
        before_send=[security_headers(settings)],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="csrftoken",
            header_name="x-csrftoken",
            cookie_samesite="lax",
            cookie_secure=settings.secure_cookies,
            exclude=["/static", "/healthz"],  # no cookie on assets
        ),
        openapi_config=None,  # an HTML product, not an API; its viewers would load from a CDN
        compression_config=CompressionConfig(backend="gzip", minimum_size=500),
        exception_handlers={
            Exception: error_page,
            PortalClosed: closed_portal,
            AppointmentLinkInvalid: invalid_link,
            CrossSiteForm: cross_site_form,
        },
        on_startup=[db.start, *([background.start] if background else [])],
        on_shutdown=[*([background.stop] if background else []), db.stop],
        debug=settings.debug,
    )
    app.state.settings = settings
    app.state.jinja = jinja
    return app
