"""page_or_fragment(): the whole page, or only the named block for an HTMX swap.

The app's requests are litestar-htmx's HTMXRequest (see main.py), so `request.htmx`
reads htmx's headers. Only a targeted swap gets a fragment: a boosted request
replaces the whole body, and so does a history restore (htmx 2 asks for a page it
lost from its cache with HX-Request and HX-History-Restore-Request, and puts the
answer in <body>: a fragment there would wipe the header and the footer)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, UndefinedError, nodes
from jinja2_fragments import render_block
from litestar import Response
from litestar.enums import MediaType
from litestar.plugins.htmx import HTMXRequest
from litestar.utils.scope.state import ScopeState

from app import i18n
from app.assets import asset_url


def is_fragment_request(request: HTMXRequest) -> bool:
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


@lru_cache(maxsize=None)
def _parent(env: Environment, template: str) -> str | None:
    source = env.loader.get_source(env, template)[0]
    parent = next(iter(env.parse(source).find_all(nodes.Extends)), None)
    if parent is None or not isinstance(parent.template, nodes.Const):
        return None
    return parent.template.value


def render_inherited_block(
    env: Environment, template: str, block: str, context: dict[str, Any]
) -> str | None:
    """`block` as the whole page would render it: defined by `template` or an ancestor,
    with the blocks it calls taken from the nearest template that overrides them (a
    staff page's page_title inside the layout's title), as Jinja's own extends does."""
    chain, name = [], template
    while name:
        chain.append(env.get_template(name))
        name = _parent(env, name)
    context_ = chain[0].new_context(context)
    for ancestor in chain[1:]:
        for block_name, render in ancestor.blocks.items():
            context_.blocks.setdefault(block_name, []).append(render)
    if block not in context_.blocks:
        return None
    return env.concat(context_.blocks[block][0](context_))


def base_context(request: HTMXRequest) -> dict[str, Any]:
    app = request.app
    return {
        "request": request,
        "clinic": request.scope.get("state", {}).get("clinic"),
        "locale": i18n.current(),
        "csrf_token": ScopeState.from_scope(request.scope).csrf_token or "",
        "url_for": app.route_reverse,
        "static": lambda path: asset_url(app, path),
        "lang_url": lambda locale: _with_lang(request, locale),
    }


def _with_lang(request: HTMXRequest, locale: str) -> str:
    """A link relative to the page ("?lang=en"): the page's own path may be anything a
    client sent (//evil.example/x on a 404), which must never become a link's target."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    params["lang"] = locale
    return f"?{urlencode(params)}"


def _own_url(request: HTMXRequest) -> str:
    """The path and query this request asked for, as sent, from the ASGI scope
    (request.url would parse the Host header, which a client writes)."""
    scope = request.scope
    path = scope["raw_path"].decode("latin-1") if scope.get("raw_path") else quote(scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    return path + (f"?{query}" if query else "")


def page_or_fragment(
    request: HTMXRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
) -> Response[str]:
    env = request.app.state.jinja
    full_context = {**base_context(request), **(context or {})}
    headers = {"Vary": "HX-Request, HX-History-Restore-Request, Accept-Language, Cookie"}
    if block and is_fragment_request(request):
        # htmx sets the document's title from a <title> in the swapped content, so the
        # new step is announced by its name, as a full page load would be.
        try:
            title = render_inherited_block(env, template, "title", full_context)
        except UndefinedError:  # a part of a page (search results) lacks the page's facts
            title = None
        title = f"<title>{title.strip()}</title>" if title is not None else ""
        html = title + render_block(env, template, block, **full_context)
        if status_code == 200:
            # After a redirect htmx swaps the final page; make the address bar follow it.
            headers["HX-Push-Url"] = _own_url(request)
    else:
        html = env.get_template(template).render(**full_context)
    response = Response(html, media_type=MediaType.HTML, status_code=status_code, headers=headers)
    # The language switch is a ?lang= link; keep the choice for the next pages.
    lang = request.query_params.get("lang")
    if lang in i18n.LOCALES and request.cookies.get(i18n.COOKIE) != lang:
        response.set_cookie(
            i18n.COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            samesite="lax",
            httponly=True,
            secure=request.app.state.settings.secure_cookies,
        )
    return response
