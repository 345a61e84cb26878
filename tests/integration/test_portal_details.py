"""The appointment details page: the signed link, and each action inside and outside its window."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app import clock
from app.booking.tables import Appointment
from app.scheduling.tables import Slot
from tests.integration.portal_helpers import text, AUTRE, DEMO, NOW, book_marie_follow_up, form_token, freeze, open_follow_ups, slot_ids


@pytest.fixture
async def booked(client):
    """Marie's follow-up, booked through the wizard; yields the details URL."""
    freeze()
    await open_follow_ups()
    done = await book_marie_follow_up(client)
    yield re.search(r'href="(/a/[^"]+)"', done).group(1)
    clock.reset()


async def post_action(client, url: str, action: str, **data):
    page = await client.get(url, headers=DEMO)
    return await client.post(f"{url}/{action}", data={"form_token": form_token(page.text), **data}, headers=DEMO)


async def test_the_details_page_shows_the_appointment(client, booked):
    page = await client.get(booked + "?lang=en", headers=DEMO)
    assert page.status_code == 200
    appointment = await Appointment.objects().first()
    assert "Dre Julie Roy" in text(page) and "Tuesday, November 24, 2026" in text(page) and "9:00 AM" in text(page)
    assert "Please arrive 10 minutes early" in text(page)  # the site's message
    assert "Booked" in text(page) and appointment.status == "booked"


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
    lambda t: str(int(t.split(".")[0]) + 1) + t[t.index("."):],  # another appointment's id
    lambda t: t.split(".")[0],  # truncated
    lambda t: "x" * 300,
])
async def test_tampered_links_show_a_clear_page_and_no_appointment(client, booked, mangle):
    token = booked.split("/a/")[1]
    response = await client.get("/a/" + mangle(token), headers=DEMO)
    assert response.status_code == 404
    assert "Ce lien ne fonctionne pas" in text(response) and "Dre Julie Roy" not in text(response)


async def test_a_link_works_only_on_its_clinic_and_expires_after_the_appointment(client, booked):
    assert (await client.get(booked, headers=AUTRE)).status_code == 404
    clock.advance(timedelta(days=3))
    expired = await client.get(booked, headers=DEMO)
    assert expired.status_code == 404 and "Ce lien ne fonctionne pas" in text(expired)


async def test_confirm_presence_only_within_48_hours(client, booked):
    clock.freeze(NOW - timedelta(days=2))  # 74 hours before
    refused = await post_action(client, booked, "confirm")
    assert refused.status_code == 422 and "possible à partir du" in text(refused)
    assert (await Appointment.objects().first()).status == "booked"
    clock.freeze(NOW)  # 26 hours before
    done = await post_action(client, booked, "confirm")
    assert done.status_code == 303
    assert (await Appointment.objects().first()).status == "confirmed"


async def test_cancel_up_to_24_hours_before_frees_the_slot(client, booked):
    clock.freeze(NOW + timedelta(hours=3))  # 23 hours before
    refused = await post_action(client, booked, "cancel")
    assert refused.status_code == 422 and "appeler la clinique" in text(refused).lower()
    clock.freeze(NOW)
    page = await client.get(booked, headers=DEMO)
    done = await client.post(f"{booked}/cancel", data={"form_token": form_token(page.text)}, headers=DEMO)
    assert done.status_code == 303
    appointment = await Appointment.objects().first()
    assert appointment.status == "cancelled"
    assert (await Slot.objects().get(Slot.id == appointment.slot)).state == "open"
    # The page no longer offers to cancel; a replayed form is refused.
    again = await client.post(f"{booked}/cancel", data={"form_token": form_token(page.text)}, headers=DEMO)
    assert again.status_code == 422


async def test_i_have_arrived_within_30_minutes_before(client, booked):
    appointment = await Appointment.objects().first()
    clock.freeze(appointment.starts_at - timedelta(minutes=40))
    refused = await post_action(client, booked, "arrive")
    assert refused.status_code == 422
    clock.freeze(appointment.starts_at - timedelta(minutes=25))
    done = await post_action(client, booked, "arrive")
    assert done.status_code == 303
    assert (await Appointment.objects().first()).status == "arrived"


async def test_reschedule_moves_in_one_step(client, booked):
    before = await Appointment.objects().first()
    choices = await client.get(booked + "/reschedule", headers=DEMO)
    target = [s for s in slot_ids(choices.text) if s != before.slot][0]
    moved = await client.post(booked + "/reschedule", data={"slot": target, "form_token": form_token(choices.text)}, headers=DEMO)
    assert moved.status_code == 303 and "done=moved" in moved.headers["location"]
    after = await Appointment.objects().first()
    assert after.id == before.id and after.slot == target
    assert (await Slot.objects().get(Slot.id == before.slot)).state == "open"
    assert (await Slot.objects().get(Slot.id == target)).state == "booked"
    page = await client.get(moved.headers["location"], headers=DEMO)
    assert page.status_code == 200


async def test_reschedule_to_a_taken_slot_keeps_the_appointment(client, booked):
    before = await Appointment.objects().first()
    choices = await client.get(booked + "/reschedule", headers=DEMO)
    target = [s for s in slot_ids(choices.text) if s != before.slot][0]
    await Slot.update({Slot.state: "booked"}).where(Slot.id == target)  # someone else got it
    refused = await client.post(booked + "/reschedule", data={"slot": target, "form_token": form_token(choices.text)}, headers=DEMO)
    assert refused.status_code == 409 and "plus disponible" in text(refused)
    assert (await Appointment.objects().first()).slot == before.slot


async def test_unknown_actions_and_bad_input_change_nothing(client, booked):
    page = await client.get(booked, headers=DEMO)
    assert (await client.post(booked + "/delete", data={"form_token": form_token(page.text)}, headers=DEMO)).status_code in (404, 405)
    assert (await client.post(booked + "/cancel", data={"form_token": "nope"}, headers=DEMO)).status_code == 422
    assert (await client.post(booked + "/reschedule", data={"slot": "abc", "form_token": form_token(page.text)}, headers=DEMO)).status_code == 422
    assert (await Appointment.objects().first()).status == "booked"


async def test_reschedule_refuses_a_slot_that_was_never_offered(client, booked):
    """A forged form cannot move onto an unpublished slot (or a recurrence, another
    service's, another site's): only what the patient could have been offered."""
    from datetime import date, time

    from app.scheduling.services import SchedulingService
    from app.scheduling.tables import Activity, Practitioner

    before = await Appointment.objects().first()
    roy = await Practitioner.objects().get(Practitioner.name == "Dre Julie Roy")
    suivi = await Activity.objects().get((Activity.name_fr == "Suivi") & (Activity.clinic == before.clinic))
    opened = await SchedulingService(clinic_id=before.clinic).open_manual(
        practitioner_id=roy.id, site_id=before.site, activity_id=suivi.id, day=date(2026, 11, 27),
        start=time(9), end=time(9, 30), publish_at=NOW + timedelta(days=30),
    )
    hidden = (await Slot.objects().get(Slot.opening == opened.opening_id)).id
    choices = await client.get(booked + "/reschedule", headers=DEMO)
    assert hidden not in slot_ids(choices.text)
    refused = await client.post(booked + "/reschedule", data={"slot": hidden, "form_token": form_token(choices.text)}, headers=DEMO)
    assert refused.status_code == 409
    after = await Appointment.objects().first()
    assert after.slot == before.slot
    assert (await Slot.objects().get(Slot.id == hidden)).state == "open"
