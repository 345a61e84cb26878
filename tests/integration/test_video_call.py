"""The call's routes and WebSocket (issue 13): who gets in, what is relayed, and what
closes a socket. The patient's details link opens the room from 30 minutes before the
appointment until an hour after its end; the clinic's practitioner of the appointment
and administrators join; a secretary sees the state but nothing of hers is relayed;
another clinic's staff and a bad Origin are refused (4403, before accept)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.audit.tables import AuditEntry
from app.booking.tables import Appointment
from app.video.tables import CallRoom
from tests.integration.staff_helpers import csrf, signed_in
from tests.integration.video_helpers import Socket, book_teleconsultation, cookie_header
from tests.moments import NOW, freeze

HOST = "demo.localhost"
ORIGIN = "http://demo.localhost"


@pytest.fixture
async def visit(web_app):
    freeze()
    return await book_teleconsultation(NOW + timedelta(minutes=10))


def patient_socket(app, visit, *, origin=ORIGIN, token=None) -> Socket:
    return Socket(app, f"/a/{token or visit.token}/room/ws", host=HOST, origin=origin)


def staff_socket(app, visit, client, *, host=HOST, origin=ORIGIN) -> Socket:
    return Socket(
        app,
        f"/staff/calls/{visit.appointment_id}/ws",
        host=host,
        origin=origin,
        cookies=cookie_header(client),
    )


async def accept(client, visit):
    page = await client.get(f"/staff/calls/{visit.appointment_id}")
    return await client.post(
        f"/staff/calls/{visit.appointment_id}/accept", data={"_csrf_token": csrf(page.text)}
    )


async def test_the_room_page_offers_the_device_check_and_the_waiting_room(demo, visit):
    page = await demo.get(visit.room)
    assert page.status_code == 200
    assert "Tester ma caméra et mon micro" in page.text
    assert (
        "Rejoindre la salle d&#39;attente" in page.text
        or "Rejoindre la salle d'attente" in page.text
    )
    assert f'hx-get="{visit.room}/chat"' in page.text
    english = await demo.get(visit.room + "?lang=en")
    assert (
        "Test my camera and microphone" in english.text and "Join the waiting room" in english.text
    )


async def test_the_details_page_leads_to_the_room_once_it_opens(demo, visit):
    details = await demo.get(f"/a/{visit.token}")
    assert f'href="{visit.room}"' in details.text
    clock.freeze(visit.starts_at - timedelta(hours=2))
    early = await demo.get(f"/a/{visit.token}")
    assert f'href="{visit.room}"' not in early.text
    assert "La salle d&#39;attente ouvre" in early.text or "La salle d'attente ouvre" in early.text


async def test_a_tampered_link_is_not_found(web_app, demo, visit):
    tampered = visit.token[:-2] + ("AA" if not visit.token.endswith("AA") else "BB")
    assert (await demo.get(f"/a/{tampered}/room")).status_code == 404
    socket = await patient_socket(web_app, visit, token=tampered).open()
    assert not socket.accepted and socket.closed == 4403


async def test_too_early_says_when_the_room_opens_and_refuses_the_socket(web_app, demo, visit):
    clock.freeze(visit.starts_at - timedelta(minutes=31))
    page = await demo.get(visit.room)
    assert page.status_code == 200 and "ouvre le" in page.text and "Rejoindre" not in page.text
    socket = await patient_socket(web_app, visit).open()
    assert socket.closed == 4403
    assert await CallRoom.count() == 0


async def test_too_late_and_expired_links_are_refused(web_app, demo, visit):
    clock.freeze(visit.ends_at + timedelta(hours=1, minutes=1))
    page = await demo.get(visit.room)
    assert page.status_code == 410 and "terminée" in page.text
    assert (await patient_socket(web_app, visit).open()).closed == 4403
    clock.freeze(visit.ends_at + timedelta(hours=13))  # the link itself has expired
    assert (await demo.get(visit.room)).status_code == 404
    assert (await patient_socket(web_app, visit).open()).closed == 4403


async def test_a_cancelled_appointment_has_no_room(web_app, demo, visit):
    await Appointment.update({Appointment.status: "cancelled"}).where(
        Appointment.id == visit.appointment_id
    )
    page = await demo.get(visit.room)
    assert page.status_code == 410 and "annulé" in page.text
    assert (await patient_socket(web_app, visit).open()).closed == 4403


async def test_a_socket_from_another_origin_is_refused(web_app, demo, visit):
    for origin in ("http://evil.example", "http://autre.localhost", None):
        socket = await patient_socket(web_app, visit, origin=origin).open()
        assert socket.closed == 4403, origin
    await signed_in(demo, "julie.roy@demo.localhost")
    socket = await staff_socket(web_app, visit, demo, origin="http://evil.example").open()
    assert socket.closed == 4403


async def test_another_clinics_staff_gets_nothing(web_app, autre, visit):
    await signed_in(autre, "admin@autre.localhost")
    assert (await autre.get(f"/staff/calls/{visit.appointment_id}")).status_code == 404
    socket = await staff_socket(
        web_app, visit, autre, host="autre.localhost", origin="http://autre.localhost"
    ).open()
    assert socket.closed == 4403


async def test_no_session_no_socket(web_app, demo, visit):
    socket = await staff_socket(web_app, visit, demo).open()
    assert socket.closed == 4403


async def test_the_call_from_waiting_to_hang_up(web_app, demo, visit):
    patient = await patient_socket(web_app, visit).open()
    hello = await patient.until("hello")
    assert hello["data"]["side"] == "patient" and hello["data"]["may_join"] is True
    assert hello["data"]["status"]["state"] == "waiting" and hello["data"]["status"]["present"]
    assert isinstance(hello["data"]["ice_servers"], list)
    await signed_in(demo, "julie.roy@demo.localhost")
    julie = await staff_socket(web_app, visit, demo).open()
    assert (await julie.until("hello"))["data"]["may_join"] is True
    window = await demo.get(f"/staff/calls/{visit.appointment_id}")
    assert window.status_code == 200 and "Accepter" in window.text
    assert "Consultation vidéo · Marie Tremblay" in window.text

    # Before "Accept" nothing is relayed: the patient's first signal is dropped.
    patient.send({"type": "signal", "data": {"n": "before"}})
    patient.send({"type": "ping"})
    assert (await patient.until("pong"))["type"] == "pong"
    response = await accept(demo, visit)
    assert response.status_code == 303
    await patient.until("state", state="in_call")
    before = await julie.frames_until("state", state="in_call")
    assert [frame for frame in before if frame["type"] == "signal"] == []
    patient.send({"type": "signal", "data": {"n": "after"}})
    relayed = await julie.until("signal")
    assert relayed["data"] == {"n": "after"} and relayed["side"] == "patient"
    # A socket does not hear its own signals.
    julie.send({"type": "signal", "data": {"n": "offer"}})
    assert (await patient.until("signal"))["data"] == {"n": "offer"}
    julie.send({"type": "ping"})
    assert (await julie.until("pong"))["type"] == "pong"

    patient.send({"type": "hangup"})
    await julie.until("state", state="ended")
    await patient.until("state", state="ended")
    await patient.close()
    await julie.close()
    kinds = [row["action"] for row in await AuditEntry.select(AuditEntry.action)]
    assert {"call.started", "call.accepted", "call.ended"} <= set(kinds)


async def test_accept_and_end_from_htmx_answer_the_windows_state(web_app, demo, visit):
    patient = await patient_socket(web_app, visit).open()
    await patient.until("hello")
    await signed_in(demo, "julie.roy@demo.localhost")
    page = await demo.get(f"/staff/calls/{visit.appointment_id}")
    token = csrf(page.text)
    fragment = await demo.get(
        f"/staff/calls/{visit.appointment_id}", headers={"HX-Request": "true"}
    )
    assert fragment.text.count('id="call-state"') == 1 and "<html" not in fragment.text
    assert "HX-Push-Url" not in fragment.headers
    assert "<title>Consultation vidéo · Marie Tremblay" in fragment.text
    path = f"/staff/calls/{visit.appointment_id}"
    accepted = await demo.post(
        path + "/accept", data={"_csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert accepted.status_code == 200 and "En consultation." in accepted.text
    again = await demo.post(
        path + "/accept", data={"_csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert again.status_code == 409 and "n&#39;est pas dans la salle d&#39;attente" in again.text
    await patient.until("state", state="in_call")
    ended = await demo.post(path + "/end", data={"_csrf_token": token})
    assert ended.status_code == 303
    await patient.until("state", state="ended")
    await patient.close()


async def test_a_secretary_sees_the_state_and_relays_nothing(web_app, demo, autre, visit):
    patient = await patient_socket(web_app, visit).open()
    await patient.until("hello")
    await signed_in(demo, "secretariat@demo.localhost")
    secretary = await staff_socket(web_app, visit, demo).open()
    assert (await secretary.until("hello"))["data"]["may_join"] is False
    window = await demo.get(f"/staff/calls/{visit.appointment_id}")
    assert window.status_code == 200
    assert "Accepter" not in window.text and "Raccrocher" not in window.text
    assert 'id="call-mute"' not in window.text
    refused = await accept(demo, visit)
    assert refused.status_code == 403
    assert (await CallRoom.select(CallRoom.state).first())["state"] == "waiting"

    # Julie, in another browser, lets the patient in.
    from tests.integration.web import clinic_client

    async with clinic_client(web_app, "demo") as julie_browser:
        await signed_in(julie_browser, "julie.roy@demo.localhost")
        julie = await staff_socket(web_app, visit, julie_browser).open()
        await julie.until("hello")
        assert (await accept(julie_browser, visit)).status_code == 303
        await secretary.until("state", state="in_call")
        await julie.until("state", state="in_call")
        secretary.send({"type": "signal", "data": {"n": "secretary"}})
        secretary.send({"type": "hangup"})  # not hers to end
        patient.send({"type": "signal", "data": {"n": "patient"}})
        assert (await julie.until("signal"))["data"] == {"n": "patient"}
        julie.send({"type": "signal", "data": {"n": "julie"}})
        assert (await patient.until("signal"))["data"] == {"n": "julie"}
        # The secretary hears no signal: the next frames she gets are a pong.
        secretary.send({"type": "ping"})
        while (frame := await secretary.receive())["type"] != "pong":
            assert frame["type"] != "signal", frame
        assert (await CallRoom.select(CallRoom.state).first())["state"] == "in_call"
        await julie.close()
    await secretary.close()
    await patient.close()


async def test_oversized_and_non_json_frames_close_the_socket(web_app, visit):
    big = await patient_socket(web_app, visit).open()
    await big.until("hello")
    big.send({"type": "signal", "data": {"sdp": "x" * (64 * 1024)}})
    assert await big.until_closed() == 1009
    await big.close()
    garbage = await patient_socket(web_app, visit).open()
    await garbage.until("hello")
    garbage.send("not json")
    assert await garbage.until_closed() == 1003
    await garbage.close()
    binary = await patient_socket(web_app, visit).open()
    await binary.until("hello")
    binary.send(b"\x00\x01")
    assert await binary.until_closed() == 1003
    await binary.close()


async def test_the_patient_leaving_keeps_the_place_and_says_so(web_app, visit):
    patient = await patient_socket(web_app, visit).open()
    await patient.until("hello")
    arrived = (await CallRoom.select(CallRoom.arrived_at).first())["arrived_at"]
    await patient.close()
    row = await CallRoom.select(CallRoom.present, CallRoom.arrived_at, CallRoom.state).first()
    assert row["present"] is False and row["state"] == "waiting"
    again = await patient_socket(web_app, visit).open()
    hello = await again.until("hello")
    assert hello["data"]["status"]["present"] is True
    assert (await CallRoom.select(CallRoom.arrived_at).first())["arrived_at"] == arrived
    await again.close()


async def test_signals_cross_the_redis_channels(demo_data):
    """Production's backend: the same relay through Redis pub/sub (REDIS_URL)."""
    from dataclasses import replace

    from app.main import create_app
    from app.settings import load
    from conftest import REDIS_TEST_URL, port_open, require
    from tests.integration.web import clinic_client, running

    require("Redis", port_open("127.0.0.1", 6379))
    freeze()
    visit = await book_teleconsultation(NOW + timedelta(minutes=10))
    async with running(create_app(replace(load(), redis_url=REDIS_TEST_URL))) as app:
        async with clinic_client(app, "demo") as browser:
            patient = await patient_socket(app, visit).open()
            await patient.until("hello")
            await signed_in(browser, "julie.roy@demo.localhost")
            julie = await staff_socket(app, visit, browser).open()
            await julie.until("hello")
            assert (await accept(browser, visit)).status_code == 303
            await patient.until("state", state="in_call", timeout=10)
            await julie.until("state", state="in_call", timeout=10)
            julie.send({"type": "signal", "data": {"description": {"type": "offer", "sdp": "v=0"}}})
            relayed = await patient.until("signal", timeout=10)
            assert relayed["data"]["description"]["type"] == "offer"
            await patient.close()
            await julie.close()
