"""The request log as production writes it (LOG_FORMAT=json), read from a real server's
output: one JSON line per request, found by the id the response carries, with the route,
the clinic and the status; no token of a details link, and nothing a patient typed."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.integration.portal_helpers import MARIE, form_token
from tests.integration.private_services import app_process

PATIENT = {**MARIE, "first_name": "Zéphirine", "last_name": "Quarteron", "email": "zq@exemple.org"}
TOKEN = "eyJhcHBvaW50bWVudCI6NDJ9.c2VjcmV0LXBhcnQtb2YtdGhlLWxpbms"


@pytest.fixture
def json_server(demo_data, tmp_path):
    with app_process(tmp_path / "server.log", LOG_FORMAT="json") as server:
        yield server


def lines_of(server) -> list[dict]:
    return [json.loads(line) for line in server.lines() if line.startswith("{")]


def line_for(server, response: httpx.Response) -> dict:
    """The request's line, which the server writes once the answer has gone: on a busy
    machine a moment after the client has read it."""
    request_id = response.headers["x-request-id"]
    deadline = time.monotonic() + 5
    while True:
        found = [
            line
            for line in lines_of(server)
            if line.get("request_id") == request_id and line["logger"] == "app.requests"
        ]
        if found or time.monotonic() > deadline:
            [line] = found
            return line
        time.sleep(0.05)


async def test_each_request_is_one_json_line_found_by_its_id(json_server):
    async with httpx.AsyncClient(
        base_url=json_server.url, headers={"host": "demo.localhost"}
    ) as demo:
        page = await demo.get("/centre-ville/")
        missing = await demo.get("/centre-ville/nothing-here")
        health = await demo.get("/healthz", headers={"host": "127.0.0.1"})
    assert page.status_code == 200 and health.status_code == 200
    assert len({page.headers["x-request-id"], health.headers["x-request-id"]}) == 2
    line = line_for(json_server, page)
    assert line["level"] == "info"
    assert {key: line[key] for key in ("method", "path", "route", "clinic", "status")} == {
        "method": "GET",
        "path": "/centre-ville/",
        "route": "/{site_slug}",
        "clinic": "demo",
        "status": 200,
    }
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line_for(json_server, missing)["status"] == 404
    health_line = line_for(json_server, health)
    assert (health_line["route"], health_line["clinic"]) == ("/healthz", None)
    # The only request lines are ours: uvicorn's access log is replaced, not doubled.
    requests = [line for line in lines_of(json_server) if line["logger"] == "app.requests"]
    assert all(line["logger"] != "uvicorn.access" for line in lines_of(json_server))
    assert len(requests) >= 3


async def test_a_load_balancers_request_id_is_kept_and_a_strange_one_replaced(json_server):
    async with httpx.AsyncClient(base_url=json_server.url) as client:
        kept = await client.get("/healthz", headers={"x-request-id": "haproxy-7f3a9c21"})
        replaced = await client.get("/healthz", headers={"x-request-id": 'x", "forged": "1'})
    assert kept.headers["x-request-id"] == "haproxy-7f3a9c21"
    assert line_for(json_server, kept)["status"] == 200
    assert replaced.headers["x-request-id"] != 'x", "forged": "1'
    assert line_for(json_server, replaced)["status"] == 200  # written: now read them all
    assert all("forged" not in line for line in lines_of(json_server))


async def test_tokens_and_what_a_patient_types_never_reach_the_log(json_server):
    async with httpx.AsyncClient(
        base_url=json_server.url, headers={"host": "demo.localhost"}
    ) as demo:
        link = await demo.get(f"/a/{TOKEN}")
        session = await demo.get(f"/centre-ville/b/{TOKEN}/service")
        form = await demo.get("/centre-ville/")
        typed = await demo.post(
            "/centre-ville/",
            data={**PATIENT, "form_token": form_token(form.text)},
            headers={"origin": "http://demo.localhost"},
        )
        search = await demo.get("/centre-ville/", params={"q": PATIENT["last_name"]})
    assert typed.status_code in (200, 303), typed.text[:300]
    assert line_for(json_server, link)["path"] == "/a/…"
    assert line_for(json_server, session)["path"] == "/centre-ville/b/…/service"
    assert line_for(json_server, typed)["method"] == "POST"
    assert line_for(json_server, search)["path"] == "/centre-ville/"  # no query string
    log = "\n".join(json_server.lines())
    for secret in (TOKEN, PATIENT["last_name"], PATIENT["first_name"], PATIENT["email"]):
        assert secret not in log
