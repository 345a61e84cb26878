"""The booking wizard over HTTP, as plain pages (no JavaScript) and as HTMX fragments."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from icalendar import Calendar

from app import clock
from app.booking.tables import Appointment, BookingSession
from app.scheduling.tables import Slot
from tests.integration.portal_helpers import (
    MARIE,
    STRANGER,
    book_marie_follow_up,
    choose_service,
    form_token,
    heading,
    identify,
    open_follow_ups,
    option_labels,
    slot_ids,
    text,
)
from tests.moments import freeze


@pytest.fixture
async def portal(demo):
    """The demo clinic's portal, Dre Julie Roy's follow-ups open, the clock frozen."""
    freeze()
    await open_follow_ups()
    return demo


async def test_marie_books_a_follow_up_end_to_end(portal):
    identified = await identify(portal, MARIE)
    assert identified.status_code == 303
    service_url = identified.headers["location"]
    page = await portal.get(service_url)
    assert option_labels(page.text, "service") == [
        "Consultation urgente",
        "Suivi avec mon médecin de famille",
        "Vaccination",
        "Téléconsultation",
    ]
    saved = await choose_service(portal, service_url, "Suivi avec mon médecin de famille")
    summary = await portal.get(saved.headers["location"])
    assert "Trouver un rendez-vous" in text(summary)

    slots_url = service_url.replace("/service", "/slots")
    listing = await portal.get(slots_url)
    first_five = slot_ids(listing.text)
    assert len(first_five) == 5
    assert "Dre Julie Roy" in text(listing) and "Voir plus de disponibilités" in text(listing)
    more = await portal.get(slots_url + "?shown=10")
    assert slot_ids(more.text)[:5] == first_five and len(slot_ids(more.text)) == 10

    held = await portal.post(
        slots_url, data={"slot": first_five[0], "form_token": form_token(listing.text)}
    )
    assert held.status_code == 303
    review = await portal.get(held.headers["location"])
    assert heading(review) == "Vérifiez votre rendez-vous"
    assert "Présentez-vous 10 minutes avant" in text(review)  # the site's message
    assert "1000 rue Sainte-Catherine Ouest" in text(review)  # the site's contact details

    booked = await portal.post(
        held.headers["location"], data={"form_token": form_token(review.text)}
    )
    done = await portal.get(booked.headers["location"])
    assert "Voir mon rendez-vous" in text(done) and "Ajouter au calendrier" in text(done)

    appointment = await Appointment.objects().first()
    assert appointment.source == "online" and appointment.status == "booked"
    assert (
        appointment.patient is not None
        and appointment.contact_email == "marie.tremblay@example.org"
    )
    assert appointment.reason == "Contrôle annuel"
    slot = await Slot.objects().get(Slot.id == first_five[0])
    assert slot.state == "booked" and slot.hold_token is None


async def test_the_calendar_file_is_in_the_clinics_time_zone(portal):
    done = await book_marie_follow_up(portal)
    ics_url = re.search(r'href="(/a/[^"]+)"', done).group(1)  # "View my appointment"
    response = await portal.get(ics_url + "/calendar.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/calendar"
    )
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "America/Montreal"
    appointment = await Appointment.objects().first()
    assert start == appointment.starts_at


async def test_a_stranger_sees_only_services_open_to_everyone(portal):
    identified = await identify(portal, STRANGER)
    page = await portal.get(identified.headers["location"])
    assert option_labels(page.text, "service") == ["Consultation urgente"]


async def test_a_stranger_is_not_eligible_at_autre(autre):
    response = await identify(autre, {**STRANGER, "cell_phone": "06 12 34 56 78"}, site="principal")
    assert response.status_code == 200
    assert "Vous n'êtes pas admissible à la prise de rendez-vous en ligne" in text(response)
    assert "01 45 55 01 00" in text(response)
    assert await BookingSession.count() == 0


async def test_bad_identity_is_answered_next_to_the_fields_and_kept(demo):
    page = await demo.get("/centre-ville/?lang=en")
    bad = {
        **MARIE,
        "date_of_birth": "1985-13-45",
        "email": "",
        "cell_phone": "",
        "accept_terms": "",
        "first_name": "Marie",
    }
    response = await demo.post("/centre-ville/", data={**bad, "form_token": form_token(page.text)})
    assert response.status_code == 422
    assert 'id="date_of_birth-error"' in text(response) and 'aria-invalid="true"' in text(response)
    assert 'value="Marie"' in text(response)  # what was typed is kept
    assert await BookingSession.count() == 0


def forged(token: str) -> str:
    """The same hour, a signature of the right shape that is not the server's."""
    hour, signature = token.split(".")
    return f"{hour}.{signature[:-1]}{'1' if signature[-1] == '0' else '0'}"


async def test_a_forged_or_missing_form_token_changes_nothing(demo):
    page = await demo.get("/centre-ville/")
    genuine = form_token(page.text)
    laval = form_token((await demo.get("/laval/")).text)  # signed, but for another site's form
    for token in ("", forged(genuine), laval):
        response = await demo.post("/centre-ville/", data={**MARIE, "form_token": token})
        assert response.status_code == 422, token
        assert "Cette page a expiré" in text(response)
    assert await BookingSession.count() == 0
    # The genuine token goes through: only the signature made the difference.
    assert (
        await demo.post("/centre-ville/", data={**MARIE, "form_token": genuine})
    ).status_code == 303


async def test_a_form_token_expires_after_two_hours(demo):
    freeze()
    page = await demo.get("/centre-ville/")
    clock.advance(timedelta(hours=2))
    response = await demo.post(
        "/centre-ville/", data={**MARIE, "form_token": form_token(page.text)}
    )
    assert response.status_code == 422 and await BookingSession.count() == 0


async def test_a_form_token_works_only_in_its_own_session(portal):
    """Each step's form is signed for its session: a token from another booking (another
    tab, or a link an attacker sends) changes nothing in this one."""
    mine = (await identify(portal, MARIE)).headers["location"]
    theirs = (await identify(portal, MARIE)).headers["location"]
    await choose_service(portal, theirs, "Suivi avec mon médecin de famille")
    their_token = form_token((await portal.get(theirs)).text)
    my_page = await portal.get(mine)
    service = re.search(r'<option value="(\d+)"[^>]*>Suivi avec', my_page.text).group(1)
    choice = {"service": service, "reason": "Contrôle annuel", "details": "", "preference": "asap"}
    for token in (their_token, forged(form_token(my_page.text))):
        refused = await portal.post(mine, data={**choice, "form_token": token})
        assert refused.status_code == 422 and "Cette page a expiré" in text(refused)
    mine_token = mine.split("/b/")[1].split("/")[0]
    assert (await BookingSession.objects().get(BookingSession.token == mine_token)).service is None

    # The slot step alike: no hold is taken with their token.
    their_slots = theirs.replace("/service", "/slots")
    listing = await portal.get(their_slots)
    slot = slot_ids(listing.text)[0]
    for token in (form_token(my_page.text), forged(form_token(listing.text))):
        refused = await portal.post(their_slots, data={"slot": slot, "form_token": token})
        assert refused.status_code == 422
    assert (await Slot.objects().get(Slot.id == slot)).hold_token is None


async def test_the_race_for_one_slot_has_one_winner(portal):
    # Two patients (here: two tabs) look at the same list of follow-ups.
    first = (await identify(portal, MARIE)).headers["location"]
    second = (await identify(portal, MARIE)).headers["location"]
    for service_url in (first, second):
        await choose_service(portal, service_url, "Suivi avec mon médecin de famille")
    first_list = await portal.get(first.replace("/service", "/slots"))
    second_list = await portal.get(second.replace("/service", "/slots"))
    slot = slot_ids(first_list.text)[0]
    assert slot in slot_ids(second_list.text)
    won = await portal.post(
        first.replace("/service", "/slots"),
        data={"slot": slot, "form_token": form_token(first_list.text)},
    )
    assert won.status_code == 303
    lost = await portal.post(
        second.replace("/service", "/slots"),
        data={"slot": slot, "form_token": form_token(second_list.text)},
    )
    assert lost.status_code == 409
    assert "Ce rendez-vous n'est plus disponible" in text(lost)
    assert slot not in slot_ids(lost.text)  # sent back to a list without it


async def test_a_lapsed_hold_fails_cleanly_and_keeps_the_entries(portal):
    service_url = (await identify(portal, MARIE)).headers["location"]
    await choose_service(
        portal, service_url, "Suivi avec mon médecin de famille", reason="Douleur au genou"
    )
    slots_url = service_url.replace("/service", "/slots")
    listing = await portal.get(slots_url)
    held = await portal.post(
        slots_url, data={"slot": slot_ids(listing.text)[0], "form_token": form_token(listing.text)}
    )
    review = await portal.get(held.headers["location"])
    clock.advance(timedelta(minutes=6))
    failed = await portal.post(
        held.headers["location"], data={"form_token": form_token(review.text)}
    )
    assert failed.status_code == 303 and "error=taken" in failed.headers["location"]
    back = await portal.get(failed.headers["location"])
    assert "Ce rendez-vous n'est plus disponible" in text(back)
    assert await Appointment.count() == 0
    session = await BookingSession.objects().first()
    assert session.reason == "Douleur au genou" and session.service is not None


async def test_htmx_gets_the_step_fragment_and_the_url_to_show(portal):
    service_url = (await identify(portal, MARIE)).headers["location"]
    fragment = await portal.get(service_url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in text(fragment) and "<header" not in text(fragment)
    # The step's own title, which htmx puts on the tab, then the step block.
    title, _, rest = text(fragment).partition("</title>")
    assert title == "<title>Service · Centre-ville · Clinique Démo"
    assert rest.lstrip().startswith('<div id="step">')
    assert fragment.headers["hx-push-url"] == service_url
    assert "HX-Request" in fragment.headers["vary"]


async def test_a_session_token_works_only_on_its_own_clinic_and_site(portal, autre):
    service_url = (await identify(portal, MARIE)).headers["location"]
    assert (await portal.get(service_url)).status_code == 200
    assert (await autre.get(service_url)).status_code == 404
    assert (await portal.get(service_url.replace("centre-ville", "laval"))).status_code == 404
    assert (await portal.get("/centre-ville/b/not-a-real-token/service")).status_code == 404


async def test_no_appointment_meets_the_criteria(demo):
    freeze()
    service_url = (await identify(demo, MARIE)).headers["location"]
    await choose_service(demo, service_url, "Vaccination")
    page = await demo.get(service_url.replace("/service", "/slots"))
    assert "Aucun rendez-vous ne correspond à vos critères" in text(page)
    assert "514 555 0100" in text(page)


async def test_the_portal_may_be_framed_only_by_the_clinics_websites(demo, autre):
    from tenants.tables import Clinic

    await Clinic.update({Clinic.embed_origins: "https://www.clinique-demo.ca"}).where(
        Clinic.slug == "demo"
    )
    response = await demo.get("/centre-ville/")
    assert response.headers["content-security-policy"].endswith(
        "; frame-ancestors 'self' https://www.clinique-demo.ca"
    )
    other = await autre.get("/principal/")
    assert other.headers["content-security-policy"].endswith("; frame-ancestors 'self'")
    widget = await demo.get("/centre-ville/widget.js")
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    assert '"http://demo.localhost:8000/centre-ville"' in text(
        widget
    )  # from the settings, not the Host
    assert "event.origin !== origin" in text(widget)


async def test_a_slot_she_was_not_offered_is_refused_and_held_by_nobody(portal):
    """The form names a slot by id: only one the search would offer her is held (another
    activity, another site, another clinic, not yet published, before the notice)."""
    from app.events import Actor
    from app.listeners import make_bus
    from app.scheduling.services import SchedulingService
    from tests.integration import demo_lookup
    from tests.moments import NOW

    demo = await demo_lookup.clinic_id("demo")
    autre = await demo_lookup.clinic_id("autre")
    day = NOW.date() + timedelta(days=1)

    async def opened(clinic: int, site: str, activity: str, practitioner: str, **more) -> int:
        scheduling = SchedulingService(clinic_id=clinic, bus=make_bus())
        done = await scheduling.open_manual(
            actor=Actor.system("test"),
            practitioner_id=await demo_lookup.practitioner_id(clinic, practitioner),
            site_id=await demo_lookup.site_id(clinic, site),
            activity_id=await demo_lookup.activity_id(clinic, activity),
            day=more.pop("day", day),
            start=more.pop("start", time(14)),
            end=more.pop("end", time(16)),
            **more,
        )
        row = await Slot.select(Slot.id).where(Slot.opening == done.opening_id).first()
        return row["id"]

    not_offered = {
        "another activity": await opened(demo, "centre-ville", "Vaccination", "Dre Julie Roy"),
        "another site": await opened(demo, "laval", "Suivi", "Dr Marc Gagnon"),
        "not yet published": await opened(
            demo,
            "centre-ville",
            "Suivi",
            "Dre Julie Roy",
            start=time(16),
            end=time(17),
            publish_at=NOW + timedelta(days=1),
        ),
        "before the notice": await opened(
            demo,
            "centre-ville",
            "Suivi",
            "Dre Julie Roy",
            day=NOW.date(),  # 07:00 in Montreal: 07:30 is inside the hour's notice
            start=time(7, 30),
            end=time(8),
        ),
    }
    not_offered["another clinic"] = await opened(
        autre, "principal", "Consultation", "Dr Claire Martin"
    )
    service_url = (await identify(portal, MARIE)).headers["location"]
    await choose_service(portal, service_url, "Suivi avec mon médecin de famille")
    slots_url = service_url.replace("/service", "/slots")
    listing = await portal.get(slots_url)
    for case, slot in not_offered.items():
        refused = await portal.post(
            slots_url, data={"slot": slot, "form_token": form_token(listing.text)}
        )
        assert refused.status_code == 409, case
        assert "Ce rendez-vous n'est plus disponible" in text(refused), case
    assert await Slot.count().where(Slot.hold_token.is_not_null()) == 0
    # And one she was offered, deep in the list, is held.
    deep = slot_ids((await portal.get(slots_url + "?shown=20")).text)[-1]
    held = await portal.post(slots_url, data={"slot": deep, "form_token": form_token(listing.text)})
    assert held.status_code == 303
