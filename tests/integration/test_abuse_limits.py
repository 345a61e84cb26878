"""The limits that stop someone guessing a patient's details or hoarding a clinic's slots,
without locking out new patients behind one address; the client address they count,
with and without a trusted proxy, through the real web server; and identifications
under a storm, whose writes all run in write transactions."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import date, time, timedelta

import httpx
import pytest
import uvicorn

from app import clock
from app.__main__ import server_config
from app.booking import sessions
from app.booking.tables import BookingSession
from app.listeners import make_bus
from app.main import create_app
from app.patients.forms import parse_identity
from app.patients.identification import (
    PER_ADDRESS_IDENTITIES,
    PER_ADDRESS_REPEATS,
    PER_IDENTITY,
    Identification,
    identify,
)
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Slot
from app.settings import load
from conftest import free_port
from tests.integration.demo_lookup import activity_id, clinic_id, practitioner_id, site_id
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.portal_helpers import (
    MARIE,
    STRANGER,
    choose_service,
    form_token,
    open_follow_ups,
    slot_ids,
    text,
)
from tests.integration.portal_helpers import (
    identify as identify_over_http,
)
from tests.integration.query_log import recorded_statements
from tests.integration.web import clinic_client
from tests.moments import freeze

JEAN = {
    "first_name": "Jean",
    "last_name": "Côté",
    "date_of_birth": "1972-11-03",
    "sex": "M",
    "health_insurance_number": "",
    "cell_phone": "",
    "email": "jean.cote@example.org",
    "accept_terms": "on",
}
LIMITED = "Trop de tentatives."
TOO_MANY_SESSIONS = "Vous avez déjà plusieurs réservations en cours."
TOO_MANY_HOLDS = (
    "Vous avez déjà plusieurs rendez-vous réservés temporairement dans d'autres fenêtres."
)


def person(n: int) -> dict:
    """A new patient, the n-th: no file has them."""
    return {
        **STRANGER,
        "first_name": f"Paul{n}",
        "last_name": f"Nouveau{n}",
        "cell_phone": "",
        "email": f"paul{n}@example.org",
    }


def guess(who: dict, n: int) -> dict:
    """Someone's name, birth date and sex, with a contact their file does not have."""
    return {
        **who,
        "health_insurance_number": "",
        "email": f"guess{n}@example.org",
        "cell_phone": "",
    }


async def attempt(clinic: int, typed: dict, client: str) -> Identification:
    form, errors = parse_identity(typed, country="CA", hin_format="qc_ramq")
    assert errors == {}
    return await identify(clinic_id=clinic, form=form, client_key=client)


# -- identification ------------------------------------------------------------------


async def test_guessing_one_persons_details_is_stopped_whatever_the_addresses(demo_id):
    for n in range(PER_IDENTITY.failures):
        # The first name and the contact change; the last name and birth date are what both rules
        # need.
        typed = {**guess(JEAN, n), "first_name": f"J{n}"}
        assert (await attempt(demo_id, typed, f"198.51.100.{n}")).status == "unidentified"
    assert await attempt(demo_id, JEAN, "192.0.2.99") == Identification(
        "rate_limited"
    )  # even the right details
    assert (await attempt(demo_id, MARIE, "192.0.2.99")).status == "identified"
    clock.advance(PER_IDENTITY.window)
    assert (await attempt(demo_id, JEAN, "192.0.2.99")).status == "identified"


async def test_guessing_a_health_insurance_number_is_stopped_whatever_the_names(demo_id):
    for n in range(PER_IDENTITY.failures):
        typed = {
            **person(n),
            "date_of_birth": "1972-11-03",
            "health_insurance_number": "COTJ72110318",
        }
        assert (await attempt(demo_id, typed, f"198.51.100.{n}")).status == "unidentified"
    assert await attempt(
        demo_id, {**JEAN, "health_insurance_number": "COTJ72110318"}, "192.0.2.99"
    ) == Identification("rate_limited")


async def test_being_refused_says_nothing_about_whether_a_file_exists(demo_data):
    """Jean has a file, "Jean Sansdossier" none: the same attempts, each from a new
    address, get the same answers. (From the 4th, his three sessions are full; from the
    11th, his identity is limited.)"""
    app = create_app(replace(load(), trusted_proxies=("127.0.0.1/32",)))
    freeze()
    async with clinic_client(app, "demo") as proxied:
        answers = {}
        for name, who in (("file", JEAN), ("no file", {**JEAN, "last_name": "Sansdossier"})):
            answers[name] = []
            for n in range(PER_IDENTITY.failures + 2):
                proxied.headers["X-Forwarded-For"] = f"198.51.{len(answers)}.{n}"
                response = await identify_over_http(proxied, guess(who, n))
                said = next((m for m in (LIMITED, TOO_MANY_SESSIONS) if m in text(response)), "")
                answers[name].append((response.status_code, said))
    assert answers["file"] == answers["no file"]
    assert answers["file"][-3:] == [(429, TOO_MANY_SESSIONS), (429, LIMITED), (429, LIMITED)]


async def test_new_patients_behind_one_address_are_not_locked_out(demo):
    """A waiting room's Wi-Fi: thirty new patients in a row, one address (the 11th used to
    get a 429)."""
    freeze()
    for n in range(30):
        response = await identify_over_http(demo, person(n))
        assert response.status_code == 303, n


async def test_one_address_has_a_far_higher_ceiling_for_distinct_new_patients(demo_id):
    for n in range(PER_ADDRESS_IDENTITIES.failures):
        assert (await attempt(demo_id, person(n), "203.0.113.7")).status == "unidentified"
    assert (await attempt(demo_id, person(10_000), "203.0.113.7")).status == "rate_limited"
    assert (await attempt(demo_id, person(10_000), "203.0.113.8")).status == "unidentified"


async def test_repeated_failures_from_one_address_are_limited_across_people(demo_id):
    """Guessing several people's details from one address, a few tries each."""
    for n in range(2 + PER_ADDRESS_REPEATS.failures):  # two first tries, then repeats
        assert (
            await attempt(demo_id, guess([JEAN, MARIE][n % 2], n), "203.0.113.7")
        ).status == "unidentified"
    assert (
        await attempt(demo_id, MARIE, "203.0.113.7")
    ).status == "rate_limited"  # one more try for Marie
    assert (
        await attempt(demo_id, person(1), "203.0.113.7")
    ).status == "unidentified"  # a new patient still books
    assert (await attempt(demo_id, MARIE, "203.0.113.8")).status == "identified"
    clock.advance(PER_ADDRESS_REPEATS.window)
    assert (await attempt(demo_id, MARIE, "203.0.113.7")).status == "identified"


async def test_the_address_window_slides(demo_id):
    for n in range(1 + PER_ADDRESS_REPEATS.failures):
        await attempt(demo_id, guess([JEAN, MARIE][n % 2], n), "203.0.113.7")
    clock.advance(PER_ADDRESS_REPEATS.window - timedelta(minutes=1))
    await attempt(demo_id, guess(JEAN, 99), "203.0.113.7")  # the tenth repeat
    assert (await attempt(demo_id, JEAN, "203.0.113.7")).status == "rate_limited"
    clock.advance(timedelta(minutes=1))  # the first ones age out, the last does not
    assert (await attempt(demo_id, JEAN, "203.0.113.7")).status == "identified"


# -- the client address, through the real web server ------------------------------------------


async def forty_guesses(base_url: str) -> list[int]:
    """Fourteen people trying again and again (three times at most each), every request
    claiming another forwarded address; the statuses, in order."""
    statuses = []
    async with httpx.AsyncClient(base_url=base_url, headers={"host": "demo.localhost"}) as http:
        for n in range(40):
            page = await http.get("/centre-ville/")
            response = await http.post(
                "/centre-ville/",
                data={**person(n % 14), "form_token": form_token(page.text)},
                headers={"X-Forwarded-For": f"10.{n}.0.1"},
            )
            statuses.append(response.status_code)
    return statuses


async def serving(**settings):
    """The app behind uvicorn exactly as `make run` starts it, on a free port."""
    config = server_config(replace(load(), port=free_port(), **settings))
    config.lifespan = "off"  # the suite's database pool is already open
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    return server, task, f"http://127.0.0.1:{config.port}"


async def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(demo_id):
    server, task, url = await serving()
    try:
        statuses = await forty_guesses(url)
    finally:
        server.should_exit = True
        await task
    # One address: fourteen first tries and ten repeats are allowed, then none.
    assert statuses == [303] * (14 + PER_ADDRESS_REPEATS.failures) + [429] * (
        40 - 14 - PER_ADDRESS_REPEATS.failures
    )


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(demo_id):
    server, task, url = await serving(trusted_proxies=("127.0.0.0/8",))
    try:
        assert await forty_guesses(url) == [303] * 40  # forty addresses, ten tries per person
        async with httpx.AsyncClient(base_url=url, headers={"host": "demo.localhost"}) as http:
            statuses = []
            for n in range(6 + PER_ADDRESS_REPEATS.failures + 2):  # six people, three tries each
                page = await http.get("/centre-ville/")
                # The client wrote the left part itself; the trusted proxy appended what it saw.
                last = n == 6 + PER_ADDRESS_REPEATS.failures + 1
                proxy = "198.51.100.88" if last else "198.51.100.77"
                response = await http.post(
                    "/centre-ville/",
                    data={
                        **person(100 + (99 if last else n % 6)),
                        "form_token": form_token(page.text),
                    },
                    headers={"X-Forwarded-For": f"6.6.6.{n}, {proxy}"},
                )
                statuses.append(response.status_code)
    finally:
        server.should_exit = True
        await task
    # From one forwarded address: six first tries and ten repeats, then refused, whatever
    # the client wrote to the left; a new patient from another forwarded address is not.
    assert statuses == [303] * (6 + PER_ADDRESS_REPEATS.failures) + [429, 303]


# -- sessions and holds ---------------------------------------------------------------------


@pytest.fixture
async def portal(demo):
    freeze()
    await open_follow_ups(days=5)
    return demo


async def hold_first(client, service_url: str, service: str = "Suivi avec mon médecin de famille"):
    """Choose `service`, then the first slot offered: (the status of the hold, the response)."""
    await choose_service(client, service_url, service)
    slots_url = service_url.replace("/service", "/slots")
    listing = await client.get(slots_url)
    held = await client.post(
        slots_url, data={"slot": slot_ids(listing.text)[0], "form_token": form_token(listing.text)}
    )
    return held.status_code, held


async def open_urgent_consultations() -> None:
    """Dr Marc Gagnon's urgent consultations (open to all) on Tuesday morning."""
    demo = await clinic_id("demo")
    await SchedulingService(clinic_id=demo, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await practitioner_id(demo, "Dr Marc Gagnon"),
        site_id=await site_id(demo, "centre-ville"),
        activity_id=await activity_id(demo, "Consultation urgente"),
        day=date(2026, 11, 24),
        start=time(9),
        end=time(12),
    )


async def held_slots() -> int:
    return await Slot.count().where(Slot.hold_until > clock.now())


async def test_one_patient_cannot_hold_the_clinics_list(portal):
    """As it was done: 26 sessions as Marie, each holding a slot."""
    started = refused = 0
    for _ in range(26):
        response = await identify_over_http(portal, MARIE)
        if response.status_code == 429:
            assert TOO_MANY_SESSIONS in text(response) and "514 555 0100" in text(response)
            refused += 1
            continue
        started += 1
        status, _ = await hold_first(portal, response.headers["location"])
        assert status == 303
    assert (started, refused) == (3, 23)
    assert await held_slots() == 3
    assert await BookingSession.count() == 3


async def test_a_booked_session_makes_room_for_another(portal):
    holds = []
    for _ in range(3):
        holds.append(
            await hold_first(portal, (await identify_over_http(portal, MARIE)).headers["location"])
        )
    assert (await identify_over_http(portal, MARIE)).status_code == 429
    _, held = holds[0]
    review = await portal.get(held.headers["location"])
    await portal.post(held.headers["location"], data={"form_token": form_token(review.text)})
    assert (await identify_over_http(portal, MARIE)).status_code == 303


async def test_expired_sessions_make_room(portal):
    for _ in range(3):
        await hold_first(portal, (await identify_over_http(portal, MARIE)).headers["location"])
    assert (await identify_over_http(portal, MARIE)).status_code == 429
    clock.advance(sessions.LIFETIME)
    assert (await identify_over_http(portal, MARIE)).status_code == 303


async def test_going_back_to_step_one_again_and_again_uses_up_nothing(portal):
    """The same person from the same client: the oldest session holding nothing makes room."""
    first = (await identify_over_http(portal, MARIE)).headers["location"]
    await hold_first(portal, first)
    for _ in range(6):
        assert (await identify_over_http(portal, MARIE)).status_code == 303
    assert await BookingSession.count() == 3
    assert (
        await portal.get(first.replace("/service", "/review"))
    ).status_code == 200  # kept: it holds


async def test_one_client_holds_a_few_slots_at_a_time(portal):
    """Four people on one phone: the fourth hold waits until one of the others ends."""
    await open_urgent_consultations()
    urls = [(await identify_over_http(portal, person(n))).headers["location"] for n in range(4)]
    holds = [await hold_first(portal, url, "Consultation urgente") for url in urls]
    assert [status for status, _ in holds] == [303, 303, 303, 429]
    assert TOO_MANY_HOLDS in text(holds[3][1])
    assert await held_slots() == 3
    # The first books: the fourth may hold.
    review = await portal.get(holds[0][1].headers["location"])
    await portal.post(holds[0][1].headers["location"], data={"form_token": form_token(review.text)})
    assert (await hold_first(portal, urls[3], "Consultation urgente"))[0] == 303


# -- a storm -------------------------------------------------------------------------------


async def test_a_storm_of_identifications_reaches_every_patient(demo, caplog):
    """A hundred new patients and a few known ones at once (on SQLite every writer queues
    for the one write lock): every one gets the next step, none a "database is locked"."""
    freeze()
    page = await demo.get("/centre-ville/")
    token = form_token(page.text)
    crowd = [person(n) for n in range(PER_ADDRESS_IDENTITIES.failures - 2)]
    crowd += [
        MARIE,
        {**JEAN, "cell_phone": "438 555 0123", "health_insurance_number": "COTJ72110318"},
    ]
    with caplog.at_level(logging.ERROR):
        responses = await asyncio.gather(
            *[demo.post("/centre-ville/", data={**who, "form_token": token}) for who in crowd]
        )
    assert [r.status_code for r in responses] == [303] * len(crowd)
    assert "database is locked" not in caplog.text and not [
        r for r in caplog.records if r.levelno >= logging.ERROR
    ]
    assert await BookingSession.count() == len(crowd)


async def test_every_write_of_an_identification_runs_in_a_write_transaction(demo):
    """An unidentified patient, and a known one whose new phone joins the file."""
    freeze()
    for who in (person(1), {**MARIE, "cell_phone": "438 555 0123"}):
        page = await demo.get("/centre-ville/")
        with recorded_statements() as statements:
            response = await demo.post(
                "/centre-ville/", data={**who, "form_token": form_token(page.text)}
            )
        assert response.status_code == 303
        writes = [s for s in statements if s.writes]
        assert len(writes) >= 2
        assert [s.sql for s in writes if not s.in_transaction] == []
