"""Work sites of one clinic. Every function takes clinic_id as a required keyword."""

from __future__ import annotations

import re

from tenants.tables import WorkSite

# Paths the platform itself uses at the root of a clinic host: never a site slug.
RESERVED_SLUGS = frozenset({"static", "healthz", "staff", "api", "admin", "a", "widget", "embed", "dev"})
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def valid_site_slug(slug: str) -> bool:
    return bool(SLUG_RE.match(slug)) and slug not in RESERVED_SLUGS


async def get_site(*, clinic_id: int, slug: str) -> dict | None:
    if not valid_site_slug(slug):
        return None
    return await WorkSite.select().where((WorkSite.clinic == clinic_id) & (WorkSite.slug == slug)).first()


async def list_sites(*, clinic_id: int) -> list[dict]:
    return await WorkSite.select().where(WorkSite.clinic == clinic_id).order_by(WorkSite.id)


def localized(row: object, field: str, locale: str) -> str:
    """row["name_fr"] or row["name_en"] (a dict or an object's attributes), falling
    back to the other language when empty."""
    other = "en" if locale == "fr" else "fr"

    def value(name: str) -> str:
        return (row.get(name) if isinstance(row, dict) else getattr(row, name, None)) or ""

    return value(f"{field}_{locale}") or value(f"{field}_{other}")
