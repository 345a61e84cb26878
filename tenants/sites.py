"""Work sites of one clinic, as typed views. Every function takes clinic_id as a required
keyword."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from tenants.cache import TimedCache
from tenants.tables import WorkSite

# Paths the platform itself uses at the root of a clinic host: never a site slug.
RESERVED_SLUGS = frozenset(
    {"static", "healthz", "staff", "api", "admin", "a", "widget", "embed", "dev"}
)
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class SiteView:
    """A work site as patients see it: its portal, contact details, message and options."""

    id: int
    slug: str
    name_fr: str
    name_en: str
    address: str
    phone: str
    contact_details: str  # shown at the end of booking
    patient_message_fr: str
    patient_message_en: str
    portal_active: bool
    patient_can_cancel: bool
    patient_can_check_in: bool
    questionnaire_url: str

    @classmethod
    def columns(cls, table=WorkSite) -> list:
        """The columns to select, from WorkSite or through a foreign key to it."""
        return [getattr(table, field.name).as_alias(f"site_{field.name}") for field in fields(cls)]

    @classmethod
    def from_row(cls, row: dict) -> "SiteView":
        """From a row selected with columns()."""
        return cls(**{field.name: row[f"site_{field.name}"] for field in fields(cls)})


def valid_site_slug(slug: str) -> bool:
    return bool(SLUG_RE.match(slug)) and slug not in RESERVED_SLUGS


# Every portal request reads its site: written once as SQL, since building this select
# with the query builder cost more of the app's CPU than the rest of a refused hold's
# queries together (a booking storm's profile).
_SITE_SQL = (
    "SELECT "
    + ", ".join(f'"{field.name}" AS "site_{field.name}"' for field in fields(SiteView))
    + ' FROM "work_site" WHERE "clinic" = {} AND "slug" = {} LIMIT 1'
)


_sites: TimedCache[tuple[int, str], SiteView | None] = TimedCache()


async def get_site(*, clinic_id: int, slug: str) -> SiteView | None:
    """Kept a second at most (tenants.cache)."""
    if not valid_site_slug(slug):
        return None

    async def load() -> SiteView | None:
        rows = await WorkSite.raw(_SITE_SQL, clinic_id, slug)
        return SiteView.from_row(rows[0]) if rows else None

    return await _sites.get((clinic_id, slug), load)


async def list_sites(*, clinic_id: int) -> list[SiteView]:
    rows = (
        await WorkSite.select(*SiteView.columns())
        .where(WorkSite.clinic == clinic_id)
        .order_by(WorkSite.id)
    )
    return [SiteView.from_row(row) for row in rows]
