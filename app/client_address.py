"""The address a request comes from, as every rate limit counts it.

The peer of the connection is the client, unless it is one of the proxies named in
TRUSTED_PROXIES: then X-Forwarded-For is read from the right, each hop added by a
trusted proxy being believed, and the first address that is not a trusted proxy is the
client. Whatever a client writes into the header itself lies to the left of what our
proxies appended, so it is never reached. The web server is started without its own
forwarded-header handling (app.__main__), so this is the one place that reads them."""

from __future__ import annotations

import hashlib
import ipaddress
from functools import lru_cache

from litestar import Request

IPV6_NETWORK = 64  # one IPv6 host is given a /64 to pick addresses from


def client_address(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    trusted = _networks(trusted_proxies)
    address = _ip(request.client.host) if request.client else None
    if address is None:
        return ""
    hops = [
        hop.strip()
        for value in request.headers.getall("x-forwarded-for", [])
        for hop in value.split(",")
    ]
    for hop in reversed(hops):
        if not any(address in network for network in trusted):
            break
        forwarded = _ip(hop)
        if forwarded is None:
            break  # a proxy of ours would not write this: keep the last address we can vouch for
        address = forwarded
    return str(address)


def limit_key(address: str) -> str:
    """What a limit counts per address, as a digest (counting tables keep no address): the
    address, or for IPv6 its /64, which one machine could otherwise walk through to look
    like millions of clients."""
    parsed = _ip(address)
    counted = address
    if isinstance(parsed, ipaddress.IPv6Address):
        counted = str(
            parsed.ipv4_mapped or ipaddress.IPv6Network((parsed, IPV6_NETWORK), strict=False)
        )
    return hashlib.sha256(f"client:{counted}".encode()).hexdigest()


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
