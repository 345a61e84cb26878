"""A site's previous portal slug: its pages and its widget answer with a permanent redirect
to the same path under the current slug, so links on the clinic's website never break."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Response
from litestar.response import Redirect

from tenants.sites import valid_site_slug
from tenants.tables import SiteSlugRedirect, WorkSite


class SiteMoved(Exception):
    """The slug in the path is a previous slug of a site, now `slug`."""

    def __init__(self, old: str, slug: str) -> None:
        super().__init__("site moved")
        self.old, self.slug = old, slug


async def current_slug(*, clinic_id: int, old_slug: str) -> str | None:
    if not valid_site_slug(old_slug):  # a slug was valid once: nothing else is looked up
        return None
    row = (
        await SiteSlugRedirect.select(SiteSlugRedirect.site.slug.as_alias("slug"))
        .where((SiteSlugRedirect.clinic == clinic_id) & (SiteSlugRedirect.old_slug == old_slug))
        .first()
    )
    if row is None:
        return None
    # The site row's clinic is the redirect's (same clinic by construction); checked anyway.
    site = await WorkSite.exists().where(
        (WorkSite.clinic == clinic_id) & (WorkSite.slug == row["slug"])
    )
    return row["slug"] if site else None


def to_current_slug(request: Request, exc: SiteMoved) -> Response:
    # "/{old}/…" as sent (the old slug was validated: it is literal there); the raw path
    # keeps its trailing slash and its encoding.
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(request.scope["path"])
    rest = path[len(exc.old) + 1 :] if path.startswith(f"/{exc.old}") else "/"
    query = request.scope.get("query_string", b"").decode("latin-1")
    target = "/" + exc.slug + rest + (f"?{query}" if query else "")
    method = request.scope["method"]
    return Redirect(target, status_code=301 if method in ("GET", "HEAD") else 308)
