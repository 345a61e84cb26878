"""The staff's waiting room (issue 13): who waits (the clinic's own, today's, first
arrived first) and for how long by app.clock; "Running late" and "Mark ready" change the
room and are audited; refusals change nothing and never answer 500; the camera icons of
the agenda and the appointment view open the call in a new window."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from app import clock
from app.video.rooms import room_status
from app.video.tables import CallRoom, RoomState
from tests.integration.audit_helpers import entries
from tests.integration.staff_helpers import csrf, signed_in
from tests.integration.waiting_helpers import Visit, arrive, book_video
from tests.integration.web import clinic_client
from tests.moments import NOW, freeze

SECRETARY = "secretariat@demo.localhost"
ADMIN = "admin@demo.localhost"
JULIE = "julie.roy@demo.localhost"
TODAY = NOW.date()  # Monday; 07:00 in Montreal


@pytest.fixture
async def visits(demo_data) -> dict[str, Visit]:
    freeze()
    made = {
        "marie": await book_video(
            "demo",
            practitioner="Dre Julie Roy",
            site="centre-ville",
            day=TODAY,
            at=time(7, 20),
            first_name="Marie",
            last_name="Attente",
        ),
        "gagnon": await book_video(
            "demo",
            practitioner="Dr Marc Gagnon",
            site="centre-ville",
            day=TODAY,
            at=time(7, 20),
            first_name="Paul",
            last_name="Gagnonpatient",
        ),
        "tomorrow": await book_video(
            "demo",
            practitioner="Dre Julie Roy",
            site="centre-ville",
            day=TODAY + timedelta(days=1),
            at=time(9, 0),
            first_name="Demain",
            last_name="Pasencore",
        ),
        "autre": await book_video(
            "autre",
            practitioner="Dr Claire Martin",
            site="principal",
            day=TODAY,
            at=time(13, 0),  # Paris: 13:00 is 07:00 in Montreal
            first_name="Ailleurs",
            last_name="Autreclinique",
        ),
    }
    await arrive(made["marie"])
    clock.freeze(NOW + timedelta(minutes=3))
    await arrive(made["gagnon"])
    await arrive(made["autre"])
    # A room left waiting on another day (as a stale row would be): not today's.
    await arrive(made["tomorrow"])
    return made


@pytest.fixture
async def staff(web_app):
    """A signed-in browser per account (each its own cookies)."""
    opened = []

    async def sign(email: str, slug: str = "demo"):
        context = clinic_client(web_app, slug)
        client = await context.__aenter__()
        opened.append(context)
        return await signed_in(client, email)

    yield sign
    for context in opened:
        await context.__aexit__(None, None, None)


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="waiting-(\d+)">', html)


async def test_the_list_shows_the_clinics_waiting_patients_of_today_first_arrived_first(
    visits, staff
):
    secretary = await staff(SECRETARY)
    page = await secretary.get("/staff/waiting-room?lang=en")
    assert page.status_code == 200
    assert rows(page.text) == [
        str(visits["marie"].appointment_id),
        str(visits["gagnon"].appointment_id),
    ]
    assert "Ailleurs" not in page.text and "Demain" not in page.text
    assert "Marie Attente" in page.text and "Dre Julie Roy" in page.text
    assert "07:20" in page.text or "7:20" in page.text
    assert "Connected" in page.text
    # The navigation's count, on every staff page.
    home = await secretary.get("/staff/?lang=en")
    assert re.search(r'id="nav-count-staff-waiting_room" data-waiting-count>2<', home.text)
    # The other clinic sees its own only.
    other = await staff("admin@autre.localhost", "autre")
    theirs = await other.get("/staff/waiting-room")
    assert rows(theirs.text) == [str(visits["autre"].appointment_id)]


async def test_the_waited_time_moves_with_the_clock(visits, staff):
    secretary = await staff(SECRETARY)
    row = re.compile(
        r'id="waiting-%d">.*?class="waited"[^>]*>([^<]+)<' % visits["marie"].appointment_id, re.S
    )
    assert row.search((await secretary.get("/staff/waiting-room?lang=en")).text).group(1) == (
        "3 minutes"
    )
    clock.freeze(NOW + timedelta(minutes=12))
    assert row.search((await secretary.get("/staff/waiting-room?lang=en")).text).group(1) == (
        "12 minutes"
    )


async def test_the_secretary_marks_ready_and_cannot_accept_nor_say_late(visits, staff):
    secretary = await staff(SECRETARY)
    marie = visits["marie"]
    page = await secretary.get("/staff/waiting-room?lang=en")
    assert "/staff/calls/%d/accept" % marie.appointment_id not in page.text
    assert "/staff/waiting-room/%d/late" % marie.appointment_id not in page.text
    assert f'href="/staff/calls/{marie.appointment_id}" target="_blank"' in page.text
    token = csrf(page.text)
    late = await secretary.post(
        f"/staff/waiting-room/{marie.appointment_id}/late?lang=en",
        data={"minutes": "10", "_csrf_token": token},
    )
    assert late.status_code == 403
    assert (
        await room_status(clinic_id=marie.clinic_id, appointment_id=marie.appointment_id)
    ).late_minutes is None
    ready = await secretary.post(
        f"/staff/waiting-room/{marie.appointment_id}/ready",
        data={"_csrf_token": token},
    )
    assert ready.status_code == 303
    status = await room_status(clinic_id=marie.clinic_id, appointment_id=marie.appointment_id)
    assert status.ready and status.state is RoomState.WAITING
    audited = await entries(marie.clinic_id, "call.ready")
    assert [(row["appointment_id"], row["actor_label"]) for row in audited] == [
        (marie.appointment_id, "Secrétariat Démo")
    ]
    after = await secretary.get("/staff/waiting-room?lang=en")
    assert "Ready" in after.text


async def test_the_practitioner_says_running_late_to_her_own_patient_only(visits, staff):
    julie = await staff(JULIE)
    marie, gagnon = visits["marie"], visits["gagnon"]
    page = await julie.get("/staff/waiting-room?lang=en")
    # Accept and late for her own appointment; not for Dr Gagnon's; no "Mark ready".
    assert f'action="/staff/calls/{marie.appointment_id}/accept"' in page.text
    assert f'action="/staff/calls/{gagnon.appointment_id}/accept"' not in page.text
    assert f"/staff/waiting-room/{gagnon.appointment_id}/late" not in page.text
    assert "Mark ready" not in page.text
    token = csrf(page.text)
    told = await julie.post(
        f"/staff/waiting-room/{marie.appointment_id}/late?lang=en",
        data={"minutes": "10", "_csrf_token": token},
        headers={"HX-Request": "true", "HX-Target": "waiting-room"},
    )
    assert told.status_code == 200
    assert "running late, about 10 minutes" in told.text
    assert 'id="nav-count-staff-waiting_room"' in told.text  # redrawn out of band
    status = await room_status(clinic_id=marie.clinic_id, appointment_id=marie.appointment_id)
    assert status.late_minutes == 10
    audited = await entries(marie.clinic_id, "call.late")
    assert [(row["appointment_id"], row["actor_label"], row["after"]) for row in audited] == [
        (marie.appointment_id, "Dre Julie Roy", {"minutes": 10})
    ]
    # Another practitioner's patient: not hers (refused), nothing changes.
    theirs = await julie.post(
        f"/staff/waiting-room/{gagnon.appointment_id}/late",
        data={"minutes": "10", "_csrf_token": token},
    )
    assert theirs.status_code == 403
    assert (
        await room_status(clinic_id=gagnon.clinic_id, appointment_id=gagnon.appointment_id)
    ).late_minutes is None


@pytest.mark.parametrize("minutes", ["0", "121", "-5", "abc", "", "10.5", "9" * 30])
async def test_bad_minutes_are_refused_with_a_message_and_change_nothing(visits, staff, minutes):
    admin = await staff(ADMIN)
    marie = visits["marie"]
    page = await admin.get("/staff/waiting-room?lang=en")
    answer = await admin.post(
        f"/staff/waiting-room/{marie.appointment_id}/late?lang=en",
        data={"minutes": minutes, "_csrf_token": csrf(page.text)},
    )
    assert answer.status_code == 422
    assert "from 1 to 120 minutes" in answer.text
    status = await room_status(clinic_id=marie.clinic_id, appointment_id=marie.appointment_id)
    assert status.late_minutes is None
    assert await entries(marie.clinic_id, "call.late") == []


async def test_another_clinics_appointment_is_404_and_untouched(visits, staff):
    admin = await staff(ADMIN)
    theirs = visits["autre"]
    token = csrf((await admin.get("/staff/waiting-room")).text)
    for action, data in (("late", {"minutes": "5"}), ("ready", {})):
        answer = await admin.post(
            f"/staff/waiting-room/{theirs.appointment_id}/{action}",
            data={**data, "_csrf_token": token},
        )
        assert answer.status_code == 404
    status = await room_status(clinic_id=theirs.clinic_id, appointment_id=theirs.appointment_id)
    assert not status.ready and status.late_minutes is None
    # And an id that is nobody's.
    nobody = await admin.post("/staff/waiting-room/999999/ready", data={"_csrf_token": token})
    assert nobody.status_code == 404


async def test_a_patient_no_longer_waiting_is_said_and_left_alone(visits, staff):
    admin = await staff(ADMIN)
    marie = visits["marie"]
    token = csrf((await admin.get("/staff/waiting-room")).text)
    await CallRoom.update({CallRoom.state: RoomState.IN_CALL.value}).where(
        CallRoom.appointment == marie.appointment_id
    )
    answer = await admin.post(
        f"/staff/waiting-room/{marie.appointment_id}/late?lang=en",
        data={"minutes": "5", "_csrf_token": token},
    )
    assert answer.status_code == 409
    assert "no longer in the waiting room" in answer.text
    assert (
        await room_status(clinic_id=marie.clinic_id, appointment_id=marie.appointment_id)
    ).late_minutes is None


async def test_a_post_without_the_csrf_token_is_refused(visits, staff):
    admin = await staff(ADMIN)
    marie = visits["marie"]
    await admin.get("/staff/waiting-room")
    for action, data in (("late", {"minutes": "5"}), ("ready", {})):
        answer = await admin.post(f"/staff/waiting-room/{marie.appointment_id}/{action}", data=data)
        assert answer.status_code == 403
    status = await room_status(clinic_id=marie.clinic_id, appointment_id=marie.appointment_id)
    assert not status.ready and status.late_minutes is None


async def test_a_practitioner_may_not_mark_ready(visits, staff):
    julie = await staff(JULIE)
    marie = visits["marie"]
    token = csrf((await julie.get("/staff/waiting-room")).text)
    answer = await julie.post(
        f"/staff/waiting-room/{marie.appointment_id}/ready", data={"_csrf_token": token}
    )
    assert answer.status_code == 403
    assert not (
        await room_status(clinic_id=marie.clinic_id, appointment_id=marie.appointment_id)
    ).ready


async def test_the_agenda_and_the_appointment_have_a_camera_opening_the_call(visits, staff):
    julie = await staff(JULIE)
    marie = visits["marie"]
    practitioner = marie.practitioner_id
    agenda = await julie.get(
        f"/staff/agenda/practitioner/{practitioner}/day/{TODAY.isoformat()}?lang=en"
    )
    assert agenda.status_code == 200
    link = re.search(
        r'<a class="call-link" href="/staff/calls/%d" target="_blank" rel="noopener" '
        r'aria-label="Open the call with Marie Attente \(new window\)"' % marie.appointment_id,
        agenda.text,
    )
    assert link, "no camera in the agenda's slot"
    slot = (
        await CallRoom.select(CallRoom.appointment.slot.as_alias("slot"))
        .where(CallRoom.appointment == marie.appointment_id)
        .first()
    )
    view = await julie.get(f"/staff/slots/{slot['slot']}?lang=en")
    assert f'href="/staff/calls/{marie.appointment_id}" target="_blank"' in view.text
    assert "Open the call with Marie Attente (new window)" in view.text
