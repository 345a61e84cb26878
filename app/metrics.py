"""Prometheus metrics: requests and latency per route (Litestar's Prometheus plugin,
labelled by the route's template, not the path, so tokens and ids make no new series),
and the app's own: slot holds and bookings by outcome (app.booking.services), deliveries
by channel and status (app.messaging.dispatch), the outbox backlog, open live
connections.

They are defined here, at the bottom, so that the engine and the dispatcher count at
one place each; app.metrics_route serves them. Counters are per process: each instance
(and each worker, with WORKER_METRICS_PORT) is scraped on its own; the outbox gauges
are read from the database at each scrape, so every instance reports the same."""

from __future__ import annotations

import functools
from typing import Any, Awaitable, Callable, TypeVar

from litestar import Request
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from prometheus_client import Counter, Gauge

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


class RouteMetrics(PrometheusMiddleware):
    """The plugin's middleware, labelling from the scope alone: its own reads request.url,
    which parses the Host header, and a Host whose port is not a number would be a 500
    here instead of the 404 tenants.middleware gives it."""

    def _get_default_labels(self, request: Request) -> dict[str, str | int | float]:
        scope = request.scope
        return {
            "method": scope.get("method") or scope["type"],
            "path": scope.get("path_template", ""),
            "status_code": 200,
            "app_name": self._config.app_name,
        }


http_metrics = PrometheusConfig(
    app_name="clinic", prefix="clinic_http", group_path=True, middleware_class=RouteMetrics
)

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
