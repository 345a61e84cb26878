"""Earlier-slot offers (issue 15): patients wait for an earlier appointment; a freed slot
is offered to up to five of them at once, the first to follow the link books it, the
others are told it went; caps, quiet hours, the stop link, and links as an attacker
would use them. The clock is frozen and moved; the outbox is delivered by the test."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest

from app import clock
from app.booking.tables import Appointment, AppointmentStatus
from app.waitlist import links, matching
from app.waitlist.tables import Offer, WaitRequest, WaitStatus
from tests.integration.demo_lookup import activity_id, service_id
from tests.integration.messaging_helpers import (
    JEAN_EMAIL,
    body,
    local,
)
from tests.integration.portal_helpers import (
    STRANGER,
    choose_service,
    form_token,
    identify,
    text,
)
from tests.integration.staff_helpers import signed_in
from tests.moments import NOW

WEDNESDAY = date(2026, 11, 25)
MORNING = local(NOW.date(), time(10))  # Monday 10:00 in Montreal: outside quiet hours
WAITERS = ("ana@example.org", "bo@example.org", "cy@example.org")
OFFER_LINK = re.compile(r"https?://[^/\s]+(/centre-ville/earlier/[A-Za-z0-9._-]+)")
STOP_LINK = re.compile(r"https?://[^/\s]+(/centre-ville/earlier/stop/[A-Za-z0-9._-]+)")


async def urgent(comms) -> tuple[int, int]:
    """The urgent-consultation service (open to everyone) and its activity."""
    return (
        await service_id(comms.clinic, "Urgent consultation"),
        await activity_id(comms.clinic, "Consultation urgente"),
    )


async def wait(
    comms,
    address: str,
    *,
    at: datetime,
    appointment: int | None = None,
    patient: int | None = None,
    until: date = WEDNESDAY + timedelta(days=7),
    channel: str = "email",
) -> int:
    service, _ = await urgent(comms)
    rows = await WaitRequest.insert(
        WaitRequest(
            clinic=comms.clinic,
            site=comms.sites["centre-ville"],
            service=service,
            patient=patient,
            appointment=appointment,
            provisional=None if patient else {"first_name": "X", "last_name": address[:2]},
            channel=channel,
            address=address,
            contact_email=address if channel == "email" else None,
            contact_phone=address if channel == "sms" else None,
            language="en",
            until=until,
            status=WaitStatus.WAITING.value,
            nonce=links.new_nonce(),
            created_at=at,
        )
    ).returning(WaitRequest.id)
    return rows[0]["id"]


async def booked_slot(comms, starts: datetime) -> tuple[int, int]:
    """Jean has the urgent slot at `starts` (reception booked it): (appointment, slot)."""
    _, activity = await urgent(comms)
    appointment = await comms.staff_book(
        starts, patient="jean", activity=activity, contact_email=JEAN_EMAIL
    )
    row = await Appointment.select(Appointment.slot).where(Appointment.id == appointment).first()
    return appointment, row["slot"]


def offer_paths(comms, address: str) -> list[str]:
    """The one-step links of the offers this address was sent, oldest first."""
    return [
        OFFER_LINK.search(body(m)).group(1)
        for m in comms.emails(address)
        if m["Subject"] == "An earlier appointment is free"
    ]


async def take(client, path: str):
    page = await client.get(path)
    assert page.status_code == 200, page.text
    assert 'name="form_token"' in page.text, text(page)[-1500:]
    return await client.post(path, data={"form_token": form_token(page.text)})


@pytest.fixture
async def three(comms):
    """Three patients wait, in order; Jean holds Wednesday 9:00, the only urgent slot."""
    clock.freeze(MORNING)
    appointment, slot = await booked_slot(comms, local(WEDNESDAY, time(9)))
    for n, address in enumerate(WAITERS):
        await wait(comms, address, at=MORNING - timedelta(hours=3 - n))
    return appointment, slot


async def test_a_freed_slot_goes_to_all_three_and_the_first_click_books_it(comms, three, demo):
    appointment, slot = three
    await comms.cancel(appointment)  # its listener offers the freed slot at once
    await comms.deliver()
    for address in WAITERS:
        assert comms.subjects(address) == ["An earlier appointment is free"]
        assert "Wednesday, November 25, 2026 at 9:00\u202fAM, Downtown." in body(
            comms.emails(address)[0]
        )
    first, second, third = (offer_paths(comms, a)[0] for a in WAITERS)
    # All three open their link before anyone books: each sees the button.
    pages = {path: await demo.get(path) for path in (first, second, third)}
    assert all("Book this appointment" in text(page) for page in pages.values())

    def post(path):
        return demo.post(path, data={"form_token": form_token(pages[path].text)})

    won = await post(second)
    assert won.status_code == 200 and "Your appointment is booked" in text(won)
    for path in (first, third):
        lost = await post(path)
        assert lost.status_code == 409 and "This appointment has been taken" in text(lost)
    assert "This appointment has been taken" in text(await demo.get(first))
    booked = await Appointment.select().where(
        (Appointment.slot == slot) & (Appointment.status != AppointmentStatus.CANCELLED)
    )
    assert len(booked) == 1 and booked[0]["contact_email"] == WAITERS[1]
    await comms.deliver()
    assert comms.subjects(WAITERS[0])[-1] == "The earlier appointment has been taken"
    assert comms.subjects(WAITERS[2])[-1] == "The earlier appointment has been taken"
    assert comms.subjects(WAITERS[1]) == [
        "An earlier appointment is free",
        "Your appointment is confirmed",
    ]
    statuses = {r["address"]: r["status"] for r in await WaitRequest.select()}
    assert statuses == {WAITERS[0]: "waiting", WAITERS[1]: "booked", WAITERS[2]: "waiting"}


async def test_an_offer_by_text_message_carries_both_links_and_books(comms, demo):
    clock.freeze(MORNING)
    appointment, slot = await booked_slot(comms, local(WEDNESDAY, time(9)))
    cell = "+15145550177"
    await wait(comms, cell, at=MORNING - timedelta(hours=1), channel="sms")
    await comms.cancel(appointment)
    await comms.deliver()
    [offer] = comms.texts(cell)
    assert offer.startswith(
        "An earlier appointment is free at Clinique Démo: Wednesday, November 25"
    )
    assert "9:00\u202fAM, Downtown." in offer  # its site, in her language
    assert STOP_LINK.search(offer)
    path = OFFER_LINK.search(offer).group(1)
    assert (await take(demo, path)).status_code == 200
    [booked] = await Appointment.select().where(
        (Appointment.slot == slot) & (Appointment.status != AppointmentStatus.CANCELLED)
    )
    assert booked["contact_phone"] == cell and booked["contact_email"] is None
    await comms.deliver()
    assert comms.texts(cell)[-1].startswith("Clinique Démo: This confirms your on-site appointment")


async def test_five_at_once_in_order_of_request(comms):
    clock.freeze(MORNING)
    appointment, _ = await booked_slot(comms, local(WEDNESDAY, time(9)))
    addresses = [f"p{n}@example.org" for n in range(7)]
    for n, address in enumerate(addresses):
        await wait(comms, address, at=MORNING - timedelta(hours=10 - n))
    await comms.cancel(appointment)
    await comms.deliver()
    assert [a for a in addresses if comms.emails(a)] == addresses[:5]


async def test_a_runaway_slot_sends_each_patient_at_most_three_messages_a_day(comms, three):
    appointment, slot = three
    starts = local(WEDNESDAY, time(9))
    for turn in range(20):
        clock.freeze(MORNING + timedelta(minutes=20 * turn))
        await comms.cancel(appointment)  # freed: offered
        await comms.deliver()
        appointment = await comms.staff_book(
            starts, patient="jean", contact_email=JEAN_EMAIL, activity=(await urgent(comms))[1]
        )  # taken again
        await comms.deliver()
    for address in WAITERS:
        assert 1 <= len(comms.emails(address)) <= matching.DAILY
    # The next day the budget is whole again.
    clock.freeze(MORNING + timedelta(days=1))
    await comms.cancel(appointment)
    await comms.deliver()
    assert all(len(comms.emails(a)) <= matching.DAILY + 1 for a in WAITERS)


async def test_ten_offers_in_all_then_the_request_ends(comms):
    clock.freeze(MORNING)
    request = await wait(comms, WAITERS[0], at=MORNING - timedelta(hours=1))
    _, activity = await urgent(comms)
    for day in range(12):
        clock.freeze(MORNING + timedelta(days=day))
        appointment = await comms.staff_book(
            local(WEDNESDAY + timedelta(days=day), time(11)),
            patient="jean",
            activity=activity,
            contact_email=JEAN_EMAIL,
        )
        await comms.cancel(appointment)
        await Offer.update({Offer.outcome: "taken"}).where(Offer.request == request)
    await matching.match(comms.clinic)
    row = await WaitRequest.select().where(WaitRequest.id == request).first()
    assert row["offers_made"] == matching.TOTAL and row["status"] == "ended"


async def test_nothing_is_offered_in_quiet_hours_and_the_morning_sweep_does(comms, three):
    appointment, _ = three
    clock.freeze(local(NOW.date(), time(22)))
    await comms.cancel(appointment)
    assert await Offer.count() == 0
    clock.freeze(local(NOW.date(), time(6)) + timedelta(days=1))
    assert await matching.sweep() == 0
    clock.freeze(local(NOW.date(), time(8)) + timedelta(days=1))
    assert await matching.sweep() == 3
    await comms.deliver()
    assert all(comms.emails(a) for a in WAITERS)


async def test_the_stop_link_is_honoured(comms, three, demo):
    appointment, _ = three
    await comms.cancel(appointment)
    await comms.deliver()
    offer = offer_paths(comms, WAITERS[0])[0]
    before = await demo.get(offer)
    stop = STOP_LINK.search(body(comms.emails(WAITERS[0])[0])).group(1)
    page = await demo.get(stop)
    assert page.status_code == 200 and "Stop these messages" in text(page)
    # A GET (a mail scanner following the link) changes nothing.
    assert (await WaitRequest.select().where(WaitRequest.address == WAITERS[0]).first())[
        "status"
    ] == "waiting"
    bad = await demo.post(stop, data={"form_token": "1.forged"})
    assert bad.status_code == 422
    done = await demo.post(stop, data={"form_token": form_token(page.text)})
    assert done.status_code == 200 and "no more messages" in text(done)
    row = await WaitRequest.select().where(WaitRequest.address == WAITERS[0]).first()
    assert row["status"] == "stopped"
    # Its open offer is dead, and it is never offered again.
    assert "You asked us to stop these messages" in text(await demo.get(offer))
    late = await demo.post(offer, data={"form_token": form_token(before.text)})
    assert late.status_code == 409
    await matching.match(comms.clinic)
    assert await Offer.count().where(Offer.request == row["id"]) == 1


async def test_tampered_and_other_clinic_links_are_refused(comms, three, demo, autre):
    appointment, _ = three
    await comms.cancel(appointment)
    await comms.deliver()
    path = offer_paths(comms, WAITERS[0])[0]
    offer_id, signature = path.rsplit("/", 1)[1].split(".")
    for forged in (
        f"{offer_id}.{signature[:-1]}A"
        if signature[-1] != "A"
        else f"{offer_id}.{signature[:-1]}B",
        f"{int(offer_id) + 1}.{signature}",
        f"{offer_id}",
        "99999999999999999999.x",
        "%00%ff.é",
    ):
        base = path.rsplit("/", 1)[0]
        assert (await demo.get(f"{base}/{forged}")).status_code == 404
        assert (await demo.post(f"{base}/{forged}", data={"form_token": "x"})).status_code == 404
    # The right link on another site, or on the other clinic's host, opens nothing.
    assert (await demo.get(path.replace("/centre-ville/", "/laval/"))).status_code == 404
    assert (await autre.get(path)).status_code == 404
    assert await Offer.count().where(Offer.outcome == "open") == 3


async def test_a_booked_patients_offer_moves_the_appointment(comms, demo):
    clock.freeze(MORNING)
    _, activity = await urgent(comms)
    early, _ = await booked_slot(comms, local(WEDNESDAY, time(9)))
    late = await comms.staff_book(
        local(WEDNESDAY + timedelta(days=2), time(15)),
        patient="marie",
        activity=activity,
        contact_email="marie@example.org",
    )
    await wait(
        comms,
        "marie@example.org",
        at=MORNING - timedelta(hours=1),
        appointment=late,
        patient=comms.patients["marie"],
    )
    await comms.cancel(early)
    await comms.deliver()
    moved = await take(demo, offer_paths(comms, "marie@example.org")[0])
    assert moved.status_code == 200 and "Your appointment has been moved" in text(moved)
    row = await Appointment.select().where(Appointment.id == late).first()
    assert row["starts_at"] == local(WEDNESDAY, time(9)) and row["status"] == "booked"
    assert (await WaitRequest.select().first())["status"] == "booked"


async def test_a_later_slot_is_not_offered_to_a_booked_patient(comms):
    clock.freeze(MORNING)
    _, activity = await urgent(comms)
    mine = await comms.staff_book(
        local(WEDNESDAY, time(9)),
        patient="marie",
        activity=activity,
        contact_email="marie@example.org",
    )
    later, _ = await booked_slot(comms, local(WEDNESDAY, time(14)))
    await wait(
        comms, "marie@example.org", at=MORNING, appointment=mine, patient=comms.patients["marie"]
    )
    await comms.cancel(later)
    assert await Offer.count() == 0
    await comms.cancel(mine)  # the request tied to it ends with it
    assert (await WaitRequest.select().first())["status"] == "cancelled"


async def test_asking_on_the_availabilities_step_when_nothing_fits(comms, demo):
    clock.freeze(MORNING)
    service_url = (await identify(demo, {**STRANGER, "email": "paul@example.org"})).headers[
        "location"
    ]
    await choose_service(demo, service_url, "Consultation urgente")
    slots = await demo.get(service_url.replace("/service", "/slots"))
    assert "Prévenez-moi si une place se libère plus tôt" in text(slots) or (
        "Tell me if an earlier appointment opens" in text(slots)
    )
    ask = service_url.replace("/service", "/earlier")
    token = form_token(slots.text)
    for bad, field in (
        ({"until": "", "channel": "sms"}, "until"),
        ({"until": "2026-02-30", "channel": "sms"}, "until"),
        ({"until": "2026-11-01", "channel": "sms"}, "until"),
        ({"until": "2029-01-01", "channel": "sms"}, "until"),
        ({"until": "2026-12-01", "channel": "pigeon"}, "channel"),
        ({"until": "20261201xx", "channel": "sms"}, "until"),
        ({"until": "2026-W49-1", "channel": "sms"}, "until"),
        ({"until": "２０２６-１２-０１", "channel": "sms"}, "until"),
    ):
        answer = await demo.post(ask, data={**bad, "form_token": token})
        assert answer.status_code == 422, bad
        assert f'id="{field}-error"' in answer.text, bad
    assert (await demo.post(ask, data={"until": "2026-12-01", "channel": "sms"})).status_code == 422
    assert await WaitRequest.count() == 0
    saved = await demo.post(
        ask, data={"until": "2026-12-01", "channel": "email", "form_token": token}
    )
    assert saved.status_code == 303
    assert (await demo.get(saved.headers["location"])).status_code == 200
    again = await demo.post(
        ask, data={"until": "2026-12-05", "channel": "sms", "form_token": token}
    )
    assert again.status_code == 303
    rows = await WaitRequest.select()
    assert len(rows) == 1 and rows[0]["until"] == date(2026, 12, 5) and rows[0]["channel"] == "sms"
    assert rows[0]["address"] == "+15145550199" and rows[0]["patient"] is None


async def test_the_staff_see_the_waiting_list_per_service(comms, three, demo):
    await signed_in(demo, "secretariat@demo.localhost")
    page = await demo.get("/staff/waiting-list")
    assert page.status_code == 200
    shown = text(page)
    assert all(address in shown for address in WAITERS)
    assert shown.index(WAITERS[0]) < shown.index(WAITERS[1]) < shown.index(WAITERS[2])
