"""Prometheus metrics: requests and latency per route (Litestar's Prometheus plugin,
labelled by the route's template, not the path, so tokens and ids make no new series),
and the app's own: slot holds and bookings by outcome (app.booking.services), deliveries
by channel and status (app.messaging.dispatch), the outbox backlog, open live
connections.

/metrics is for the operator's scraper only: it answers on the platform host (the bare
BASE_DOMAIN, never a clinic's host, which the public reaches) to METRICS_TOKEN as a
bearer token; with no METRICS_TOKEN set it does not exist (404). Counters are per
process: each instance (and each worker, with WORKER_METRICS_PORT) is scraped on its own;
the outbox gauges are read from the database, so every instance reports the same."""

from __future__ import annotations

import functools
import hmac
import logging
from typing import Any, Awaitable, Callable, TypeVar

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, generate_latest

from app import db
from app.settings import Settings

log = logging.getLogger("app.metrics")

HOLDS = Counter("clinic_slot_holds_total", "Slot holds asked for, by outcome", ["outcome"])
BOOKINGS = Counter(
    "clinic_bookings_total", "Bookings asked for, by who booked and outcome", ["by", "outcome"]
)
DELIVERIES = Counter(
    "clinic_deliveries_total",
    "Delivery attempts of outbox messages, by channel and what became of the message",
    ["channel", "status"],  # sent, retry (a transient failure), failed, dropped
)
OUTBOX_DUE = Gauge("clinic_outbox_due_messages", "Messages due and not yet sent")
OUTBOX_WAIT = Gauge(
    "clinic_outbox_oldest_due_age_seconds", "How long the oldest due unsent message has waited"
)
LIVE = Gauge("clinic_live_subscribers", "Open live connections of this process", ["kind"])
DATABASE_UP = Gauge("clinic_database_up", "Whether the database answered at this scrape")

http_metrics = PrometheusConfig(app_name="clinic", prefix="clinic_http", group_path=True)

Method = TypeVar("Method", bound=Callable[..., Awaitable[Any]])


def counted(counter: Counter, **labels: str) -> Callable[[Method], Method]:
    """Counts each call of a booking service method by the Outcome it returns (its
    `code`), or "error" when it raises."""

    def wrap(method: Method) -> Method:
        @functools.wraps(method)
        async def counting(*args: Any, **kwargs: Any) -> Any:
            try:
                outcome = await method(*args, **kwargs)
            except Exception:
                counter.labels(**labels, outcome="error").inc()
                raise
            counter.labels(**labels, outcome=str(outcome.code)).inc()
            return outcome

        return counting  # type: ignore[return-value]

    return wrap


async def _refresh(request: Request) -> None:
    """The gauges read at scrape time."""
    from app.messaging.backlog import backlog

    LIVE.labels("sse").set(request.app.state.live_streams.open)
    up = await db.ping()
    DATABASE_UP.set(1 if up else 0)
    if up:
        try:
            found = await backlog()
        except Exception:  # noqa: BLE001 - the rest of the metrics still count
            log.warning("metrics: the outbox could not be read", exc_info=True)
        else:
            OUTBOX_DUE.set(found.due)
            OUTBOX_WAIT.set(found.oldest_wait.total_seconds())


@get("/metrics", name="metrics", include_in_schema=False)
async def metrics(request: Request, settings: Settings) -> Response:
    if settings.metrics_token is None or request.scope["state"].get("host_kind") != "platform":
        raise NotFoundException()  # a clinic's host has no such page
    expected = f"Bearer {settings.metrics_token}".encode()
    if not hmac.compare_digest(request.headers.get("authorization", "").encode(), expected):
        return Response(
            {"error": "a bearer token is required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    await _refresh(request)
    return Response(
        generate_latest(REGISTRY),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )
