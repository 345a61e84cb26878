"""The external integrated platform (Reacts-style, SPEC §9) against its simulator: a
booking without the patient's email is refused; with one, the job creates the session
(retrying when the platform fails); the signed "patient connected" webhook puts Marie in
the waiting room, and nothing else does (bad signatures, stale timestamps, replays,
another clinic's session); a move is refused and "Cancel and rebook" makes a new
appointment with our cancellation notice; a platform down for an hour delays the
invitation but does not lose it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.booking.services import OutcomeCode
from app.booking.tables import Appointment, AppointmentStatus
from app.messaging.tables import Message
from app.patients.tables import ContactDetail
from app.platforms.sessions import WEBHOOK_PATH, backoff
from app.platforms.signatures import HEADER, sign
from app.platforms.simulator import Simulator
from app.platforms.tables import ExternalSession, PlatformEvent, SessionState
from app.scheduling.tables import AppointmentType
from app.video.tables import CallRoom, RoomState
from conftest import REDIS_TEST_URL
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.platform_helpers import (
    demo_world,
    local,
    run_jobs,
    session_row,
    settings_with,
)
from tests.integration.staff_helpers import csrf, signed_in
from tests.moments import freeze

JULIE = "julie.roy@demo.localhost"
MARIE_EMAIL = "marie.tremblay@example.org"
NO_EMAIL_FR = "Ce patient n'a pas d'adresse courriel. Ajoutez-en une dans son dossier."


@pytest.fixture
def simulator():
    sim = Simulator().start()
    yield sim
    sim.stop()


@pytest.fixture
def app_settings(simulator):  # noqa: F811 - overrides the integration conftest's
    return settings_with(simulator, REDIS_TEST_URL)


@pytest.fixture
async def world(demo_data):
    freeze()
    return await demo_world()


async def created(world, settings, starts_at=None) -> int:
    """Marie's Reacts teleconsultation at 10:00 today, its session made on the platform."""
    outcome = await world.book(starts_at or local(0, 10))
    assert outcome.code is OutcomeCode.BOOKED, outcome
    assert await run_jobs(settings) == 1
    row = await session_row(outcome.appointment_id)
    assert row["state"] == SessionState.CREATED, row
    return outcome.appointment_id


# -- booking without an email ------------------------------------------------------------


async def test_a_booking_without_the_patients_email_is_refused(world, simulator):
    await ContactDetail.delete().where(
        (ContactDetail.patient == world.marie) & (ContactDetail.kind == "email")
    )
    outcome = await world.book(local(1, 10))
    assert outcome.code is OutcomeCode.EMAIL_REQUIRED
    assert await Appointment.count().where(Appointment.patient == world.marie) == 0
    assert await ExternalSession.count() == 0
    # Typed for this booking, it is enough.
    outcome = await world.book(local(1, 11), contact_email="marie@example.org")
    assert outcome.code is OutcomeCode.BOOKED


async def test_the_slot_dialog_says_so_next_to_the_patient(world, demo):
    await ContactDetail.delete().where(
        (ContactDetail.patient == world.marie) & (ContactDetail.kind == "email")
    )
    await signed_in(demo, JULIE)
    slot_id = await world.slot(local(1, 10))
    page = await demo.get(f"/staff/slots/{slot_id}")
    answer = await demo.post(
        f"/staff/slots/{slot_id}/book",
        data={
            "_csrf_token": csrf(page.text),
            "patient": str(world.marie),
            "appointment_type": str(
                (
                    await AppointmentType.select(AppointmentType.id).where(
                        AppointmentType.name_fr == "Téléconsultation Reacts"
                    )
                )[0]["id"]
            ),
            "language": "fr",
            "reason": "Suivi",
        },
    )
    assert answer.status_code == 422, answer.text[:2000]
    assert NO_EMAIL_FR in answer.text.replace("&#39;", "'")
    assert await Appointment.count().where(Appointment.slot == slot_id) == 0


# -- the job -------------------------------------------------------------------------


async def test_the_job_creates_the_session_and_the_platform_invites_marie(
    world, simulator, app_settings
):
    appointment_id = await created(world, app_settings)
    row = await session_row(appointment_id)
    assert row["patient_url"].startswith(simulator.url) and row["staff_url"]
    assert simulator.invitations == [(MARIE_EMAIL, row["patient_url"])]
    # arq may run it again: nothing is due, nothing is called.
    assert await run_jobs(app_settings) == 0
    assert simulator.calls == ["POST /api/v1/sessions 201"]


async def test_it_retries_with_backoff_when_the_platform_fails_twice(
    world, simulator, app_settings
):
    simulator.fail_next(2)
    outcome = await world.book(local(0, 10))
    await run_jobs(app_settings)
    row = await session_row(outcome.appointment_id)
    assert (row["state"], row["attempts"]) == (SessionState.PENDING, 1)
    assert "HTTP 500" in row["last_error"]
    assert await run_jobs(app_settings) == 0  # not before its backoff
    clock.advance(backoff(1))
    await run_jobs(app_settings)
    assert (await session_row(outcome.appointment_id))["attempts"] == 2
    clock.advance(backoff(2))
    await run_jobs(app_settings)
    row = await session_row(outcome.appointment_id)
    assert row["state"] == SessionState.CREATED and row["last_error"] is None
    assert row["attempts"] == 0
    assert simulator.calls == [
        "POST /api/v1/sessions 500",
        "POST /api/v1/sessions 500",
        "POST /api/v1/sessions 201",
    ]
    assert len(simulator.invitations) == 1


async def test_a_platform_down_for_an_hour_delays_the_invitation_without_losing_it(
    world, simulator, app_settings
):
    simulator.down = True
    outcome = await world.book(local(0, 10))
    for _minute in range(60):
        await run_jobs(app_settings)
        clock.advance(timedelta(minutes=1))
    row = await session_row(outcome.appointment_id)
    assert row["state"] == SessionState.PENDING
    assert row["attempts"] >= 6 and "HTTP 503" in row["last_error"]
    assert simulator.invitations == []
    simulator.down = False
    clock.advance(backoff(row["attempts"]))
    await run_jobs(app_settings)
    assert (await session_row(outcome.appointment_id))["state"] == SessionState.CREATED
    assert [email for email, _ in simulator.invitations] == [MARIE_EMAIL]


# -- the webhook ---------------------------------------------------------------------


async def test_patient_connected_puts_marie_in_the_waiting_room(
    world, simulator, app_settings, demo
):
    appointment_id = await created(world, app_settings)
    external_id = (await session_row(appointment_id))["external_id"]
    body, headers = simulator.webhook(external_id)
    answer = await demo.post(WEBHOOK_PATH, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    room = await CallRoom.select().where(CallRoom.appointment == appointment_id).first()
    assert room["state"] == RoomState.WAITING and room["present"]
    await signed_in(demo, JULIE)
    page = await demo.get("/staff/waiting-room")
    assert "Marie Tremblay" in page.text
    join = f"/staff/platform-sessions/{appointment_id}/join"
    assert join in page.text
    assert f"/staff/platform-sessions/{appointment_id}/accept" in page.text
    # The camera icon leads to the platform's staff link.
    answer = await demo.get(join)
    assert answer.status_code == 303
    assert answer.headers["location"] == (await session_row(appointment_id))["staff_url"]


async def _refused(demo, appointment_id: int, body: bytes, headers: dict, status: int, why: str):
    answer = await demo.post(WEBHOOK_PATH, content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.json()["outcome"] == why
    assert not await CallRoom.exists().where(
        (CallRoom.appointment == appointment_id) & (CallRoom.state == RoomState.WAITING)
    )
    assert await PlatformEvent.exists().where(PlatformEvent.outcome == why)


async def test_bad_signatures_and_stale_timestamps_are_refused_and_recorded(
    world, simulator, app_settings, demo
):
    appointment_id = await created(world, app_settings)
    external_id = (await session_row(appointment_id))["external_id"]
    body, headers = simulator.webhook(external_id, secret="whsec_not_the_shared_one")
    await _refused(demo, appointment_id, body, headers, 401, "bad_signature")
    body, headers = simulator.webhook(external_id)
    await _refused(
        demo, appointment_id, body, {"Content-Type": "application/json"}, 401, "bad_signature"
    )
    tampered = body.replace(external_id.encode(), b"ses_000000000000")
    await _refused(demo, appointment_id, tampered, headers, 401, "bad_signature")
    old = int((clock.now() - timedelta(minutes=6)).timestamp())
    stale = {**headers, HEADER: sign(simulator.webhook_secret, body, old)}
    await _refused(demo, appointment_id, body, stale, 401, "stale")
    # The real one still works afterwards: a forged event does not take its id.
    assert (await demo.post(WEBHOOK_PATH, content=body, headers=headers)).status_code == 200


async def test_a_replayed_event_is_refused_and_recorded(world, simulator, app_settings, demo):
    appointment_id = await created(world, app_settings)
    external_id = (await session_row(appointment_id))["external_id"]
    body, headers = simulator.webhook(external_id, event_id="evt_once")
    assert (await demo.post(WEBHOOK_PATH, content=body, headers=headers)).status_code == 200
    first = await CallRoom.select(CallRoom.arrived_at).where(CallRoom.appointment == appointment_id)
    clock.advance(timedelta(minutes=1))
    answer = await demo.post(WEBHOOK_PATH, content=body, headers=headers)
    assert (answer.status_code, answer.json()["outcome"]) == (409, "replay")
    assert await PlatformEvent.count().where(PlatformEvent.event_id == "evt_once") == 1
    assert await PlatformEvent.exists().where(
        (PlatformEvent.outcome == "replay") & (PlatformEvent.claimed_id == "evt_once")
    )
    again = await CallRoom.select(CallRoom.arrived_at).where(CallRoom.appointment == appointment_id)
    assert again == first


async def test_another_clinics_host_cannot_bring_the_patient_in(
    world, simulator, app_settings, autre
):
    appointment_id = await created(world, app_settings)
    external_id = (await session_row(appointment_id))["external_id"]
    body, headers = simulator.webhook(external_id)
    await _refused(autre, appointment_id, body, headers, 404, "unknown_session")


# -- moving, cancelling ----------------------------------------------------------------


async def test_a_move_is_refused_and_cancel_and_rebook_makes_a_new_appointment(
    world, simulator, app_settings, demo
):
    appointment_id = await created(world, app_settings)
    old_external = (await session_row(appointment_id))["external_id"]
    later = await world.slot(local(2, 11))
    moved = await world.booking.move(
        appointment_id=appointment_id, new_slot_id=later, actor=RECEPTION
    )
    assert moved.code is OutcomeCode.MOVE_NOT_SUPPORTED
    await signed_in(demo, JULIE)
    slot_id = (await Appointment.select(Appointment.slot).where(Appointment.id == appointment_id))[
        0
    ]["slot"]
    page = await demo.get(f"/staff/slots/{slot_id}")
    assert "Annuler et reprendre un rendez-vous" in page.text and f'value="{later}"' in page.text
    # The move form refuses and points to it.
    answer = await demo.post(
        f"/staff/appointments/{appointment_id}/move",
        data={"_csrf_token": csrf(page.text), "slot": str(later)},
    )
    assert answer.status_code == 409 and "Annuler et reprendre" in answer.text
    answer = await demo.post(
        f"/staff/appointments/{appointment_id}/rebook",
        data={"_csrf_token": csrf(page.text), "slot": str(later)},
    )
    assert answer.status_code == 303, answer.text[:2000]
    old = await Appointment.select().where(Appointment.id == appointment_id).first()
    assert old["status"] == AppointmentStatus.CANCELLED
    new = await Appointment.select().where(Appointment.slot == later).first()
    assert new["status"] == AppointmentStatus.BOOKED and new["patient"] == world.marie
    # Our own cancellation notice (the platform sends none), and the new confirmation.
    kinds = {m["kind"] for m in await Message.select().where(Message.appointment == appointment_id)}
    assert "cancellation" in kinds
    assert await Message.exists().where(
        (Message.appointment == new["id"]) & (Message.kind == "confirmation")
    )
    # The platform: the old session cancelled there, a new one made.
    assert (await session_row(appointment_id))["state"] == SessionState.CANCEL_PENDING
    assert await run_jobs(app_settings) == 2
    assert (await session_row(appointment_id))["state"] == SessionState.CANCELLED
    assert f"DELETE /api/v1/sessions/{old_external} 204" in simulator.calls
    assert (await session_row(new["id"]))["state"] == SessionState.CREATED


async def test_rebook_bad_input_changes_nothing(world, simulator, app_settings, demo, autre):
    appointment_id = await created(world, app_settings)
    await signed_in(demo, JULIE)
    page = await demo.get("/staff/waiting-room")
    token = csrf(page.text)
    for slot in ("", "abc", "-1", "99999999999999999999"):
        answer = await demo.post(
            f"/staff/appointments/{appointment_id}/rebook",
            data={"_csrf_token": token, "slot": slot},
        )
        assert answer.status_code in (404, 422), (slot, answer.status_code)
    answer = await demo.post(
        f"/staff/appointments/{appointment_id}/rebook",
        data={"_csrf_token": token, "slot": "999999"},
    )
    assert answer.status_code == 404
    assert (await Appointment.select(Appointment.status).where(Appointment.id == appointment_id))[
        0
    ]["status"] == AppointmentStatus.BOOKED


async def test_cancelling_cancels_on_the_platform_and_tells_the_patient(
    world, simulator, app_settings
):
    appointment_id = await created(world, app_settings)
    assert (await world.booking.cancel(appointment_id=appointment_id, actor=RECEPTION)).ok
    assert await Message.exists().where(
        (Message.appointment == appointment_id) & (Message.kind == "cancellation")
    )
    simulator.fail_next(1)
    await run_jobs(app_settings)
    assert (await session_row(appointment_id))["state"] == SessionState.CANCEL_PENDING
    clock.advance(backoff(1))
    await run_jobs(app_settings)
    assert (await session_row(appointment_id))["state"] == SessionState.CANCELLED, (
        await session_row(appointment_id),
        simulator.calls,
    )


async def test_another_clinics_staff_cannot_join(world, simulator, app_settings, autre):
    appointment_id = await created(world, app_settings)
    await signed_in(autre, "admin@autre.localhost")
    assert (await autre.get(f"/staff/platform-sessions/{appointment_id}/join")).status_code == 404


async def test_the_workers_job_is_the_same_pass(world, simulator, app_settings):
    """jobs.worker.platform_due, as arq's cron calls it (a context from its startup)."""
    from app.messaging.dispatch import Dispatcher
    from app.templating import make_environment
    from jobs.worker import platform_due

    outcome = await world.book(local(0, 10))
    ctx = {"dispatcher": Dispatcher(app_settings, make_environment())}
    try:
        assert await platform_due(ctx) == 1
        assert await platform_due(ctx) == 0  # run twice: nothing more is called
    finally:
        await ctx["dispatcher"].close()
    assert (await session_row(outcome.appointment_id))["state"] == SessionState.CREATED
    assert simulator.calls == ["POST /api/v1/sessions 201"]


async def test_the_portal_refuses_it_too_with_the_same_words(world, demo):
    """Marie's follow-up made a Reacts teleconsultation; she types no email and her file
    has none: the booking is refused at the last step, and nothing is booked."""
    from app.scheduling.tables import Activity
    from tests.integration.portal_helpers import MARIE, book_marie_follow_up, open_follow_ups
    from tests.integration.portal_helpers import text as read

    reacts_type = (
        await Activity.select(Activity.appointment_type).where(Activity.id == world.activity)
    )[0]["appointment_type"]
    await Activity.update({Activity.appointment_type: reacts_type}).where(
        (Activity.clinic == world.clinic) & (Activity.name_fr == "Suivi")
    )
    await open_follow_ups()
    await ContactDetail.delete().where(
        (ContactDetail.patient == world.marie) & (ContactDetail.kind == "email")
    )

    class Page:
        def __init__(self, html: str) -> None:
            self.text = html

    done = await book_marie_follow_up(demo, {**MARIE, "email": "", "cell_phone": "514 555 0101"})
    assert NO_EMAIL_FR in read(Page(done))
    assert await Appointment.count().where(Appointment.patient == world.marie) == 0


async def test_the_patient_cannot_move_it_from_the_details_page(world, demo):
    """The same follow-up on the platform, booked with her email: the reschedule is
    refused in words that say why, and the appointment keeps its time."""
    import re

    from app.scheduling.tables import Activity
    from tests.integration.portal_helpers import book_marie_follow_up, form_token, open_follow_ups
    from tests.integration.portal_helpers import slot_ids as offered

    reacts_type = (
        await Activity.select(Activity.appointment_type).where(Activity.id == world.activity)
    )[0]["appointment_type"]
    await Activity.update({Activity.appointment_type: reacts_type}).where(
        (Activity.clinic == world.clinic) & (Activity.name_fr == "Suivi")
    )
    await open_follow_ups()
    details = re.search(r'href="(/a/[^"]+)"', await book_marie_follow_up(demo)).group(1)
    before = await Appointment.objects().first()
    choices = await demo.get(details + "/reschedule")
    target = [s for s in offered(choices.text) if s != before.slot][0]
    answer = await demo.post(
        details + "/reschedule", data={"slot": target, "form_token": form_token(choices.text)}
    )
    assert answer.status_code == 409
    assert "Cette téléconsultation ne peut pas être déplacée" in answer.text
    assert (await Appointment.objects().first()).slot == before.slot
