"""/metrics, for the operator's scraper only: it answers on the platform host (the bare
BASE_DOMAIN, never a clinic's host, which the public reaches) to METRICS_TOKEN as a
bearer token; with no METRICS_TOKEN set it does not exist (404). The metrics themselves
are app.metrics'; the gauges that are read rather than counted are read here, at each
scrape."""

from __future__ import annotations

import hmac
import logging

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from app import db
from app.messaging.backlog import backlog
from app.metrics import DATABASE_UP, LIVE, OUTBOX_DUE, OUTBOX_WAIT
from app.settings import Settings

log = logging.getLogger("app.metrics")


async def _refresh(request: Request) -> None:
    """The gauges read at scrape time."""
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
