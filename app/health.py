"""/healthz, for load balancers and monitors: the database, Redis when one is configured,
and the outbox's lag (how long the oldest due message has waited).

"status" is "ok"; "degraded" when Redis does not answer or the lag is beyond
OUTBOX_LAG_SECONDS (the instance still serves pages: keep it in the pool, alert someone);
"down" with a 503 when the database does not answer (take it out of the pool)."""

from __future__ import annotations

import logging
from datetime import timedelta

from litestar import Request, Response, get
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app import db
from app.messaging.backlog import backlog
from app.settings import Settings

log = logging.getLogger("app")


async def redis_status(url: str | None) -> str:
    if not url:
        return "not configured"
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        await client.ping()
        return "ok"
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return f"error: {type(error).__name__}"
    finally:
        await client.aclose()


def health_error(request: Request, exc: Exception) -> Response:
    """Load balancers read JSON here, whatever happened: never the HTML error pages."""
    status = exc.status_code if isinstance(exc, HTTPException) else HTTP_500_INTERNAL_SERVER_ERROR
    if status >= 500:
        log.exception("health check failed", exc_info=exc)
    return Response({"error": status}, status_code=status)


async def outbox_status(limit: timedelta) -> tuple[dict | str, bool]:
    """What /healthz says of the outbox, and whether it is behind."""
    try:
        found = await backlog()
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return f"error: {type(error).__name__}", True
    lag = found.oldest_wait.total_seconds()
    return {"due": found.due, "lag_seconds": round(lag, 1)}, lag > limit.total_seconds()


@get("/healthz", name="health", exception_handlers={Exception: health_error})
async def healthz(settings: Settings) -> Response[dict]:
    database_ok = await db.ping()
    redis = await redis_status(settings.redis_url)
    body: dict = {"database": "ok" if database_ok else "error", "redis": redis}
    if not database_ok:
        return Response({"status": "down", **body}, status_code=503)
    body["outbox"], behind = await outbox_status(settings.outbox_lag_limit)
    degraded = behind or redis.startswith("error")
    return Response({"status": "degraded" if degraded else "ok", **body}, status_code=200)
