"""One cookie of a request, read from its headers by middlewares (which run before
Litestar parses cookies): a malformed Cookie header is no cookie at all."""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar.datastructures import Headers


def cookie(headers: Headers, name: str) -> str | None:
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header is no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None
