"""Two instances as production runs them: two `python -m app serve` processes behind HAProxy
(tests/cluster.py, deploy/haproxy.cfg) on the suite's database and a Redis of its own.

- One instance killed (SIGKILL) while 50 patients book: HAProxy moves the traffic to the
  other, no patient gets a 5xx but for requests that were in flight on the killed one,
  every booking confirmed to a patient is in the database once, no slot is booked twice.
- Live across instances: an agenda open on one instance hears of a booking made on the
  other within 2 s; a setting changed on one is in force on the other within 1 s.
- Limits hold across instances: counted through HAProxy, requests alternating between the
  two, they refuse at the count one instance would (the counters are rows, not memory),
  by the client address HAProxy forwards, whatever address a client claims itself.

Every patient and staff browser connects from its own loopback address (127.x.y.z):
the load balancer forwards it, and the app counts its limits by it."""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.booking.tables import Appointment, BookingSession
from app.listeners import make_bus
from app.patients.identification import PER_IDENTITY
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Slot
from app.staff.lockout import MAX_FAILURES
from conftest import REDIS_TEST_URL, port_open, require, truncate_all
from deploy.cluster import restart
from tests import figures
from tests.cluster import (
    INSTANCES,
    both_serving,
    browser,
    requests,
    running_cluster,
    served_by,
    server_went_down,
)
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.live_helpers import open_stream
from tests.integration.portal_helpers import form_token
from tests.integration.staff_helpers import PASSWORD, csrf, sign_in
from tests.moments import RUN_START

MONDAY = RUN_START.astimezone(ZoneInfo("America/Montreal")).date()  # the run's first day
PATIENTS = 50
SERVICE = "Consultation urgente"  # open to everyone: the patients need no file
DELIVERY_S = 2.0  # an open agenda hears of a booking within two seconds
IN_FORCE_S = 1.0  # a setting is in force on every instance within a second


@pytest.fixture(scope="module")
async def cluster(database, tmp_path_factory):
    """The demo clinics seeded (no schedules: each test opens its own slots), then the two
    instances and HAProxy, for the whole module: instances cache each host's clinic, so
    the data they start on stays. A test that kills an instance has it started again
    before the next test (`serving`)."""
    require("Redis at 127.0.0.1:6379", port_open("127.0.0.1", 6379))
    from app.seed import seed
    from tenants.resolution import forget_cache

    await truncate_all()
    await seed(schedules=False)
    forget_cache()
    with running_cluster(REDIS_TEST_URL, tmp_path_factory.mktemp("cluster")) as running:
        yield running


@pytest.fixture
def serving(cluster):
    both_serving(cluster)
    return cluster


async def open_urgent_slots(day: date, start: int, end: int) -> list[int]:
    """Dr Marc Gagnon's 15-minute urgent consultations at centre-ville from `start` to
    `end` o'clock; their ids in time order."""
    clinic = await demo_lookup.clinic_id("demo")
    opened = await SchedulingService(clinic_id=clinic, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await demo_lookup.practitioner_id(clinic, "Dr Marc Gagnon"),
        site_id=await demo_lookup.site_id(clinic, "centre-ville"),
        activity_id=await demo_lookup.activity_id(clinic, SERVICE),
        day=day,
        start=clock_time(start),
        end=clock_time(end),
    )
    rows = await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).order_by(Slot.id)
    return [row["id"] for row in rows]


def stranger(number: int) -> dict:
    """A new patient (no file at the clinic): her own name, date of birth and email."""
    tag = "".join(chr(ord("A") + int(digit)) for digit in str(number))
    return {
        "first_name": "Paule",
        "last_name": f"Nouvelle-{tag}",
        "date_of_birth": (date(1960, 1, 1) + timedelta(days=number)).isoformat(),
        "sex": "F",
        "health_insurance_number": "",
        "cell_phone": "",
        "email": f"paule.{tag.lower()}@example.org",
        "accept_terms": "on",
    }


@dataclass
class Sent:
    method: str
    path: str
    status: int
    served_by: str | None
    started: float
    ended: float


@dataclass
class Walk:
    """One patient's requests, in order, and how her booking ended."""

    sent: list[Sent] = field(default_factory=list)
    token: str = ""  # her booking session's, from its URL
    outcome: str = "unfinished"  # booked | 5xx | a description of what went wrong


class PatientBrowser:
    """A patient's browser: every request is recorded, and any answer of 5xx ends the walk
    (the patient would see an error page).

    A request that gets no answer at all on a connection used before is sent once more on
    a new one, as browsers do: to them it looks like the server closing an idle connection
    at the moment the request left (HTTP/1.1 keep-alive), and HAProxy answers so on purpose
    when an instance dies under a request that was not its connection's first (http-reuse
    "safe"). Such a request is recorded with status 0."""

    def __init__(self, client: httpx.AsyncClient, walk: Walk, on_answer=None) -> None:
        self.client, self.walk, self.on_answer = client, walk, on_answer

    async def send(self, method: str, path: str, expect: int, **kwargs) -> httpx.Response:
        for attempt in (1, 2):
            started = time.monotonic()
            try:
                response = await self.client.request(method, path, **kwargs)
                break
            except httpx.RemoteProtocolError as error:
                self.walk.sent.append(Sent(method, path, 0, None, started, time.monotonic()))
                if attempt == 2:
                    raise Stop(f"{method} {path}: no answer, {error}") from None
            except httpx.HTTPError as error:  # HAProxy itself never goes away
                raise Stop(f"{method} {path}: {type(error).__name__} {error}") from None
        self.walk.sent.append(
            Sent(method, path, response.status_code, served_by(response), started, time.monotonic())
        )
        if self.on_answer:
            self.on_answer()
        if response.status_code >= 500:
            raise Stop("5xx")
        if response.status_code != expect:
            raise Stop(f"{method} {path}: {response.status_code}, expected {expect}")
        return response


class Stop(Exception):
    pass


async def choose(patient: PatientBrowser, who: dict, slot_id: int, site: str = "centre-ville"):
    """The wizard as the pages lead, up to the review of `slot_id`, held: identify, the
    service, the availabilities. Returns the review page's URL."""
    page = await patient.send("GET", f"/{site}/", 200)
    identified = await patient.send(
        "POST", f"/{site}/", 303, data={**who, "form_token": form_token(page.text)}
    )
    service_url = identified.headers["location"]
    patient.walk.token = service_url.split("/b/")[1].split("/")[0]
    page = await patient.send("GET", service_url, 200)
    options = dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page.text))
    service_id = next(k for k, v in options.items() if html.unescape(v).strip() == SERVICE)
    await patient.send(
        "POST",
        service_url,
        303,
        data={
            "service": service_id,
            "reason": "Fièvre",
            "details": "",
            "preference": "asap",
            "form_token": form_token(page.text),
        },
    )
    slots_url = service_url.replace("/service", "/slots")
    page = await patient.send("GET", slots_url, 200)
    held = await patient.send(
        "POST", slots_url, 303, data={"slot": slot_id, "form_token": form_token(page.text)}
    )
    return held.headers["location"]


async def confirm(patient: PatientBrowser, review_url: str) -> None:
    """Book the slot under review; ends on the confirmation page."""
    page = await patient.send("GET", review_url, 200)
    booked = await patient.send("POST", review_url, 303, data={"form_token": form_token(page.text)})
    done = await patient.send("GET", booked.headers["location"], 200)
    if 'href="/a/' not in done.text:  # "View my appointment": the confirmation page
        raise Stop("the last page is not the confirmation")
    patient.walk.outcome = "booked"


async def book(patient: PatientBrowser, who: dict, slot_id: int) -> None:
    await confirm(patient, await choose(patient, who, slot_id))


async def walk(cluster, address: str, who: dict, slot_id: int, on_answer=None) -> Walk:
    record = Walk()
    async with browser(cluster, address) as client:
        try:
            await book(PatientBrowser(client, record, on_answer), who, slot_id)
        except Stop as stop:
            record.outcome = str(stop)
    return record


async def test_an_instance_killed_mid_storm_costs_only_its_requests_in_flight(serving):
    cluster = serving
    slots = await open_urgent_slots(MONDAY + timedelta(days=1), 8, 21)  # 52 on Tuesday
    assert len(slots) >= PATIENTS
    answered = 0
    kill_now = asyncio.Event()

    def count() -> None:
        nonlocal answered
        answered += 1
        if answered == PATIENTS * 3:  # a third of the way through the walks
            kill_now.set()

    killed_at = gone_at = None

    async def kill() -> None:
        """SIGKILL, and the moment the process is gone: until then (a few milliseconds
        on a busy machine) its kernel still takes connections, which then fail."""
        nonlocal killed_at, gone_at
        await kill_now.wait()
        process = cluster.instance("app1").process
        killed_at = time.monotonic()
        process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(process.wait)
        gone_at = time.monotonic()

    started = time.monotonic()
    killer = asyncio.create_task(kill())
    walks = await asyncio.gather(
        *(
            walk(cluster, f"127.0.1.{n + 1}", stranger(n), slots[n], on_answer=count)
            for n in range(PATIENTS)
        )
    )
    elapsed = time.monotonic() - started
    await asyncio.wait_for(killer, 5)
    print(f"\n{PATIENTS} patients, {answered} answers in {elapsed:.1f} s")

    sent = [s for w in walks for s in w.sent]
    outcomes = Counter(w.outcome for w in walks)
    # What the kill cost: requests on their way to app1 when it died. Those sent again by the
    # browser (status 0, then their second answer) or answered 502 by HAProxy; none later.
    dropped = [s for s in sent if s.status == 0]
    errors = [s for s in sent if s.status >= 500]
    in_flight = [s for s in sent if s.started < gone_at and s.ended > killed_at]
    print(
        f"gone {(gone_at - killed_at) * 1000:.0f} ms after SIGKILL; requests on their way to "
        f"either instance then: {len(in_flight)}; sent again: {len(dropped)}; "
        f"5xx: {len(errors)}; {dict(outcomes)}"
    )
    figures.record(
        "instance_killed",
        {
            "patients": PATIENTS,
            "in_flight": len(in_flight),
            "sent_again": len(dropped),
            "5xx": len(errors),
            "booked": outcomes["booked"],
        },
    )
    assert all(s.started < gone_at for s in dropped + errors), dropped + errors
    assert len(dropped) + len(errors) <= len(in_flight)
    assert all(s.status in (502, 503, 504) for s in errors), errors  # the gateway's, no app 500
    logged_errors = [r for r in requests(cluster) if r.status >= 500]
    assert len(logged_errors) == len(errors) and {r.server for r in logged_errors} <= {"app1"}
    # Every other patient booked: the kill cost nobody anything else.
    assert outcomes["booked"] + outcomes["5xx"] == PATIENTS, outcomes
    assert outcomes["5xx"] == len(errors)

    # HAProxy took app1 out and sent everything that came later to app2.
    assert server_went_down(cluster, "app1")
    after = [s for s in sent if s.started > gone_at and s.status]
    assert after and {s.served_by for s in after} == {"app2"}
    assert {s.served_by for s in sent if s.ended < killed_at} == set(INSTANCES)

    # The database: every confirmed booking once, on its patient's slot; no slot twice.
    tokens = [w.token for w in walks if w.token]
    sessions = {
        row["token"]: row["appointment"]
        for row in await BookingSession.select(
            BookingSession.token, BookingSession.appointment
        ).where(BookingSession.token.is_in(tokens))
    }
    rows = await Appointment.select(Appointment.id, Appointment.slot).where(
        Appointment.slot.is_in(slots) & (Appointment.status == "booked")
    )
    assert max(Counter(row["slot"] for row in rows).values()) == 1, "a slot booked twice"
    slot_of = {row["id"]: row["slot"] for row in rows}
    for number, record in enumerate(walks):
        if record.outcome == "booked":
            appointment = sessions[record.token]
            assert slot_of.get(appointment) == slots[number], f"patient {number}'s booking"
    # No appointment nobody was told of, but for patients a 502 cut off.
    assert outcomes["booked"] <= len(rows) <= outcomes["booked"] + outcomes["5xx"]

    # Started again, the instance is sent traffic again.
    restart(cluster, "app1")
    both_serving(cluster)


SECRETARY = "secretariat@demo.localhost"
ADMIN = "admin@demo.localhost"
PRACTITIONER = "julie.roy@demo.localhost"


async def staff(cluster, address: str, email: str, instance: str | None = None):
    """A staff browser at `address`, signed in (through HAProxy, or on one instance)."""
    client = browser(cluster, address, instance=instance)
    signed = await sign_in(client, email)
    assert signed.status_code == 303, signed.status_code
    return client


async def test_an_agenda_open_on_one_instance_hears_of_a_booking_made_on_the_other(serving):
    cluster = serving
    friday = MONDAY + timedelta(days=4)
    slots = await open_urgent_slots(friday, 9, 10)
    on_app1 = await staff(cluster, "127.0.2.1", SECRETARY, instance="app1")
    balanced = await staff(cluster, "127.0.2.2", SECRETARY)  # its stream through HAProxy
    who = stranger(1000)
    async with (
        open_stream(on_app1) as stream,
        open_stream(balanced) as balanced_stream,
        browser(cluster, "127.0.2.3", instance="app2") as client,
    ):
        patient = PatientBrowser(client, Walk())
        review_url = await choose(patient, who, slots[1])
        await asyncio.sleep(0.3)  # whatever the hold told the agendas has arrived
        heard_before = (len(stream.events), len(balanced_stream.events))
        started = time.monotonic()
        booking = asyncio.create_task(confirm(patient, review_url))
        event = await stream.next_event(DELIVERY_S)
        heard_after = time.monotonic() - started
        await booking
        assert patient.walk.outcome == "booked"
        assert {s.served_by for s in patient.walk.sent} == {None}  # straight to app2
        assert event is not None, "app1's agenda never heard of the booking made on app2"
        while len(stream.events) > heard_before[0] + 1:  # the hold's, if it came late
            event = stream.events[heard_before[0] + 1]
            break
        print(f"\nheard on app1 {heard_after * 1000:.0f} ms after the booking was sent to app2")
        assert heard_after < DELIVERY_S
        gagnon = await demo_lookup.practitioner_id(
            await demo_lookup.clinic_id("demo"), "Dr Marc Gagnon"
        )
        assert event["event"] == "agenda"
        assert gagnon in event["data"]["practitioners"]
        assert event["data"]["days"] == [friday.isoformat()]
        # The stream through the load balancer hears it too (HAProxy passes it on as it
        # comes, whichever instance holds it).
        assert (
            await balanced_stream.next_event(DELIVERY_S) is not None
            or len(balanced_stream.events) > heard_before[1]
        )
    # What the agenda then fetches, on app1, shows her.
    day = await on_app1.get(f"/staff/agenda/practitioner/{gagnon}/day/{friday.isoformat()}")
    assert day.status_code == 200 and who["last_name"] in html.unescape(day.text)
    await on_app1.aclose()
    await balanced.aclose()


async def test_open_agendas_streams_leave_the_instances_places_to_requests(serving):
    """HAProxy lets each instance work on a few requests at once (deploy/haproxy.cfg,
    maxconn), the others waiting in order, staff first. An agenda's event stream lasts as
    long as its page is open: more streams than both instances have places must still
    leave every place to pages."""
    cluster = serving
    secretary = await staff(cluster, "127.0.2.20", SECRETARY)
    places = 2 * 16
    async with contextlib.AsyncExitStack() as streams:
        for _ in range(places + 8):
            await streams.enter_async_context(open_stream(secretary))
        page = await asyncio.wait_for(secretary.get("/staff/"), 5)
        assert page.status_code in (200, 303), page.status_code
    await secretary.aclose()


CLINIC_FORM = {
    "name": "Clinique Démo",
    "phone": "514 555 0100",
    "time_zone": "America/Montreal",
    "default_language": "fr",
    "min_booking_notice_minutes": "60",
}


async def save_clinic(admin: httpx.AsyncClient, **changes: str) -> httpx.Response:
    page = await admin.get("/staff/administration/clinic")
    return await admin.post(
        "/staff/administration/clinic/clinic",
        data={**CLINIC_FORM, **changes, "_csrf_token": csrf(page.text)},
    )


async def test_a_setting_changed_on_one_instance_is_in_force_on_the_other_within_a_second(
    serving,
):
    cluster = serving
    admin = await staff(cluster, "127.0.2.10", ADMIN, instance="app1")
    async with (
        browser(cluster, "127.0.2.11", instance="app2") as patient,
        browser(cluster, "127.0.2.10", instance="app2") as admin_on_app2,
    ):
        # The administrator's session, opened on app1, is good on app2 (one database, one key).
        admin_on_app2.cookies = admin.cookies
        page = await admin_on_app2.get("/staff/administration/clinic")
        assert page.status_code == 200 and 'value="Clinique Démo"' in html.unescape(page.text)
        assert "Clinique Démo" in html.unescape((await patient.get("/centre-ville/")).text)
        try:
            saved = await save_clinic(admin, name="Clinique Démo Grappe")
            assert saved.status_code == 303
            started = time.monotonic()
            while "Clinique Démo Grappe" not in html.unescape(
                (await patient.get("/centre-ville/")).text
            ):
                assert time.monotonic() - started < IN_FORCE_S, "not in force on app2"
                await asyncio.sleep(0.02)
            print(f"\nin force on app2 after {(time.monotonic() - started) * 1000:.0f} ms")
        finally:
            assert (await save_clinic(admin)).status_code == 303
    await admin.aclose()


def alternating(answers: list[httpx.Response]) -> bool:
    names = [served_by(answer) for answer in answers]
    return set(names) == set(INSTANCES) and all(a != b for a, b in zip(names, names[1:]))


async def test_the_identification_limit_counts_across_both_instances(serving):
    """PER_IDENTITY: 10 failed attempts an hour for one identity, from any address."""
    cluster = serving
    who = {
        "first_name": "Jacques",
        "last_name": "Essai-Grappe",
        "date_of_birth": "1950-02-03",
        "sex": "M",
        "health_insurance_number": "",
        "cell_phone": "06 12 34 56 79",
        "email": "",
        "accept_terms": "on",
    }
    async with browser(cluster, "127.0.3.1", clinic="autre") as first:
        token = form_token((await first.get("/principal/")).text)  # one per site and hour
    answers = []
    for n in range(PER_IDENTITY.failures + 1):  # each from an address of its own
        async with browser(cluster, f"127.0.3.{n + 2}", clinic="autre") as guesser:
            answers.append(await guesser.post("/principal/", data={**who, "form_token": token}))
    counted, refused = answers[:-1], answers[-1]
    # At autre a stranger is turned away (no file): each attempt is a failed identification.
    assert [a.status_code for a in counted] == [200] * PER_IDENTITY.failures
    assert all("admissible" in html.unescape(a.text) for a in counted)
    assert alternating(answers), [served_by(a) for a in answers]  # 5 on each instance
    assert refused.status_code == 429
    assert "Trop de tentatives" in html.unescape(refused.text)


async def test_the_sign_in_lockout_counts_the_forwarded_address_across_both_instances(serving):
    """MAX_FAILURES per client: the address HAProxy saw, whatever a client writes in
    X-Forwarded-For itself; then refused with the right password too."""
    cluster = serving
    async with browser(cluster, "127.0.3.100") as guesser:
        page = await guesser.get("/staff/sign-in")
        token = csrf(page.text)
        answers = []
        for n in range(MAX_FAILURES + 1):
            right = n == MAX_FAILURES  # the last one: a real account, its right password
            answers.append(
                await guesser.post(
                    "/staff/sign-in",
                    data={
                        "email": SECRETARY if right else f"personne{n}@demo.localhost",
                        "password": PASSWORD if right else "wrong-password",
                        "next": "",
                        "_csrf_token": token,
                    },
                    headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},  # a new address each time
                )
            )
    assert [a.status_code for a in answers] == [422] * MAX_FAILURES + [429]
    assert alternating(answers), [served_by(a) for a in answers]
    assert "Trop de tentatives" in html.unescape(answers[-1].text)
    # The lock is that address's: from another one the same account signs in.
    other = await staff(cluster, "127.0.3.101", SECRETARY)
    await other.aclose()


async def test_the_sign_in_lockout_counts_an_accounts_failures_across_both_instances(serving):
    """MAX_FAILURES per account, from any address."""
    cluster = serving
    async with browser(cluster, "127.0.3.109") as first:
        page = await first.get("/staff/sign-in")
        cookies, token = first.cookies, csrf(page.text)  # the form's CSRF pair, anywhere
    answers = []
    for n in range(MAX_FAILURES + 1):
        right = n == MAX_FAILURES
        async with browser(cluster, f"127.0.3.{110 + n}") as client:
            client.cookies = cookies
            answers.append(
                await client.post(
                    "/staff/sign-in",
                    data={
                        "email": PRACTITIONER,
                        "password": PASSWORD if right else "wrong-password",
                        "next": "",
                        "_csrf_token": token,
                    },
                )
            )
    assert [a.status_code for a in answers] == [422] * MAX_FAILURES + [429]
    assert alternating(answers), [served_by(a) for a in answers]
