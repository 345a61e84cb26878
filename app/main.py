"""create_app(settings) -> Litestar: the one place that wires things together."""

from __future__ import annotations

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.plugins.htmx import HTMXRequest

from app import db
from app.assets import static_router
from app.disconnects import DisconnectMiddleware
from app.errors import error_page
from app.health import healthz
from app.in_process_jobs import InProcessDispatch
from app.listeners import make_bus
from app.messaging.dispatch import Dispatcher
from app.messaging.outbox_page import dev_outbox
from app.portal.routes import router as portal
from app.providers import dependencies
from app.security_headers import security_headers
from app.settings import Settings
from app.staff.middleware import StaffSessionMiddleware
from app.staff.routes import router as staff
from app.templating import make_environment
from tenants.middleware import ClinicMiddleware


def create_app(settings: Settings) -> Litestar:
    db.configure(settings.database)
    jinja = make_environment()
    bus = make_bus()
    # Without Redis the outbox is delivered from this process (see app/in_process_jobs.py).
    background = None if settings.redis_url else InProcessDispatch(Dispatcher(settings, jinja))
    app = Litestar(
        route_handlers=[
            portal,
            staff,
            healthz,
            *([dev_outbox] if settings.dev_outbox else []),
            static_router(),
        ],
        request_class=HTMXRequest,
        dependencies=dependencies(settings, bus),
        middleware=[
            DisconnectMiddleware(),
            ClinicMiddleware(settings.base_domain),
            StaffSessionMiddleware(settings),
        ],
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
        exception_handlers={Exception: error_page},
        on_startup=[db.start, *([background.start] if background else [])],
        on_shutdown=[*([background.stop] if background else []), db.stop],
        debug=settings.debug,
    )
    # Read by the page helpers (app.htmx, app.urls); handlers take `settings` by injection.
    app.state.settings = settings
    app.state.jinja = jinja
    return app
