"""/healthz: is the database answering, and Redis when one is configured."""

from __future__ import annotations

import logging

from litestar import Request, Response, get
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app import db
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


@get("/healthz", name="health", exception_handlers={Exception: health_error})
async def healthz(settings: Settings) -> Response[dict]:
    database_ok = await db.ping()
    body = {
        "database": "ok" if database_ok else "error",
        "redis": await redis_status(settings.redis_url),
    }
    return Response(body, status_code=200 if database_ok else 503)
