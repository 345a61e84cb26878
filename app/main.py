"""create_app(settings) -> Litestar: the one place that wires things together."""

from __future__ import annotations

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.plugins.htmx import HTMXRequest

from app import db, handler_calls
from app.assets import static_router
from app.disconnects import DisconnectMiddleware
from app.errors import error_page
from app.health import healthz
from app.in_process_jobs import InProcessDispatch
from app.listeners import make_bus
from app.live.channels import make_channels
from app.live.notifier import AgendaNotifier
from app.live.stream import LiveStreams
from app.messaging.dispatch import Dispatcher
from app.messaging.outbox_page import dev_outbox
from app.messaging.sms_webhook import sms_inbound
from app.metrics import http_metrics
from app.metrics_route import metrics
from app.path_ids import ids_in_range
from app.platforms.webhook import platform_webhook
from app.portal.moved import SiteMoved, to_current_slug
from app.portal.routes import router as portal
from app.providers import dependencies
from app.request_log import RequestLog
from app.reverse_routes import App
from app.security_headers import security_headers
from app.settings import Settings
from app.staff.middleware import StaffSessionMiddleware
from app.staff.routes import router as staff
from app.templating import make_environment
from app.tenancy_sync import TenancySync
from tenants.middleware import ClinicMiddleware


def create_app(settings: Settings) -> Litestar:
    handler_calls.install()
    db.configure(settings.database)
    jinja = make_environment()
    # Open agendas: memory channels on the embedded default, Redis pub/sub with REDIS_URL.
    channels = make_channels(settings.redis_url)
    live_streams = LiveStreams()
    tenancy = TenancySync(channels)  # a setting changed here is in force on every instance
    bus = make_bus(live=AgendaNotifier(channels), tenancy=tenancy)
    # Without Redis the outbox is delivered from this process (see app/in_process_jobs.py).
    background = None if settings.redis_url else InProcessDispatch(Dispatcher(settings, jinja))
    app = App(
        route_handlers=[
            portal,
            staff,
            healthz,
            metrics,
            platform_webhook,
            sms_inbound,
            *([dev_outbox] if settings.dev_outbox else []),
            static_router(),
        ],
        request_class=HTMXRequest,
        guards=[ids_in_range],  # an id no row can have is 404, before any handler
        plugins=[channels],
        dependencies=dependencies(settings, bus),
        middleware=[
            http_metrics.middleware,  # requests and latency per route (app.metrics)
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
            cookie_httponly=True,  # pages carry the token themselves; no script reads it
            exclude=["/static", "/healthz", "/platforms/"],  # no cookie on assets; signed webhooks
        ),
        openapi_config=None,  # an HTML product, not an API; its viewers would load from a CDN
        compression_config=CompressionConfig(
            backend="gzip",
            minimum_size=500,
            # zlib's own default: level 9 (Litestar's) costs more CPU for a page or a
            # fragment of a few kilobytes, and saves them a few bytes at most.
            gzip_compress_level=6,
            exclude=["/staff/live"],  # a stream, sent as it goes
        ),
        exception_handlers={SiteMoved: to_current_slug, Exception: error_page},
        on_startup=[
            db.start,
            live_streams.reset,
            tenancy.start,
            *([background.start] if background else []),
        ],
        on_shutdown=[
            live_streams.stop,
            tenancy.stop,
            *([background.stop] if background else []),
            db.stop,
        ],
        debug=settings.debug,
    )
    # Outside routing, so that a request no route matches has its log line too.
    app.asgi_handler = RequestLog(app.asgi_handler)
    # Read by the page helpers (app.htmx, app.urls); handlers take `settings` by injection.
    app.state.settings = settings
    app.state.jinja = jinja
    app.state.bus = bus  # the tests make changes through the app's own listeners
    app.state.tenancy = tenancy
    app.state.live_streams = live_streams  # ended by the server's exit signal (app.live.server)
    return app
