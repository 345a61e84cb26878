"""/healthz: is the database answering, and Redis when one is configured."""

from __future__ import annotations

from litestar import Request, Response, get

from app import db


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


@get("/healthz", name="healthz")
async def healthz(request: Request) -> Response[dict]:
    database_ok = await db.ping()
    body = {
        "database": "ok" if database_ok else "error",
        "redis": await redis_status(request.app.state.settings.redis_url),
    }
    return Response(body, status_code=200 if database_ok else 503)
