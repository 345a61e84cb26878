"""Shared steps for the portal's HTTP tests: read the page as a patient would.

The steps take the client of the clinic they run on (the `demo` or `autre` fixture):
its host is the clinic's."""

from __future__ import annotations

import html
import re
from datetime import time, timedelta

from app.listeners import make_bus
from app.messaging.one_time_codes import code_for
from app.messaging.tables import OneTimeCode
from app.scheduling.services import SchedulingService
from app.settings import load
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION
from tests.moments import NOW

MARIE = {
    "first_name": "Marie",
    "last_name": "Tremblay",
    "date_of_birth": "1985-04-12",
    "sex": "F",
    "health_insurance_number": "TREM85541219",
    "cell_phone": "",
    "email": "marie.tremblay@example.org",
    "accept_terms": "on",
}
STRANGER = {
    "first_name": "Paul",
    "last_name": "Inconnu",
    "date_of_birth": "1990-01-01",
    "sex": "M",
    "health_insurance_number": "",
    "cell_phone": "514 555 0199",
    "email": "",
    "accept_terms": "on",
}


def form_token(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "the page has a form token"
    return found.group(1)


def slot_ids(html: str) -> list[int]:
    return [int(v) for v in re.findall(r'name="slot" value="(\d+)"', html)]


def option_labels(html: str, select_id: str) -> list[str]:
    block = re.search(rf'<select id="{select_id}".*?</select>', html, re.S)
    assert block
    return [
        label.strip()
        for label in re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>", block.group(0))
    ]


async def open_follow_ups(days: int = 2, per_day_hours: tuple[int, int] = (9, 12)) -> None:
    """Dre Julie Roy's follow-ups at centre-ville, from the day after NOW."""
    demo = await demo_lookup.clinic_id("demo")
    service = SchedulingService(clinic_id=demo, bus=make_bus())
    for offset in range(1, days + 1):
        await service.open_manual(
            actor=RECEPTION,
            practitioner_id=await demo_lookup.practitioner_id(demo, "Dre Julie Roy"),
            site_id=await demo_lookup.site_id(demo, "centre-ville"),
            activity_id=await demo_lookup.activity_id(demo, "Suivi"),
            day=NOW.date() + timedelta(days=offset),
            start=time(per_day_hours[0]),
            end=time(per_day_hours[1]),
        )


async def identify(client, who: dict, site: str = "centre-ville"):
    page = await client.get(f"/{site}/")
    return await client.post(f"/{site}/", data={**who, "form_token": form_token(page.text)})


async def choose_service(client, service_url: str, service_name: str, **choice):
    page = await client.get(service_url)
    ids = dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page.text))
    service_id = next(k for k, v in ids.items() if v.strip() == service_name)
    data = {
        "service": service_id,
        "reason": "Contrôle annuel",
        "details": "",
        "preference": "asap",
        "form_token": form_token(page.text),
    }
    data.update(choice)
    return await client.post(service_url, data=data)


async def book_marie_follow_up(
    client, who: dict = MARIE, service: str = "Suivi avec mon médecin de famille"
) -> str:
    """Marie books her first follow-up (typing `who`, choosing `service` by the name
    shown in her language); returns the confirmation page's HTML."""
    identified = await identify(client, who)
    service_url = identified.headers["location"]
    await choose_service(client, service_url, service)
    slots_url = service_url.replace("/service", "/slots")
    listing = await client.get(slots_url)
    chosen = slot_ids(listing.text)[0]
    held = await client.post(
        slots_url, data={"slot": chosen, "form_token": form_token(listing.text)}
    )
    review = await client.get(held.headers["location"])
    booked = await client.post(
        held.headers["location"], data={"form_token": form_token(review.text)}
    )
    done = await client.get(booked.headers["location"])
    return done.text


def text(response) -> str:
    """The page as a patient reads it: entities decoded, Babel's narrow and
    no-break spaces ("9:00\u202fAM") read as plain spaces."""
    return html.unescape(response.text).replace("\u202f", " ").replace("\xa0", " ")


def heading(response) -> str:
    """The page's main heading (its one h1), as read."""
    found = re.findall(r"<h1[^>]*>(.*?)</h1>", text(response), re.S)
    assert len(found) == 1, f"expected one h1, found {found}"
    return re.sub(r"<[^>]+>", "", found[0]).strip()


async def my_sessions(demo) -> tuple[str, str]:
    """Two of Marie's My appointments sessions: one waiting for its code, one open (its
    code read as the dispatcher would make it)."""
    tokens = []
    for _ in range(2):
        page = await demo.get("/centre-ville/my")
        asked = await demo.post(
            "/centre-ville/my",
            data={
                "contact": MARIE["email"],
                "date_of_birth": MARIE["date_of_birth"],
                "form_token": form_token(page.text),
            },
        )
        tokens.append(asked.headers["location"].split("/my/")[1].split("/")[0])
    nonce = (
        await OneTimeCode.select(OneTimeCode.nonce)
        .order_by(OneTimeCode.id, ascending=False)
        .first()
    )["nonce"]
    code_url = f"/centre-ville/my/{tokens[1]}/code"
    page = await demo.get(code_url)
    entered = await demo.post(
        code_url,
        data={"code": code_for(load().secret_key, nonce), "form_token": form_token(page.text)},
    )
    return tokens[0], entered.headers["location"].rsplit("/", 1)[1]
