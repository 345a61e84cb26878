"""Tenant isolation, walked over every route: each route that takes an id or a token
answers 404 on another clinic's host, while the same request works on its own."""

from __future__ import annotations

import re

from app import clock
from tests.integration.portal_helpers import (
    AUTRE,
    DEMO,
    MARIE,
    book_marie_follow_up,
    choose_service,
    freeze,
    identify,
    open_follow_ups,
)

# Routes that carry nothing of a clinic's (the platform page, health, assets).
HOST_FREE = {"/healthz", "/static/{file_path:path}"}


async def demo_values(client) -> dict[str, str]:
    """Real values of the demo clinic for every path parameter."""
    freeze()
    await open_follow_ups()
    done = await book_marie_follow_up(client)
    link = re.search(r'href="/a/([^"]+)"', done).group(1)
    service_url = (await identify(client, MARIE)).headers["location"]
    await choose_service(client, service_url, "Suivi avec mon médecin de famille")
    session = service_url.split("/b/")[1].split("/")[0]
    return {"site_slug": "centre-ville", "session": session, "link": link, "action": "confirm"}


def concrete(path: str, values: dict[str, str]) -> str:
    token = values["link"] if path.startswith("/a/") else values["session"]
    return (
        path.replace("{site_slug:str}", values["site_slug"])
        .replace("{token:str}", token)
        .replace("{action:str}", values["action"])
    )


async def test_every_route_with_an_id_is_404_on_another_clinics_host(client):
    values = await demo_values(client)
    routes = [route for route in client._transport.app.routes if route.path not in HOST_FREE]
    walked = 0
    try:
        for route in routes:
            path = concrete(route.path, values)
            if "{" in path:
                raise AssertionError(f"no value for a parameter of {route.path}: add it to demo_values")
            for method in sorted(set(route.methods) & {"GET", "POST"}):
                own = await client.request(method, path, headers=DEMO)
                other = await client.request(method, path, headers=AUTRE)
                if "{" not in route.path:
                    # A page of each clinic's own (its home, its dev outbox): nothing of the other's.
                    assert "marie.tremblay@example.org" not in other.text and "Clinique Démo" not in other.text
                    continue
                assert own.status_code != 404, f"{method} {path} should work on its own clinic"
                assert other.status_code == 404, f"{method} {path} answered {other.status_code} on another clinic"
                assert "Dre Julie Roy" not in other.text and "Centre-ville" not in other.text
                walked += 1
    finally:
        clock.reset()
    assert walked >= 12  # every id-bearing route, GET and POST
