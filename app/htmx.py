"""page_or_fragment(): the whole page, or only the named block for an HTMX swap."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, nodes
from jinja2_fragments import render_block
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.utils.scope.state import ScopeState

from app import i18n


def is_fragment_request(request: Request) -> bool:
    # Boosted requests replace the whole body, so they get the whole page.
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


@lru_cache(maxsize=None)
def block_owner(env: Environment, template: str, block: str) -> str | None:
    """The template that defines `block` for `template`: itself or the nearest parent."""
    if block in env.get_template(template).blocks:
        return template
    source = env.loader.get_source(env, template)[0]
    parent = next(iter(env.parse(source).find_all(nodes.Extends)), None)
    if parent is None or not isinstance(parent.template, nodes.Const):
        return None
    return block_owner(env, parent.template.value, block)


def base_context(request: Request) -> dict[str, Any]:
    app = request.app
    return {
        "request": request,
        "clinic": request.scope.get("state", {}).get("clinic"),
        "locale": i18n.current(),
        "csrf_token": ScopeState.from_scope(request.scope).csrf_token or "",
        "url_for": app.route_reverse,
        "static": lambda path: app.route_reverse("static", file_path=path),
        "lang_url": lambda locale: _with_lang(request, locale),
    }


def _with_lang(request: Request, locale: str) -> str:
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    params["lang"] = locale
    return f"{request.url.path}?{urlencode(params)}"


def page_or_fragment(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
) -> Response[str]:
    env = request.app.state.jinja
    full_context = {**base_context(request), **(context or {})}
    if block and is_fragment_request(request):
        # htmx sets the document's title from a <title> in the swapped content, so the
        # new step is announced by its name, as a full page load would be.
        owner = block_owner(env, template, "title")
        title = f"<title>{render_block(env, owner, 'title', **full_context).strip()}</title>" if owner else ""
        html = title + render_block(env, template, block, **full_context)
    else:
        html = env.get_template(template).render(**full_context)
    response = Response(
        html,
        media_type=MediaType.HTML,
        status_code=status_code,
        headers={"Vary": "HX-Request, Accept-Language, Cookie"},
    )
    # The language switch is a ?lang= link; keep the choice for the next pages.
    lang = request.query_params.get("lang")
    if lang in i18n.LOCALES and request.cookies.get(i18n.COOKIE) != lang:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
