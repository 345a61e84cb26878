"""Static assets (static/): served with a year-long cache lifetime, and linked with a
version query (?v= a digest of the file), so a changed file is a new address and a
browser never runs yesterday's script against today's page."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from litestar import Litestar, Router
from litestar.datastructures import CacheControlHeader
from litestar.file_system import BaseLocalFileSystem
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).resolve().parent.parent / "static"
YEAR = 365 * 24 * 3600


class StaticFiles(BaseLocalFileSystem):
    """Litestar answers a path it cannot look up with a 500: through a file
    (/static/app.css/x), with a NUL byte, too long a name. None is a file: a 404."""

    async def info(self, path, **kwargs):
        try:
            return await super().info(path, **kwargs)
        except (OSError, ValueError) as error:
            raise FileNotFoundError(path) from error


def static_router() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        name="static",
        file_system=StaticFiles(),
        cache_control=CacheControlHeader(max_age=YEAR, public=True, immutable=True),
    )


@lru_cache(maxsize=None)
def _version(path: str) -> str:
    return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]


def asset_url(app: Litestar, path: str) -> str:
    return f"{app.route_reverse('static', file_path=path)}?v={_version(path)}"
