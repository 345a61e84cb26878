"""A booking sent twice: a double click, or a browser sending the POST again because its
answer was lost (an instance behind the load balancer died under it, see
test_cluster.py). Both answers lead to the confirmation, and there is one appointment."""

from __future__ import annotations

import asyncio

from app.booking.tables import Appointment, BookingSession
from tests.integration.portal_helpers import (
    MARIE,
    choose_service,
    form_token,
    identify,
    open_follow_ups,
    slot_ids,
    text,
)
from tests.moments import freeze


async def test_the_same_booking_sent_twice_at_once_confirms_both_times_and_books_once(demo):
    freeze()
    await open_follow_ups()
    identified = await identify(demo, MARIE)
    service_url = identified.headers["location"]
    await choose_service(demo, service_url, "Suivi avec mon médecin de famille")
    slots_url = service_url.replace("/service", "/slots")
    listing = await demo.get(slots_url)
    chosen = slot_ids(listing.text)[0]
    held = await demo.post(slots_url, data={"slot": chosen, "form_token": form_token(listing.text)})
    review_url = held.headers["location"]
    token = form_token((await demo.get(review_url)).text)

    answers = await asyncio.gather(
        *(demo.post(review_url, data={"form_token": token}) for _ in range(2))
    )
    assert [a.status_code for a in answers] == [303, 303]
    assert [a.headers["location"].rsplit("/", 1)[1] for a in answers] == ["done", "done"]
    done = await demo.get(answers[1].headers["location"])
    assert "Voir mon rendez-vous" in text(done)
    booked = await Appointment.select(Appointment.id).where(Appointment.slot == chosen)
    assert len(booked) == 1
    session = await BookingSession.select(BookingSession.appointment, BookingSession.slot).first()
    assert session == {"appointment": booked[0]["id"], "slot": chosen}
