"""Malformed requests, as an attacker sends them, get a clear 4xx page and change nothing
(SPEC §11: never a 500). Each case here answered 500 once."""

from __future__ import annotations

import logging
import re

import pytest

from app.booking.tables import Appointment, BookingSession
from app.main import create_app
from app.settings import load
from tests.integration.portal_helpers import (
    MARIE,
    book_marie_follow_up,
    choose_service,
    form_token,
    identify,
    open_follow_ups,
    text,
)
from tests.moments import freeze

NINES = "9" * 5000  # int() refuses more than 4,300 digits


@pytest.fixture
async def portal(demo):
    freeze()
    await open_follow_ups()
    return demo


@pytest.fixture
def errors(caplog):
    """What the app logged at ERROR level: a traceback there is a 500 someone will look for."""
    caplog.set_level(logging.ERROR)
    yield lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


async def marie_at_the_slots(client) -> str:
    service_url = (await identify(client, MARIE)).headers["location"]
    await choose_service(client, service_url, "Suivi avec mon médecin de famille")
    return service_url.replace("/service", "/slots")


@pytest.mark.parametrize(
    "host",
    [
        "demo.localhost:abc",
        "demo.localhost:@evil.example",
        "demo.localhost:99999",
        "demo.localhost:",
    ],
)
@pytest.mark.parametrize("path", ["/centre-ville/", "/nope", "/"])
async def test_a_host_header_with_a_bad_port_is_the_404_page(demo, errors, host, path):
    response = await demo.get(path, headers={"host": host})
    assert response.status_code == 404 and "Page not found" in text(response)  # no clinic: English
    assert "Clinique Démo" not in text(response)
    assert errors() == []


async def test_a_host_header_that_is_not_ascii_is_a_bad_request(demo, errors):
    response = await demo.get("/centre-ville/", headers={"host": "demo.localhost:²".encode()})
    assert response.status_code == 400 and "Clinique Démo" not in text(
        response
    )  # Litestar's own check
    assert errors() == []


@pytest.mark.parametrize("token", ["².abc", "٣.abc", f"{NINES}.abc", "1_000.abc"])
async def test_odd_numbers_in_a_form_token_are_an_expired_form(demo, errors, token):
    response = await demo.post("/centre-ville/", data={**MARIE, "form_token": token})
    assert response.status_code == 422 and "Cette page a expiré" in text(response)
    assert await BookingSession.count() == 0
    assert errors() == []


async def test_a_form_token_with_a_non_ascii_signature_is_an_expired_form(demo, errors):
    page = await demo.get("/centre-ville/")
    hour = form_token(page.text).split(".")[0]
    for signature in ("é", "😀" * 40):
        response = await demo.post(
            "/centre-ville/", data={**MARIE, "form_token": f"{hour}.{signature}"}
        )
        assert response.status_code == 422 and "Cette page a expiré" in text(response)
    assert errors() == []


@pytest.mark.parametrize(
    "token",
    [
        "1.1796260500.%C3%A9",
        "1.1796260500.%F0%9F%98%80",
        f"1.{NINES}.abc",
        f"{NINES}.1.abc",
        "².1796260500.abc",
        "1.1796260500.a%00b",
    ],
)
async def test_odd_details_links_are_the_invalid_link_page(portal, errors, token):
    response = await portal.get(f"/a/{token}")
    assert response.status_code == 404 and "Ce lien ne fonctionne pas" in text(response)
    assert errors() == []


async def test_odd_numbers_in_the_slot_list_change_nothing(portal, errors):
    slots_url = await marie_at_the_slots(portal)
    for shown in ("²", NINES, "-5", "5.0"):
        page = await portal.get(f"{slots_url}?shown={shown}")
        assert page.status_code == 200 and len(re.findall(r'name="slot"', page.text)) == 5
    listing = await portal.get(slots_url)
    for slot in ("²", NINES, "2147483648", "٣"):
        response = await portal.post(
            slots_url, data={"slot": slot, "form_token": form_token(listing.text)}
        )
        assert response.status_code == 422 and "Choisissez un rendez-vous" in text(response)
    assert errors() == []


async def test_odd_numbers_for_the_service_are_answered_next_to_the_field(portal, errors):
    service_url = (await identify(portal, MARIE)).headers["location"]
    for service in ("²", NINES, "2147483648"):
        response = await choose_service(
            portal, service_url, "Suivi avec mon médecin de famille", service=service
        )
        assert response.status_code == 422 and 'id="service-error"' in response.text
    assert errors() == []


async def test_odd_slots_for_a_move_change_nothing(portal, errors):
    done = await book_marie_follow_up(portal)
    details = re.search(r'href="(/a/[^"]+)"', done).group(1)
    choices = await portal.get(details + "/reschedule")
    before = await Appointment.objects().first()
    for slot in ("²", NINES, "2147483648"):
        response = await portal.post(
            details + "/reschedule", data={"slot": slot, "form_token": form_token(choices.text)}
        )
        assert response.status_code == 422
    assert (await Appointment.objects().first()).slot == before.slot
    assert errors() == []


async def test_a_field_sent_as_a_file_is_a_422(demo, errors):
    page = await demo.get("/centre-ville/")
    fields = {**MARIE, "form_token": form_token(page.text)}
    for name in ("form_token", "first_name", "accept_terms"):
        data = {k: v for k, v in fields.items() if k != name}
        response = await demo.post("/centre-ville/", data=data, files={name: ("x.txt", b"Marie")})
        assert response.status_code == 422 and "Cette demande n'a pas pu être traitée" in text(
            response
        )
    assert await BookingSession.count() == 0
    assert errors() == []


async def test_a_multipart_field_that_is_not_text_is_a_422(demo, errors):
    page = await demo.get("/centre-ville/")
    boundary = "b0undary"
    for headers, value in (("", b"\xff\xfe"), ("; charset=klingon", b"Marie")):
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="form_token"\r\n\r\n{form_token(page.text)}\r\n'  # noqa: E501 - the text as read
                f'--{boundary}\r\nContent-Disposition: form-data; name="first_name"\r\nContent-Type: text/plain{headers}\r\n\r\n'  # noqa: E501 - the text as read
            ).encode()
            + value
            + f"\r\n--{boundary}--\r\n".encode()
        )
        response = await demo.post(
            "/centre-ville/",
            content=body,
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
        assert response.status_code == 422
    assert errors() == []


async def test_nul_characters_in_a_booking_session_path_are_no_session(demo, errors):
    for token in ("abc%00def", "%00" * 43, "A" * 42 + "%00"):
        response = await demo.get(f"/centre-ville/b/{token}/service")
        assert response.status_code == 404 and "Cette page a expiré" in text(response)
    assert errors() == []


@pytest.mark.parametrize(
    "path", ["/static/%00", "/static/css/%00.css", "/static/" + "a" * 300, "/static/css/app.css/x"]
)
async def test_a_static_path_no_file_can_have_is_a_404(demo, errors, path):
    assert (await demo.get(path)).status_code == 404
    assert errors() == []


async def test_nul_characters_in_form_text_are_dropped(portal, errors):
    service_url = (await identify(portal, {**MARIE, "first_name": "Ma\x00rie"})).headers["location"]
    response = await choose_service(
        portal,
        service_url,
        "Suivi avec mon médecin de famille",
        reason="Contrôle\x00 annuel",
        details="to\x00ux",
    )
    assert response.status_code == 303
    session = await BookingSession.objects().first()
    assert (session.reason, session.details) == ("Contrôle annuel", "toux")
    assert errors() == []


async def test_a_client_leaving_mid_body_is_no_error(database, errors):
    """What uvicorn hands the app when the connection drops after part of the body."""
    app = create_app(load())
    messages = iter(
        [
            {"type": "http.request", "body": b"first_name=Mar", "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/centre-ville/",
        "raw_path": b"/centre-ville/",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"demo.localhost"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"200"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert errors() == []
