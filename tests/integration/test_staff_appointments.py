"""Appointments by staff (SPEC §10), end to end over HTTP with a signed-in secretary: the
slot dialog, "New appointment" with a file found or created inline, "Move", "Cancel the
appointment", "Arrived", "No-show", "Resend the confirmation"; the patient's live hold
respected; stale actions and bad input answered clearly; a practitioner kept to their
own agenda; CSRF required. The slots are far ahead of the run's clock."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import clock
from app.audit.tables import AuditEntry
from app.booking.services import BookingDetails, BookingService
from app.booking.tables import Appointment
from app.listeners import make_bus
from app.messaging.tables import Message
from app.patients.events import PatientChange, PatientChanged
from app.patients.tables import ContactDetail, Patient
from app.scheduling.services import SchedulingService
from app.scheduling.tables import AppointmentType, Slot
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.messaging_helpers import MARIE_EMAIL, body
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import csrf, signed_in

DAY = date(2027, 3, 2)  # a Tuesday, far ahead of every clock the suite uses
SECRETARY = "secretariat@demo.localhost"
JULIE = "julie.roy@demo.localhost"  # the practitioner Dre Julie Roy
HTMX = {"HX-Request": "true", "HX-Target": "slot-dialog"}


async def open_day(
    who: str = "Dre Julie Roy",
    activity: str = "Suivi",
    day: date = DAY,
    start: time = time(9),
    end: time = time(11),
    site: str = "centre-ville",
) -> list[int]:
    """Opens `who`'s slots for the activity; their ids, in time order."""
    demo = await demo_lookup.clinic_id("demo")
    opened = await SchedulingService(clinic_id=demo, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await demo_lookup.practitioner_id(demo, who),
        site_id=await demo_lookup.site_id(demo, site),
        activity_id=await demo_lookup.activity_id(demo, activity),
        day=day,
        start=start,
        end=end,
    )
    rows = (
        await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).order_by(Slot.starts_at)
    )
    return [row["id"] for row in rows]


async def book_marie(slot_id: int, **details) -> int:
    demo = await demo_lookup.clinic_id("demo")
    outcome = await BookingService(clinic_id=demo, bus=make_bus()).staff_book(
        slot_id=slot_id,
        details=BookingDetails(
            source="staff",
            patient_id=await demo_lookup.patient_id(demo, "Tremblay"),
            reason="Suivi tension",
            **details,
        ),
        actor=RECEPTION,
    )
    assert outcome.ok, outcome
    return outcome.appointment_id


async def type_id(name_fr: str, **statuses) -> int:
    demo = await demo_lookup.clinic_id("demo")
    if statuses:
        created = AppointmentType(clinic=demo, name_fr=name_fr, name_en=name_fr, **statuses)
        await created.save()
        return created.id
    row = (
        await AppointmentType.select(AppointmentType.id)
        .where((AppointmentType.clinic == demo) & (AppointmentType.name_fr == name_fr))
        .first()
    )
    return row["id"]


async def appointment(appointment_id: int) -> dict:
    return await Appointment.select().where(Appointment.id == appointment_id).first()


def field_error(response, name: str) -> str:
    found = re.search(rf'<p class="error" id="{name}-error">([^<]+)</p>', response.text)
    assert found, f"no error next to {name}"
    return found.group(1)


def results(response) -> str:
    """The search's results as read: the patient choices above "Create a file"."""
    found = re.search(r'<div id="patient-results".*?id="patient-new"', response.text, re.S)
    assert found, "no search results on the page"
    return text(type("R", (), {"text": found.group(0)}))


def typed(response, name: str) -> str:
    found = re.search(rf'id="{name}" name="{name}" type="[a-z]+" value="([^"]*)"', response.text)
    assert found, f"no field {name}"
    return found.group(1)


@pytest.fixture
async def secretary(demo):
    return await signed_in(demo, SECRETARY)


async def token(client, slot_id: int) -> str:
    return csrf((await client.get(f"/staff/slots/{slot_id}")).text)


NEW_FILE = {
    "patient": "new",
    "first_name": "Léa",
    "last_name": "Bélanger",
    "date_of_birth": "1991-06-15",
    "sex": "F",
    "health_insurance_number": "BELL 9156 1512",
    "cell_phone": "(514) 555-0177",
    "email": "",
    "appointment_type": "",
    "language": "fr",
    "reason": "Douleur au genou",
}


# -- the slot dialog -------------------------------------------------------------------


async def test_a_free_slot_shows_its_facts_in_the_clinic_zone_and_offers_a_new_appointment(
    secretary,
):
    slot = (await open_day())[0]
    page = await secretary.get(f"/staff/slots/{slot}?lang=en")
    assert page.status_code == 200
    shown = text(page)
    assert "Tuesday, March 2, 2027" in shown and "9:00 AM" in shown and "9:30 AM" in shown
    assert "Dre Julie Roy" in shown and "Downtown" in shown and "Follow-up" in shown
    assert "Opened manually" in shown and "Published online" in shown
    assert "New appointment" in shown and "Find the patient" in shown
    # A page of its own, with the staff layout; the dialog's block alone for htmx.
    assert '<nav class="staff-nav"' in page.text
    dialog = await secretary.get(f"/staff/slots/{slot}?lang=en", headers=HTMX)
    assert dialog.status_code == 200 and "staff-nav" not in dialog.text
    assert 'class="slot-panel"' in dialog.text and "data-close-dialog" in dialog.text
    assert dialog.headers["HX-Push-Url"] == "false"


async def test_a_recurrence_slot_is_said_not_offered_online(secretary):
    demo = await demo_lookup.clinic_id("demo")
    opened = await SchedulingService(clinic_id=demo, bus=make_bus()).open_recurrence(
        actor=RECEPTION,
        practitioner_id=await demo_lookup.practitioner_id(demo, "Dr Marc Gagnon"),
        site_id=await demo_lookup.site_id(demo, "centre-ville"),
        activity_id=await demo_lookup.activity_id(demo, "Suivi"),
        rule="FREQ=WEEKLY;BYDAY=TU",
        first_day=DAY,
        last_day=DAY,
        start=time(13),
        end=time(14),
    )
    slot = (await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).first())["id"]
    shown = text(await secretary.get(f"/staff/slots/{slot}?lang=en"))
    assert "From a recurrence" in shown and "Not offered online" in shown


async def test_a_slot_published_later_says_when_and_a_teleconsultation_shows_its_camera(
    secretary,
):
    demo = await demo_lookup.clinic_id("demo")
    publish_at = datetime(2027, 2, 20, 13, 0, tzinfo=UTC)  # 08:00 in Montreal
    opened = await SchedulingService(clinic_id=demo, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await demo_lookup.practitioner_id(demo, "Dre Julie Roy"),
        site_id=await demo_lookup.site_id(demo, "centre-ville"),
        activity_id=await demo_lookup.activity_id(demo, "Téléconsultation"),
        day=DAY,
        start=time(15),
        end=time(16),
        publish_at=publish_at,
    )
    slot = (await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).first())["id"]
    shown = text(await secretary.get(f"/staff/slots/{slot}?lang=en"))
    assert (
        "Scheduled for publication" in shown and "Saturday, February 20, 2027 at 8:00 AM" in shown
    )
    await book_marie(slot)
    shown = text(await secretary.get(f"/staff/slots/{slot}?lang=en"))
    assert "Telemedicine" in shown and 'title="Teleconsultation"' in shown


async def test_an_appointment_shows_patient_type_status_source_and_reason(secretary):
    slot = (await open_day())[0]
    await book_marie(slot)
    shown = text(await secretary.get(f"/staff/slots/{slot}?lang=en"))
    assert "Marie Tremblay" in shown and "born 1985-04-12" in shown and "TREM85541219" in shown
    assert "On site" in shown and "Booked" in shown and "Booked by the clinic" in shown
    assert "Suivi tension" in shown
    for label in (
        "Move",
        "Cancel the appointment",
        "Arrived",
        "No-show",
        "Resend the confirmation",
    ):
        assert label in shown
    french = text(await secretary.get(f"/staff/slots/{slot}?lang=fr"))
    for label in (
        "Déplacer",
        "Annuler le rendez-vous",
        "Arrivé",
        "Absent",
        "Renvoyer la confirmation",
    ):
        assert label in french


async def test_an_online_provisional_booking_shows_the_typed_identity(secretary):
    slot = (await open_day())[0]
    demo = await demo_lookup.clinic_id("demo")
    await BookingService(clinic_id=demo, bus=make_bus()).staff_book(
        slot_id=slot,
        details=BookingDetails(
            source="online",
            contact_phone="+15145550199",
            provisional={
                "first_name": "Paul",
                "last_name": "Inconnu",
                "date_of_birth": "1990-01-01",
            },
            reason="Fièvre",
        ),
        actor=RECEPTION,
    )
    shown = text(await secretary.get(f"/staff/slots/{slot}?lang=en"))
    assert "Provisional" in shown and "Paul Inconnu" in shown and "+1 514-555-0199" in shown
    assert "Booked online" in shown


async def test_a_live_hold_is_said_with_its_end_and_refused(secretary):
    slot = (await open_day())[0]
    demo = await demo_lookup.clinic_id("demo")
    held = await BookingService(clinic_id=demo, bus=make_bus()).hold(slot_id=slot, token="p" * 32)
    wall = held.hold_until.astimezone(ZoneInfo("America/Montreal"))
    shown = text(await secretary.get(f"/staff/slots/{slot}?lang=en"))
    when = wall.strftime("%-I:%M %p")
    assert f"Held online until {when}" in shown and "Find the patient" not in shown
    forced = await secretary.post(
        f"/staff/slots/{slot}/book?lang=en",
        data={
            "patient": str(await demo_lookup.patient_id(demo, "Tremblay")),
            "appointment_type": str(await type_id("Sur place")),
            "language": "fr",
            "reason": "Suivi",
            "_csrf_token": csrf((await secretary.get(f"/staff/slots/{slot}")).text),
        },
    )
    assert forced.status_code == 409
    assert f"it is held until {when}" in text(forced)
    assert await Appointment.count().where(Appointment.slot == slot) == 0


# -- new appointment ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "trembl",
        "TREMBLAY marie",
        "trem 8554 1219",
        "1985-04-12",
        "12/04/1985",
        "514-555-0101",
        "+1 (514) 555 0101",
        "MARIE",
    ],
)
async def test_the_patient_is_found_by_any_of_name_birth_date_number_or_phone(secretary, query):
    slot = (await open_day())[0]
    found = await secretary.get(f"/staff/slots/{slot}/patients", params={"q": query}, headers=HTMX)
    assert found.status_code == 200
    assert found.text.lstrip().startswith('<div id="patient-results"')
    assert "Tremblay, Marie" in text(found) and "Côté" not in text(found)


async def test_names_are_found_without_accents_or_case_and_only_in_this_clinic(secretary):
    slot = (await open_day())[0]
    shown = results(await secretary.get(f"/staff/slots/{slot}", params={"q": "cote"}))
    assert "Côté, Jean" in shown and "Tremblay" not in shown
    nobody = results(
        await secretary.get(f"/staff/slots/{slot}", params={"q": "dubois", "lang": "en"})
    )
    assert "Camille" not in nobody and "No file matches “dubois”" in nobody


async def test_a_secretary_books_an_existing_file_and_the_patient_is_told(secretary):
    slot = (await open_day())[0]
    demo = await demo_lookup.clinic_id("demo")
    marie = await demo_lookup.patient_id(demo, "Tremblay")
    page = await secretary.get(f"/staff/slots/{slot}", params={"q": "tremblay"})
    assert f'value="{marie}"' in page.text
    booked = await secretary.post(
        f"/staff/slots/{slot}/book?lang=en",
        data={
            "patient": str(marie),
            "appointment_type": str(await type_id("Sur place")),
            "language": "fr",
            "reason": "Renouvellement",
            "_csrf_token": csrf(page.text),
        },
        headers=HTMX,
    )
    assert booked.status_code == 200 and booked.headers["HX-Trigger"] == "agenda-changed"
    assert "The appointment is booked" in text(booked) and "Marie Tremblay" in text(booked)
    row = (await Appointment.select().where(Appointment.slot == slot))[0]
    assert (
        row["patient"] == marie and row["source"] == "staff" and row["reason"] == "Renouvellement"
    )
    assert row["created_by"].startswith("staff:")
    messages = await Message.select().where(Message.appointment == row["id"])
    assert {m["kind"] for m in messages} >= {"confirmation"}


async def test_without_javascript_an_action_redirects_back_to_the_slot_page_which_says_it(
    secretary,
):
    slot = (await open_day())[0]
    demo = await demo_lookup.clinic_id("demo")
    page = await secretary.get(f"/staff/slots/{slot}")
    booked = await secretary.post(
        f"/staff/slots/{slot}/book",
        data={
            "patient": str(await demo_lookup.patient_id(demo, "Côté")),
            "appointment_type": str(await type_id("Sur place")),
            "language": "fr",
            "reason": "Vaccin",
            "_csrf_token": csrf(page.text),
        },
    )
    assert booked.status_code == 303
    assert booked.headers["location"] == f"/staff/slots/{slot}?done=booked"
    after = text(await secretary.get(booked.headers["location"] + "&lang=en"))
    assert "The appointment is booked" in after and "Jean Côté" in after


async def test_a_file_created_inline_is_saved_with_its_contacts_and_announced(secretary, web_app):
    slot = (await open_day())[0]
    seen: list[PatientChanged] = []

    async def record(event):
        seen.append(event)

    web_app.dependencies["bus"].dependency().on(PatientChanged, record)  # the app's own bus
    data = {**NEW_FILE, "appointment_type": str(await type_id("Sur place"))}
    booked = await secretary.post(
        f"/staff/slots/{slot}/book?lang=en",
        data={**data, "_csrf_token": await token(secretary, slot)},
        headers=HTMX,
    )
    assert booked.status_code == 200, text(booked)
    assert "Léa Bélanger" in text(booked)
    patient = await Patient.select().where(Patient.last_name == "Bélanger").first()
    assert patient["health_insurance_number"] == "BELL91561512"
    contacts = await ContactDetail.select().where(ContactDetail.patient == patient["id"])
    assert [(c["kind"], c["value"], c["verified"]) for c in contacts] == [
        ("cell", "+15145550177", True)
    ]
    assert [(e.kind, e.patient_id) for e in seen] == [(PatientChange.CREATED, patient["id"])]
    row = (await Appointment.select().where(Appointment.slot == slot))[0]
    assert row["patient"] == patient["id"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "1991-02-30", "This date does not exist"),
        ("date_of_birth", "15/06/1991", "YYYY-MM-DD"),
        ("health_insurance_number", "BELL 1234", "4 letters then 8 digits"),
        ("cell_phone", "555-12", "valid cell phone number"),
    ],
)
async def test_bad_new_file_input_is_said_next_to_the_field_kept_and_nothing_saved(
    secretary, field, value, message
):
    slot = (await open_day())[0]
    data = {**NEW_FILE, "appointment_type": str(await type_id("Sur place")), field: value}
    answer = await secretary.post(
        f"/staff/slots/{slot}/book?lang=en",
        data={**data, "_csrf_token": await token(secretary, slot)},
        headers=HTMX,
    )
    assert answer.status_code == 422
    assert message in field_error(answer, field)
    assert typed(answer, field) == value and typed(answer, "first_name") == "Léa"
    assert 'id="patient-new" checked' in answer.text
    assert await Patient.count().where(Patient.last_name == "Bélanger") == 0
    assert await Appointment.count().where(Appointment.slot == slot) == 0


async def test_a_missing_reason_and_no_patient_chosen_are_said_next_to_their_fields(secretary):
    slot = (await open_day())[0]
    answer = await secretary.post(
        f"/staff/slots/{slot}/book?lang=en",
        data={
            "appointment_type": str(await type_id("Sur place")),
            "language": "fr",
            "reason": " ",
            "_csrf_token": await token(secretary, slot),
        },
    )
    assert answer.status_code == 422
    assert "Enter the reason" in field_error(answer, "reason")
    assert "Choose the patient" in field_error(answer, "patient")
    assert await Appointment.count().where(Appointment.slot == slot) == 0


async def test_a_slot_taken_meanwhile_is_said_and_the_new_file_not_kept(secretary):
    slot = (await open_day())[0]
    page = await secretary.get(f"/staff/slots/{slot}")
    await book_marie(slot)  # another secretary, a moment earlier
    data = {**NEW_FILE, "appointment_type": str(await type_id("Sur place"))}
    answer = await secretary.post(
        f"/staff/slots/{slot}/book?lang=en", data={**data, "_csrf_token": csrf(page.text)}
    )
    assert answer.status_code == 409 and "taken meanwhile" in text(answer)
    assert await Patient.count().where(Patient.last_name == "Bélanger") == 0


async def test_another_clinics_patient_id_is_404(secretary):
    slot = (await open_day())[0]
    autre = await demo_lookup.clinic_id("autre")
    camille = await demo_lookup.patient_id(autre, "Dubois")
    answer = await secretary.post(
        f"/staff/slots/{slot}/book",
        data={
            "patient": str(camille),
            "appointment_type": str(await type_id("Sur place")),
            "language": "fr",
            "reason": "x",
            "_csrf_token": await token(secretary, slot),
        },
    )
    assert answer.status_code == 404 and "Camille" not in answer.text
    assert await Appointment.count().where(Appointment.slot == slot) == 0


# -- actions on an appointment ---------------------------------------------------------------


async def test_cancel_needs_a_reason_then_frees_the_slot_and_tells_the_patient(secretary):
    slot = (await open_day())[0]
    booked = await book_marie(slot)
    page = await secretary.get(f"/staff/slots/{slot}")
    missing = await secretary.post(
        f"/staff/appointments/{booked}/cancel?lang=en",
        data={"cancellation_reason": "", "_csrf_token": csrf(page.text)},
        headers=HTMX,
    )
    assert missing.status_code == 422
    assert "Enter why the appointment is cancelled" in field_error(missing, "cancellation_reason")
    assert '<details class="confirm cancel-appointment" open>' in missing.text
    assert (await appointment(booked))["status"] == "booked"
    done = await secretary.post(
        f"/staff/appointments/{booked}/cancel?lang=en",
        data={"cancellation_reason": "Malade, rappellera", "_csrf_token": csrf(page.text)},
        headers=HTMX,
    )
    assert done.status_code == 200 and done.headers["HX-Trigger"] == "agenda-changed"
    assert "The appointment is cancelled" in text(done) and "New appointment" in text(done)
    row = await appointment(booked)
    assert row["status"] == "cancelled" and row["cancellation_reason"] == "Malade, rappellera"
    assert (await Slot.select(Slot.state).where(Slot.id == slot).first())["state"] == "open"
    kinds = {m["kind"] for m in await Message.select().where(Message.appointment == booked)}
    assert "cancellation" in kinds
    again = await secretary.post(
        f"/staff/appointments/{booked}/cancel?lang=en",
        data={"cancellation_reason": "Encore", "_csrf_token": csrf(page.text)},
        headers=HTMX,
    )
    assert again.status_code == 409 and "already cancelled" in text(again)
    assert (await appointment(booked))["cancellation_reason"] == "Malade, rappellera"
    audited = await AuditEntry.select(AuditEntry.after, AuditEntry.actor_label).where(
        (AuditEntry.appointment_id == booked) & (AuditEntry.action == "appointment.cancelled")
    )
    assert len(audited) == 1 and audited[0]["actor_label"] == "Secrétariat Démo"
    assert json.loads(audited[0]["after"])["cancellation_reason"] == "Malade, rappellera"


async def test_move_offers_free_slots_and_moves_atomically(secretary):
    slots = await open_day()
    gagnon = await open_day("Dr Marc Gagnon", start=time(13), end=time(14))
    booked = await book_marie(slots[0])
    await book_marie(slots[1])  # taken: not offered
    choices = await secretary.get(f"/staff/appointments/{booked}/move?lang=en", headers=HTMX)
    assert choices.status_code == 200
    offered = [int(v) for v in re.findall(r'name="slot" value="(\d+)"', choices.text)]
    assert slots[0] not in offered and slots[1] not in offered
    assert slots[2] in offered and gagnon[0] in offered
    assert "Other practitioners at Downtown" in text(choices)
    moved = await secretary.post(
        f"/staff/appointments/{booked}/move?lang=en",
        data={"slot": str(slots[2]), "_csrf_token": csrf(choices.text)},
        headers=HTMX,
    )
    assert moved.status_code == 200 and moved.headers["HX-Trigger"] == "agenda-changed"
    assert "The appointment is moved" in text(moved) and "10:00 AM" in text(moved)
    assert (await appointment(booked))["slot"] == slots[2]
    states = {
        r["id"]: r["state"]
        for r in await Slot.select(Slot.id, Slot.state).where(Slot.id.is_in([slots[0], slots[2]]))
    }
    assert states == {slots[0]: "open", slots[2]: "booked"}
    kinds = [m["kind"] for m in await Message.select().where(Message.appointment == booked)]
    assert "change" in kinds


async def test_move_looks_further_with_the_date_field_and_says_a_bad_date(secretary):
    slots = await open_day()
    later = await open_day(day=DAY + timedelta(days=14))
    booked = await book_marie(slots[0])
    further = await secretary.get(
        f"/staff/appointments/{booked}/move",
        params={"move_day": (DAY + timedelta(days=7)).isoformat()},
    )
    offered = [int(v) for v in re.findall(r'name="slot" value="(\d+)"', further.text)]
    assert later[0] in offered and slots[1] not in offered
    bad = await secretary.get(
        f"/staff/appointments/{booked}/move", params={"move_day": "2027-02-31", "lang": "en"}
    )
    assert bad.status_code == 422 and "YYYY-MM-DD" in field_error(bad, "move_day")


async def test_a_move_to_a_slot_taken_meanwhile_is_refused_and_nothing_moves(secretary):
    slots = await open_day()
    booked = await book_marie(slots[0])
    choices = await secretary.get(f"/staff/appointments/{booked}/move")
    await book_marie(slots[2])  # someone else takes it first
    answer = await secretary.post(
        f"/staff/appointments/{booked}/move?lang=en",
        data={"slot": str(slots[2]), "_csrf_token": csrf(choices.text)},
    )
    assert answer.status_code == 409 and "taken meanwhile" in text(answer)
    assert (await appointment(booked))["slot"] == slots[0]
    missing = await secretary.post(
        f"/staff/appointments/{booked}/move?lang=en", data={"_csrf_token": csrf(choices.text)}
    )
    assert missing.status_code == 422 and "Choose the new time" in text(missing)


async def test_arrived_and_no_show_set_the_status_and_a_stale_one_is_said(secretary):
    slot = (await open_day())[0]
    booked = await book_marie(slot)
    page = await secretary.get(f"/staff/slots/{slot}")
    arrived = await secretary.post(
        f"/staff/appointments/{booked}/arrived?lang=en",
        data={"_csrf_token": csrf(page.text)},
        headers=HTMX,
    )
    assert arrived.status_code == 200 and "The patient has arrived" in text(arrived)
    assert (await appointment(booked))["status"] == "arrived"
    no_show = await secretary.post(
        f"/staff/appointments/{booked}/no-show", data={"_csrf_token": csrf(page.text)}
    )
    assert no_show.status_code == 303 and no_show.headers["location"].endswith("done=no_show")
    assert (await appointment(booked))["status"] == "no_show"
    demo = await demo_lookup.clinic_id("demo")
    await BookingService(clinic_id=demo, bus=make_bus()).cancel(
        appointment_id=booked, actor=RECEPTION
    )
    stale = await secretary.post(
        f"/staff/appointments/{booked}/arrived?lang=en", data={"_csrf_token": csrf(page.text)}
    )
    assert stale.status_code == 409 and "cancelled meanwhile" in text(stale)
    assert (await appointment(booked))["status"] == "cancelled"


async def test_resend_queues_a_confirmation_but_not_for_the_no_communication_type(secretary):
    slot, other = (await open_day())[:2]
    booked = await book_marie(slot)
    page = await secretary.get(f"/staff/slots/{slot}")
    before = await Message.count().where(
        (Message.appointment == booked) & (Message.kind == "confirmation")
    )
    resent = await secretary.post(
        f"/staff/appointments/{booked}/resend?lang=en",
        data={"_csrf_token": csrf(page.text)},
        headers=HTMX,
    )
    assert resent.status_code == 200 and "will be sent again" in text(resent)
    rows = await Message.select().where(
        (Message.appointment == booked) & (Message.kind == "confirmation")
    )
    assert len(rows) > before and MARIE_EMAIL in {r["recipient"] for r in rows} | {MARIE_EMAIL}
    silent = await book_marie(
        other, appointment_type_id=await type_id("Silencieux", no_communication=True)
    )
    shown = text(await secretary.get(f"/staff/slots/{other}?lang=en"))
    assert "No automated or manual communication" in shown
    assert "Resend the confirmation" not in shown
    refused = await secretary.post(
        f"/staff/appointments/{silent}/resend?lang=en",
        data={"_csrf_token": csrf(page.text)},
        headers=HTMX,
    )
    assert refused.status_code == 409
    assert "allows no automated or manual communication" in text(refused)
    assert await Message.count().where(Message.appointment == silent) == 0


# -- guards ------------------------------------------------------------------------------


async def test_a_practitioner_acts_on_their_own_agenda_only(demo):
    julie = await open_day()
    gagnon = await open_day("Dr Marc Gagnon", start=time(13), end=time(15))
    other = await book_marie(gagnon[0])
    client = await signed_in(demo, JULIE)
    theirs = text(await client.get(f"/staff/slots/{gagnon[0]}?lang=en"))
    assert "Marie Tremblay" in theirs and "read-only for you" in theirs
    assert "Cancel the appointment" not in theirs and "Arrived" not in theirs
    token_ = csrf((await client.get(f"/staff/slots/{julie[0]}")).text)
    forced = await client.post(
        f"/staff/appointments/{other}/cancel?lang=en",
        data={"cancellation_reason": "x", "_csrf_token": token_},
    )
    assert forced.status_code == 403 and "own agenda" in text(forced)
    assert (await appointment(other))["status"] == "booked"
    assert (
        await client.post(f"/staff/slots/{gagnon[1]}/book", data={"_csrf_token": token_})
    ).status_code == 403
    # Their own agenda: they act on it.
    mine = await book_marie(julie[0])
    arrived = await client.post(f"/staff/appointments/{mine}/arrived", data={"_csrf_token": token_})
    assert arrived.status_code == 303 and (await appointment(mine))["status"] == "arrived"
    # Nor may they move their patient into a colleague's agenda.
    moved = await client.post(
        f"/staff/appointments/{mine}/move", data={"slot": str(gagnon[2]), "_csrf_token": token_}
    )
    assert moved.status_code == 403 and (await appointment(mine))["slot"] == julie[0]


async def test_a_post_without_the_csrf_token_is_refused(secretary):
    slot = (await open_day())[0]
    booked = await book_marie(slot)
    for path in (f"/staff/appointments/{booked}/cancel", f"/staff/appointments/{booked}/arrived"):
        answer = await secretary.post(path, data={"cancellation_reason": "x"})
        assert answer.status_code == 403
    assert (await appointment(booked))["status"] == "booked"


async def autre_slot() -> int:
    """A free slot of the other clinic, on the same day."""
    autre = await demo_lookup.clinic_id("autre")
    opened = await SchedulingService(clinic_id=autre, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await demo_lookup.practitioner_id(autre, "Dr Claire Martin"),
        site_id=await demo_lookup.site_id(autre, "principal"),
        activity_id=await demo_lookup.activity_id(autre, "Consultation"),
        day=DAY,
        start=time(9),
        end=time(10),
    )
    return (await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).first())["id"]


async def test_another_clinics_slot_and_appointment_are_404(secretary):
    slot = (await open_day())[0]
    booked = await book_marie(slot)
    theirs = await autre_slot()
    token_ = await token(secretary, slot)
    assert (await secretary.get(f"/staff/slots/{theirs}")).status_code == 404
    assert (await secretary.get(f"/staff/slots/{2**40}")).status_code == 404
    moved = await secretary.post(
        f"/staff/appointments/{booked}/move", data={"slot": str(theirs), "_csrf_token": token_}
    )
    assert moved.status_code == 404 and (await appointment(booked))["slot"] == slot
    assert (await secretary.get(f"/staff/appointments/{2**40}/move")).status_code == 404


async def test_another_clinics_appointment_is_404_on_every_appointment_route(secretary):
    """An appointment of autre, named by its id on demo's host: every route answers 404 and
    the appointment stays as it was (the appointment lookup filters on the host's clinic)."""
    mine = (await open_day())[0]
    autre = await demo_lookup.clinic_id("autre")
    theirs = await autre_slot()
    outcome = await BookingService(clinic_id=autre, bus=make_bus()).staff_book(
        slot_id=theirs,
        details=BookingDetails(
            source="staff", patient_id=await demo_lookup.patient_id(autre, "Dubois")
        ),
        actor=RECEPTION,
    )
    assert outcome.ok
    before = await appointment(outcome.appointment_id)
    token_ = await token(secretary, mine)
    base = f"/staff/appointments/{outcome.appointment_id}"
    assert (await secretary.get(f"{base}/move")).status_code == 404
    for action, data in (
        ("move", {"slot": str(mine)}),
        ("cancel", {"cancellation_reason": "x"}),
        ("arrived", {}),
        ("no-show", {}),
        ("resend", {}),
    ):
        answer = await secretary.post(f"{base}/{action}", data={**data, "_csrf_token": token_})
        assert answer.status_code == 404, action
    assert await appointment(outcome.appointment_id) == before


async def test_signed_out_the_slot_page_asks_to_sign_in(demo):
    slot = (await open_day())[0]
    answer = await demo.get(f"/staff/slots/{slot}")
    assert answer.status_code == 303 and "/staff/sign-in" in answer.headers["location"]


# -- the patient told, through the mail server ------------------------------------------


async def test_the_patient_gets_the_confirmation_the_change_and_the_cancellation_by_email(
    comms, demo
):
    """A secretary books, moves and cancels Marie's appointment over HTTP; a worker
    delivers the outbox to the test's SMTP server, as the existing rules say."""
    client = await signed_in(demo, SECRETARY)
    slots = await open_day()
    page = await client.get(f"/staff/slots/{slots[0]}")
    booked = await client.post(
        f"/staff/slots/{slots[0]}/book",
        data={
            "patient": str(comms.patients["marie"]),
            "appointment_type": str(await type_id("Sur place")),
            "language": "fr",
            "reason": "Douleur thoracique depuis hier",
            "_csrf_token": csrf(page.text),
        },
    )
    assert booked.status_code == 303
    await comms.deliver()
    assert comms.subjects() == ["Votre rendez-vous est confirmé"]
    row = (await Appointment.select().where(Appointment.slot == slots[0]))[0]
    moved = await client.post(
        f"/staff/appointments/{row['id']}/move",
        data={"slot": str(slots[3]), "_csrf_token": csrf(page.text)},
    )
    assert moved.status_code == 303
    await comms.deliver()
    assert comms.subjects()[-1] == "Votre rendez-vous a changé"
    cancelled = await client.post(
        f"/staff/appointments/{row['id']}/cancel",
        data={"cancellation_reason": "Le patient a rappelé", "_csrf_token": csrf(page.text)},
    )
    assert cancelled.status_code == 303
    await comms.deliver()
    assert comms.subjects()[-1] == "Votre rendez-vous est annulé"
    # Health data stays in the platform: neither reason travels by email or SMS.
    for message in comms.emails():
        read = body(message) + body(message, "html")
        assert "Douleur" not in read and "rappelé" not in read and "Dre Julie Roy" in read
    assert all("Douleur" not in sms for sms in comms.texts())


async def test_a_move_to_a_slot_a_patient_holds_is_refused_with_the_hold_end(secretary):
    slots = await open_day()
    booked = await book_marie(slots[0])
    demo = await demo_lookup.clinic_id("demo")
    held = await BookingService(clinic_id=demo, bus=make_bus()).hold(
        slot_id=slots[2], token="h" * 32
    )
    choices = await secretary.get(f"/staff/appointments/{booked}/move")
    offered = [int(v) for v in re.findall(r'name="slot" value="(\d+)"', choices.text)]
    assert slots[2] not in offered and slots[1] in offered
    answer = await secretary.post(
        f"/staff/appointments/{booked}/move?lang=en",
        data={"slot": str(slots[2]), "_csrf_token": csrf(choices.text)},
    )
    when = held.hold_until.astimezone(ZoneInfo("America/Montreal")).strftime("%-I:%M %p")
    assert answer.status_code == 409 and f"it is held until {when}" in text(answer)
    assert (await appointment(booked))["slot"] == slots[0]


async def test_the_search_shows_a_limited_number_of_files(secretary):
    slot = (await open_day())[0]
    demo = await demo_lookup.clinic_id("demo")
    await Patient.insert(
        *[
            Patient(
                clinic=demo,
                first_name=f"Prénom{n}",
                last_name="Gauthier",
                date_of_birth=date(1980, 1, 1 + n % 28),
                sex="F",
                created_at=clock.now(),
            )
            for n in range(30)
        ]
    )
    found = await secretary.get(
        f"/staff/slots/{slot}/patients", params={"q": "gauth"}, headers=HTMX
    )
    assert len(re.findall(r'name="patient" value="\d+"', found.text)) == 20


@pytest.mark.parametrize(
    "fields",
    [
        {"patient": "9" * 40, "appointment_type": "²", "language": "xx", "reason": "x" * 5000},
        {"patient": "-1", "appointment_type": "1e3", "reason": "\x00"},
        {"patient": "new", "date_of_birth": "0000-00-00", "sex": "Z", "email": "a@b,c@d"},
        {"q": "%_'\";--" * 50, "patient": "new", "health_insurance_number": "%%%%"},
    ],
)
async def test_malformed_booking_input_gets_a_clear_answer_never_a_500(secretary, fields):
    slot = (await open_day())[0]
    answer = await secretary.post(
        f"/staff/slots/{slot}/book", data={**fields, "_csrf_token": await token(secretary, slot)}
    )
    assert answer.status_code == 422
    assert await Appointment.count().where(Appointment.slot == slot) == 0


async def test_malformed_ids_and_queries_are_404_or_a_message_never_a_500(secretary):
    slot = (await open_day())[0]
    booked = await book_marie(slot)
    token_ = await token(secretary, slot)
    for path in (
        "/staff/slots/0",
        "/staff/slots/-1",
        "/staff/slots/abc",
        "/staff/slots/99999999999",
    ):
        assert (await secretary.get(path)).status_code in (404, 400)
    odd = await secretary.get(f"/staff/slots/{slot}/patients", params={"q": "%" * 500 + "Ω\x00"})
    assert odd.status_code == 200
    for value in ("0", "-5", "²", "9" * 30):
        moved = await secretary.post(
            f"/staff/appointments/{booked}/move", data={"slot": value, "_csrf_token": token_}
        )
        assert moved.status_code in (404, 422), value
    assert (await appointment(booked))["slot"] == slot
