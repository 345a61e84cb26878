"""Host header → clinic. Fails closed: anything not positively matched is unknown."""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from app.numbers import whole_number
from tenants import cache
from tenants.tables import Clinic, ClinicDomain

CACHE_SECONDS = 30.0
# Every Host header a client invents would otherwise stay in memory: the least recently
# used entries make room, well above the number of real hosts an instance serves.
CACHE_SIZE = 4096
_NAME = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?")  # DNS labels, as browsers send them
_IPV6 = re.compile(r"\[[0-9a-f:.]+\]")


@dataclass(frozen=True)
class ClinicRef:
    """What a request needs to know of its clinic, cached between requests."""

    id: int
    slug: str
    name: str
    time_zone: str
    default_language: str
    country: str
    phone: str
    embed_origins: tuple[str, ...] = ()
    hin_format: str = "qc_ramq"  # how the portal checks health insurance numbers
    require_two_factor: bool = False  # for every staff account
    oidc_issuer: str = ""  # the clinic's own identity provider, if any
    oidc_provider_name: str = ""


@dataclass(frozen=True)
class HostMatch:
    kind: str  # "platform" (the bare base domain), "clinic" or "unknown"
    slug: str | None = None  # the subdomain, for kind "clinic" via subdomain


def normalise_host(host: str) -> str:
    """Lower case, no port, no trailing dot. IPv6 literals keep their brackets. "" when
    the header is not a host with an optional port (a number up to 65535): such a
    request belongs to no clinic, and would break any later parse of its URL."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _bracket, rest = host.partition("]")
        name, pattern = name + "]", _IPV6
    else:
        name, colon, rest = host.partition(":")
        rest, pattern = colon + rest, _NAME
    if not pattern.fullmatch(name):
        return ""
    if rest and (rest[0] != ":" or whole_number(rest[1:], maximum=65535) is None):
        return ""
    return name.rstrip(".")


def classify(host: str, base_domain: str) -> HostMatch:
    """Pure: which kind of host this is. A custom domain is any other host,
    and is decided by the ClinicDomain table (see resolve)."""
    host = normalise_host(host)
    if host == base_domain:
        return HostMatch("platform")
    suffix = "." + base_domain
    if host.endswith(suffix):
        label = host[: -len(suffix)]
        # Only one label: a.b.localhost is not a clinic, it is unknown.
        if label and "." not in label:
            return HostMatch("clinic", slug=label)
        return HostMatch("unknown")
    return HostMatch("clinic") if host else HostMatch("unknown")


_cache: OrderedDict[str, tuple[float, ClinicRef | None]] = OrderedDict()


def forget_cache() -> None:
    """The host → clinic cache, and the clinics' sites and services (tenants.cache)."""
    _cache.clear()
    cache.forget_all()


def _ref(row: dict) -> ClinicRef:
    return ClinicRef(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        time_zone=row["time_zone"],
        default_language=row["default_language"],
        country=row["country"],
        phone=row["phone"],
        hin_format=row["hin_format"],
        embed_origins=tuple(row["embed_origins"].split()),
        require_two_factor=row["require_two_factor"],
        oidc_issuer=row["oidc_issuer"],
        oidc_provider_name=row["oidc_provider_name"],
    )


_FIELDS = (
    "id",
    "slug",
    "name",
    "time_zone",
    "default_language",
    "country",
    "phone",
    "hin_format",
    "embed_origins",
    "require_two_factor",
    "oidc_issuer",
    "oidc_provider_name",
)


async def _lookup(match: HostMatch, host: str) -> ClinicRef | None:
    if match.slug is not None:
        row = (
            await Clinic.select(*[getattr(Clinic, f) for f in _FIELDS])
            .where((Clinic.slug == match.slug) & (Clinic.status == "active"))
            .first()
        )
    else:
        domain = (
            await ClinicDomain.select(ClinicDomain.clinic).where(ClinicDomain.host == host).first()
        )
        if domain is None:
            return None
        row = (
            await Clinic.select(*[getattr(Clinic, f) for f in _FIELDS])
            .where((Clinic.id == domain["clinic"]) & (Clinic.status == "active"))
            .first()
        )
    return _ref(row) if row else None


async def resolve(host: str, base_domain: str) -> tuple[str, ClinicRef | None]:
    """("platform", None), ("clinic", ref) or ("unknown", None)."""
    match = classify(host, base_domain)
    if match.kind != "clinic":
        return match.kind, None
    key = normalise_host(host)
    cached = _cache.get(key)
    if cached and cached[0] > time.monotonic():
        ref = cached[1]
        _cache.move_to_end(key)
    else:
        ref = await _lookup(match, key)
        _cache[key] = (time.monotonic() + CACHE_SECONDS, ref)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return ("clinic", ref) if ref else ("unknown", None)
