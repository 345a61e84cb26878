"""The appointment details page: the signed link, and each action inside and outside its window."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest

from app import clock
from app.booking.links import GRACE, make_token
from app.booking.services import BookingDetails, BookingService
from app.booking.tables import Appointment
from app.listeners import make_bus
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Slot
from app.settings import load
from tenants.tables import WorkSite
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.portal_helpers import (
    book_marie_follow_up,
    form_token,
    open_follow_ups,
    slot_ids,
    text,
)
from tests.moments import NOW, freeze

TUESDAY = NOW.date() + timedelta(days=1)
LINK_DOES_NOT_WORK = "Ce lien ne fonctionne pas"


@pytest.fixture
async def booked(demo):
    """Marie's follow-up on Tuesday 09:00, booked through the wizard; yields the details URL."""
    freeze()
    await open_follow_ups()
    done = await book_marie_follow_up(demo)
    return re.search(r'href="(/a/[^"]+)"', done).group(1)


async def staff_booked(
    *, site: str, practitioner: str, activity: str, day: date, at: time, patient: str
) -> str:
    """An appointment reception booked (on a slot opened for it); its details URL."""
    clinic = await demo_lookup.clinic_id("demo")
    minutes = {"Suivi": 30, "Téléconsultation": 20}[activity]
    opened = await SchedulingService(clinic_id=clinic, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await demo_lookup.practitioner_id(clinic, practitioner),
        site_id=await demo_lookup.site_id(clinic, site),
        activity_id=await demo_lookup.activity_id(clinic, activity),
        day=day,
        start=at,
        end=(datetime.combine(day, at) + timedelta(minutes=minutes)).time(),
    )
    slot = await Slot.objects().get(Slot.opening == opened.opening_id)
    outcome = await BookingService(clinic_id=clinic, bus=make_bus()).staff_book(
        actor=RECEPTION,
        slot_id=slot.id,
        details=BookingDetails(
            source="staff",
            patient_id=await demo_lookup.patient_id(clinic, patient),
        ),
    )
    assert outcome.ok, outcome
    return f"/a/{make_token(load().secret_key, outcome.appointment_id, slot.ends_at)}"


async def jeans_follow_up() -> str:
    """Another patient's appointment at the same clinic: Jean's, on Tuesday 10:00."""
    return await staff_booked(
        site="centre-ville",
        practitioner="Dr Marc Gagnon",
        activity="Suivi",
        day=TUESDAY,
        at=time(10),
        patient="Côté",
    )


async def post_action(client, url: str, action: str, **data):
    page = await client.get(url)
    return await client.post(f"{url}/{action}", data={"form_token": form_token(page.text), **data})


def buttons(response) -> list[str]:
    """The actions the page offers: its buttons, and the summary that opens "Cancel"."""
    return [
        label.strip() for label in re.findall(r"<(?:button|summary)[^>]*>([^<]+)</", text(response))
    ]


async def status() -> str:
    return (await Appointment.objects().first()).status


async def test_the_details_page_shows_the_appointment(demo, booked):
    page = await demo.get(booked + "?lang=en")
    assert page.status_code == 200
    appointment = await Appointment.objects().first()
    assert (
        "Dre Julie Roy" in text(page)
        and "Tuesday, November 24, 2026" in text(page)
        and "9:00 AM" in text(page)
    )
    assert "Please arrive 10 minutes early" in text(page)  # the site's message
    assert "Booked" in text(page) and appointment.status == "booked"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: t.split(".")[0],  # truncated
        lambda t: "x" * 300,
    ],
    ids=["signature", "truncated", "garbage"],
)
async def test_tampered_links_show_a_clear_page_and_no_appointment(demo, booked, mangle):
    token = booked.split("/a/")[1]
    response = await demo.get("/a/" + mangle(token))
    assert response.status_code == 404
    assert LINK_DOES_NOT_WORK in text(response) and "Dre Julie Roy" not in text(response)


async def test_a_link_with_another_appointments_id_shows_neither(demo, booked):
    """Marie's link with the id of Jean's real appointment: the signature covers the id."""
    jeans = await jeans_follow_up()
    assert "Dr Marc Gagnon" in text(await demo.get(jeans))  # Jean's own link works
    _, expires, signature = booked.removeprefix("/a/").split(".")
    jeans_id = jeans.removeprefix("/a/").split(".")[0]
    response = await demo.get(f"/a/{jeans_id}.{expires}.{signature}")
    assert response.status_code == 404 and LINK_DOES_NOT_WORK in text(response)
    assert "Dr Marc Gagnon" not in text(response) and "Dre Julie Roy" not in text(response)


async def test_a_link_works_only_on_its_clinic_and_expires_after_the_appointment(
    demo, autre, booked
):
    assert (await autre.get(booked)).status_code == 404
    clock.advance(timedelta(days=3))
    expired = await demo.get(booked)
    assert expired.status_code == 404 and LINK_DOES_NOT_WORK in text(expired)


async def test_the_link_works_until_12_hours_after_the_end_and_not_a_second_longer(demo, booked):
    appointment = await Appointment.objects().first()
    clock.freeze(appointment.ends_at + GRACE)
    assert (await demo.get(booked)).status_code == 200
    clock.advance(timedelta(seconds=1))
    late = await demo.get(booked)
    assert late.status_code == 404 and LINK_DOES_NOT_WORK in text(late)


async def test_confirm_presence_only_within_48_hours(demo, booked):
    clock.freeze(NOW - timedelta(days=2))  # 74 hours before
    refused = await post_action(demo, booked, "confirm")
    assert refused.status_code == 422 and "possible à partir du" in text(refused)
    assert await status() == "booked"
    clock.freeze(NOW)  # 26 hours before
    done = await post_action(demo, booked, "confirm")
    assert done.status_code == 303
    assert await status() == "confirmed"


async def test_cancel_up_to_24_hours_before_frees_the_slot(demo, booked):
    clock.freeze(NOW + timedelta(hours=3))  # 23 hours before
    refused = await post_action(demo, booked, "cancel")
    assert refused.status_code == 422 and "appeler la clinique" in text(refused).lower()
    clock.freeze(NOW)
    page = await demo.get(booked)
    done = await demo.post(f"{booked}/cancel", data={"form_token": form_token(page.text)})
    assert done.status_code == 303
    appointment = await Appointment.objects().first()
    assert appointment.status == "cancelled"
    assert (await Slot.objects().get(Slot.id == appointment.slot)).state == "open"
    # The page no longer offers to cancel; a replayed form is refused.
    again = await demo.post(f"{booked}/cancel", data={"form_token": form_token(page.text)})
    assert again.status_code == 422


async def test_i_have_arrived_within_30_minutes_before(demo, booked):
    appointment = await Appointment.objects().first()
    clock.freeze(appointment.starts_at - timedelta(minutes=40))
    refused = await post_action(demo, booked, "arrive")
    assert refused.status_code == 422
    clock.freeze(appointment.starts_at - timedelta(minutes=25))
    done = await post_action(demo, booked, "arrive")
    assert done.status_code == 303
    assert await status() == "arrived"


async def test_a_site_that_refuses_cancel_and_check_in_offers_neither(demo):
    """Laval lets nobody check in from the page (the seed's choice) and, here, cancel
    either: the page offers neither, even inside their windows, and posting is refused."""
    await WorkSite.update({WorkSite.patient_can_cancel: False}).where(WorkSite.slug == "laval")
    freeze()  # Monday 07:00: Tuesday 09:00 is 26 hours away, inside the cancel window
    link = await staff_booked(
        site="laval",
        practitioner="Dr Marc Gagnon",
        activity="Suivi",
        day=TUESDAY,
        at=time(9),
        patient="Tremblay",
    )
    page = await demo.get(link)
    assert buttons(page) == ["Confirmer ma présence"]
    assert "Annuler" not in buttons(page) and "Pour annuler moins de 24 heures avant" not in text(
        page
    )
    refused = await post_action(demo, link, "cancel")
    assert refused.status_code == 422
    assert "Ce n'est pas possible pour ce rendez-vous. Veuillez appeler la clinique." in text(
        refused
    )

    appointment = await Appointment.objects().first()
    clock.freeze(appointment.starts_at - timedelta(minutes=25))  # inside the check-in window
    page = await demo.get(link)
    assert "Je suis arrivé" not in buttons(page) and "signaler votre arrivée" not in text(page)
    assert (await post_action(demo, link, "arrive")).status_code == 422
    assert await status() == "booked"


async def test_the_questionnaire_is_offered_for_an_on_site_appointment_only(demo, booked):
    form = "https://forms.example.org/pre-visit"
    await WorkSite.update({WorkSite.questionnaire_url: form}).where(WorkSite.slug == "centre-ville")
    button = f'<a class="button" href="{form}"'
    page = await demo.get(booked)
    assert button in page.text and "Remplir le questionnaire pré-visite" in text(page)

    video = await staff_booked(
        site="centre-ville",
        practitioner="Dre Julie Roy",
        activity="Téléconsultation",
        day=TUESDAY,
        at=time(16),
        patient="Tremblay",
    )
    assert "questionnaire" not in text(await demo.get(video))
    # Nor once the appointment is cancelled.
    await post_action(demo, booked, "cancel")
    assert "questionnaire" not in text(await demo.get(booked))
    # Nor at a site that has none.
    laval = await staff_booked(
        site="laval",
        practitioner="Dr Marc Gagnon",
        activity="Suivi",
        day=TUESDAY,
        at=time(9),
        patient="Tremblay",
    )
    assert "questionnaire" not in text(await demo.get(laval))


async def test_reschedule_moves_in_one_step(demo, booked):
    before = await Appointment.objects().first()
    choices = await demo.get(booked + "/reschedule")
    target = [s for s in slot_ids(choices.text) if s != before.slot][0]
    moved = await demo.post(
        booked + "/reschedule", data={"slot": target, "form_token": form_token(choices.text)}
    )
    assert moved.status_code == 303 and "done=moved" in moved.headers["location"]
    after = await Appointment.objects().first()
    assert after.id == before.id and after.slot == target
    assert (await Slot.objects().get(Slot.id == before.slot)).state == "open"
    assert (await Slot.objects().get(Slot.id == target)).state == "booked"
    page = await demo.get(moved.headers["location"])
    assert page.status_code == 200


async def test_reschedule_to_a_taken_slot_keeps_the_appointment(demo, booked):
    before = await Appointment.objects().first()
    choices = await demo.get(booked + "/reschedule")
    target = [s for s in slot_ids(choices.text) if s != before.slot][0]
    await Slot.update({Slot.state: "booked"}).where(Slot.id == target)  # someone else got it
    refused = await demo.post(
        booked + "/reschedule", data={"slot": target, "form_token": form_token(choices.text)}
    )
    assert refused.status_code == 409 and "plus disponible" in text(refused)
    assert (await Appointment.objects().first()).slot == before.slot


async def test_unknown_actions_and_bad_input_change_nothing(demo, booked):
    page = await demo.get(booked)
    assert (
        await demo.post(booked + "/delete", data={"form_token": form_token(page.text)})
    ).status_code in (404, 405)
    assert (await demo.post(booked + "/cancel", data={"form_token": "nope"})).status_code == 422
    assert (
        await demo.post(
            booked + "/reschedule", data={"slot": "abc", "form_token": form_token(page.text)}
        )
    ).status_code == 422
    assert await status() == "booked"


async def test_an_action_needs_a_form_token_signed_for_this_appointment(demo, booked):
    """Well-shaped tokens that are not this page's: a signature changed by one character,
    and a genuine token from the page of another appointment (Jean's)."""
    before = await Appointment.objects().get(
        Appointment.id == int(booked.removeprefix("/a/").split(".")[0])
    )
    genuine = form_token((await demo.get(booked)).text)
    hour, signature = genuine.split(".")
    jeans = form_token((await demo.get(await jeans_follow_up())).text)
    assert jeans.split(".")[0] == hour  # the same hour: only the appointment differs
    for token in (f"{hour}.{signature[:-1]}{'1' if signature[-1] == '0' else '0'}", jeans):
        for action in ("cancel", "confirm"):
            refused = await demo.post(f"{booked}/{action}", data={"form_token": token})
            assert refused.status_code == 422 and "Cette page a expiré" in text(refused), (
                token,
                action,
            )
        choices = await demo.get(booked + "/reschedule")
        target = slot_ids(choices.text)[0]
        refused = await demo.post(
            booked + "/reschedule", data={"slot": target, "form_token": token}
        )
        assert refused.status_code == 422
    after = await Appointment.objects().get(Appointment.id == before.id)
    assert (after.status, after.slot) == ("booked", before.slot)
    # The genuine token does the same thing: only the signature made the difference.
    assert (await demo.post(f"{booked}/confirm", data={"form_token": genuine})).status_code == 303


async def test_reschedule_refuses_a_slot_that_was_never_offered(demo, booked):
    """A forged form cannot move onto an unpublished slot (or a recurrence, another
    service's, another site's): only what the patient could have been offered."""
    from app.scheduling.tables import Activity, Practitioner

    before = await Appointment.objects().first()
    roy = await Practitioner.objects().get(Practitioner.name == "Dre Julie Roy")
    suivi = await Activity.objects().get(
        (Activity.name_fr == "Suivi") & (Activity.clinic == before.clinic)
    )
    opened = await SchedulingService(clinic_id=before.clinic, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=roy.id,
        site_id=before.site,
        activity_id=suivi.id,
        day=date(2026, 11, 27),
        start=time(9),
        end=time(9, 30),
        publish_at=NOW + timedelta(days=30),
    )
    hidden = (await Slot.objects().get(Slot.opening == opened.opening_id)).id
    choices = await demo.get(booked + "/reschedule")
    assert hidden not in slot_ids(choices.text)
    refused = await demo.post(
        booked + "/reschedule", data={"slot": hidden, "form_token": form_token(choices.text)}
    )
    assert refused.status_code == 409
    after = await Appointment.objects().first()
    assert after.slot == before.slot
    assert (await Slot.objects().get(Slot.id == hidden)).state == "open"
