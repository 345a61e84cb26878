"""The booking wizard over HTTP, as plain pages (no JavaScript) and as HTMX fragments."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from app import clock
from app.booking.tables import Appointment, BookingSession
from app.scheduling.tables import Slot
from tests.integration.portal_helpers import (
    text,
    AUTRE,
    DEMO,
    MARIE,
    STRANGER,
    book_marie_follow_up,
    choose_service,
    form_token,
    freeze,
    identify,
    open_follow_ups,
    option_labels,
    slot_ids,
)


@pytest.fixture
async def portal(client):
    freeze()
    await open_follow_ups()
    yield client
    clock.reset()


async def test_marie_books_a_follow_up_end_to_end(portal):
    identified = await identify(portal, MARIE)
    assert identified.status_code == 303
    service_url = identified.headers["location"]
    page = await portal.get(service_url, headers=DEMO)
    assert option_labels(page.text, "service") == [
        "Consultation urgente", "Suivi avec mon médecin de famille", "Vaccination", "Téléconsultation",
    ]
    saved = await choose_service(portal, service_url, "Suivi avec mon médecin de famille")
    summary = await portal.get(saved.headers["location"], headers=DEMO)
    assert "Trouver un rendez-vous" in text(summary)

    slots_url = service_url.replace("/service", "/slots")
    listing = await portal.get(slots_url, headers=DEMO)
    first_five = slot_ids(listing.text)
    assert len(first_five) == 5
    assert "Dre Julie Roy" in text(listing) and "Voir plus de disponibilités" in text(listing)
    more = await portal.get(slots_url + "?shown=10", headers=DEMO)
    assert slot_ids(more.text)[:5] == first_five and len(slot_ids(more.text)) == 10

    held = await portal.post(slots_url, data={"slot": first_five[0], "form_token": form_token(listing.text)}, headers=DEMO)
    assert held.status_code == 303
    review = await portal.get(held.headers["location"], headers=DEMO)
    assert "Réviser" in text(review) or "Vérifiez votre rendez-vous" in text(review)
    assert "Présentez-vous 10 minutes avant" in text(review)  # the site's message
    assert "1000 rue Sainte-Catherine Ouest" in text(review)  # the site's contact details

    booked = await portal.post(held.headers["location"], data={"form_token": form_token(review.text)}, headers=DEMO)
    done = await portal.get(booked.headers["location"], headers=DEMO)
    assert "Voir mon rendez-vous" in text(done) and "Ajouter au calendrier" in text(done)

    appointment = await Appointment.objects().first()
    assert appointment.source == "online" and appointment.status == "booked"
    assert appointment.patient is not None and appointment.contact_email == "marie.tremblay@example.org"
    assert appointment.reason == "Contrôle annuel"
    slot = await Slot.objects().get(Slot.id == first_five[0])
    assert slot.state == "booked" and slot.hold_token is None


async def test_the_calendar_file_is_in_the_clinics_time_zone(portal):
    done = await book_marie_follow_up(portal)
    ics_url = re.search(r'href="(/a/[^"]+)"', done).group(1)  # "View my appointment"
    response = await portal.get(ics_url + "/calendar.ics", headers=DEMO)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "America/Montreal"
    appointment = await Appointment.objects().first()
    assert start == appointment.starts_at


async def test_a_stranger_sees_only_services_open_to_everyone(portal):
    identified = await identify(portal, STRANGER)
    page = await portal.get(identified.headers["location"], headers=DEMO)
    assert option_labels(page.text, "service") == ["Consultation urgente"]


async def test_a_stranger_is_not_eligible_at_autre(client):
    response = await identify(client, {**STRANGER, "cell_phone": "06 12 34 56 78"}, headers=AUTRE, site="principal")
    assert response.status_code == 200
    assert "Vous n'êtes pas admissible à la prise de rendez-vous en ligne" in text(response)
    assert "01 45 55 01 00" in text(response)
    assert await BookingSession.count() == 0


async def test_bad_identity_is_answered_next_to_the_fields_and_kept(client):
    page = await client.get("/centre-ville/?lang=en", headers=DEMO)
    bad = {**MARIE, "date_of_birth": "1985-13-45", "email": "", "cell_phone": "", "accept_terms": "", "first_name": "Marie"}
    response = await client.post("/centre-ville/", data={**bad, "form_token": form_token(page.text)}, headers=DEMO)
    assert response.status_code == 422
    assert 'id="date_of_birth-error"' in text(response) and 'aria-invalid="true"' in text(response)
    assert 'value="Marie"' in text(response)  # what was typed is kept
    assert await BookingSession.count() == 0


async def test_a_forged_or_missing_form_token_changes_nothing(client):
    response = await client.post("/centre-ville/", data={**MARIE, "form_token": "123.forged"}, headers=DEMO)
    assert response.status_code == 422
    assert await BookingSession.count() == 0


async def test_the_race_for_one_slot_has_one_winner(portal):
    # Two patients (here: two tabs) look at the same list of follow-ups.
    first = (await identify(portal, MARIE)).headers["location"]
    second = (await identify(portal, MARIE)).headers["location"]
    for service_url in (first, second):
        await choose_service(portal, service_url, "Suivi avec mon médecin de famille")
    first_list = await portal.get(first.replace("/service", "/slots"), headers=DEMO)
    second_list = await portal.get(second.replace("/service", "/slots"), headers=DEMO)
    slot = slot_ids(first_list.text)[0]
    assert slot in slot_ids(second_list.text)
    won = await portal.post(first.replace("/service", "/slots"), data={"slot": slot, "form_token": form_token(first_list.text)}, headers=DEMO)
    assert won.status_code == 303
    lost = await portal.post(second.replace("/service", "/slots"), data={"slot": slot, "form_token": form_token(second_list.text)}, headers=DEMO)
    assert lost.status_code == 409
    assert "Ce rendez-vous n'est plus disponible" in text(lost)
    assert slot not in slot_ids(lost.text)  # sent back to a list without it


async def test_a_lapsed_hold_fails_cleanly_and_keeps_the_entries(portal):
    service_url = (await identify(portal, MARIE)).headers["location"]
    await choose_service(portal, service_url, "Suivi avec mon médecin de famille", reason="Douleur au genou")
    slots_url = service_url.replace("/service", "/slots")
    listing = await portal.get(slots_url, headers=DEMO)
    held = await portal.post(slots_url, data={"slot": slot_ids(listing.text)[0], "form_token": form_token(listing.text)}, headers=DEMO)
    review = await portal.get(held.headers["location"], headers=DEMO)
    clock.advance(timedelta(minutes=6))
    failed = await portal.post(held.headers["location"], data={"form_token": form_token(review.text)}, headers=DEMO)
    assert failed.status_code == 303 and "error=taken" in failed.headers["location"]
    back = await portal.get(failed.headers["location"], headers=DEMO)
    assert "Ce rendez-vous n'est plus disponible" in text(back)
    assert await Appointment.count() == 0
    session = await BookingSession.objects().first()
    assert session.reason == "Douleur au genou" and session.service is not None


async def test_htmx_gets_the_step_fragment_and_the_url_to_show(portal):
    service_url = (await identify(portal, MARIE)).headers["location"]
    fragment = await portal.get(service_url, headers={**DEMO, "HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in text(fragment) and "<header" not in text(fragment)
    # The step's own title, which htmx puts on the tab, then the step block.
    title, _, rest = text(fragment).partition("</title>")
    assert title == "<title>Service · Centre-ville · Clinique Démo"
    assert rest.lstrip().startswith('<div id="step">')
    assert fragment.headers["hx-push-url"] == service_url
    assert "HX-Request" in fragment.headers["vary"]


async def test_a_session_token_works_only_on_its_own_clinic_and_site(portal):
    service_url = (await identify(portal, MARIE)).headers["location"]
    assert (await portal.get(service_url, headers=AUTRE)).status_code == 404
    assert (await portal.get(service_url.replace("centre-ville", "laval"), headers=DEMO)).status_code == 404
    assert (await portal.get("/centre-ville/b/not-a-real-token/service", headers=DEMO)).status_code == 404


async def test_no_appointment_meets_the_criteria(client):
    freeze()
    try:
        service_url = (await identify(client, MARIE)).headers["location"]
        await choose_service(client, service_url, "Vaccination")
        page = await client.get(service_url.replace("/service", "/slots"), headers=DEMO)
        assert "Aucun rendez-vous ne correspond à vos critères" in text(page)
        assert "514 555 0100" in text(page)
    finally:
        clock.reset()


async def test_the_portal_may_be_framed_only_by_the_clinics_websites(client):
    from tenants.tables import Clinic

    await Clinic.update({Clinic.embed_origins: "https://www.clinique-demo.ca"}).where(Clinic.slug == "demo")
    response = await client.get("/centre-ville/", headers=DEMO)
    assert response.headers["content-security-policy"].endswith("; frame-ancestors 'self' https://www.clinique-demo.ca")
    other = await client.get("/principal/", headers=AUTRE)
    assert other.headers["content-security-policy"].endswith("; frame-ancestors 'self'")
    widget = await client.get("/centre-ville/widget.js", headers=DEMO)
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    assert '"http://demo.localhost:8000/centre-ville"' in text(widget)  # from the settings, not the Host
    assert "event.origin !== origin" in text(widget)
