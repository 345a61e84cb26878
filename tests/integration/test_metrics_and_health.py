"""/metrics as an operator's scraper reads it (the bearer token, the platform host only),
the counters a booking and a delivery move, the outbox gauges; and /healthz saying ok,
degraded (the outbox behind, Redis gone) for load balancers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import clock
from app.main import create_app
from app.messaging.dispatch import Dispatcher
from app.messaging.tables import Message
from app.settings import load
from app.templating import make_environment
from tests.integration.portal_helpers import book_marie_follow_up, open_follow_ups
from tests.integration.private_services import redis_server
from tests.integration.web import clinic_client, running
from tests.moments import freeze

TOKEN = "metrics-token-for-the-tests"
SCRAPER = {"authorization": f"Bearer {TOKEN}"}


def ops_settings(redis_url: str):
    # A deployment with a worker: the web process delivers nothing itself, so what the
    # outbox holds stays there until the test delivers it.
    return replace(load(), metrics_token=TOKEN, redis_url=redis_url)


@pytest.fixture
async def ops_app(demo_data, require_redis, redis_url):
    async with running(create_app(ops_settings(redis_url))) as app:
        yield app


@pytest.fixture
async def platform(ops_app):
    async with clinic_client(ops_app, "x") as client:
        client.base_url = "http://localhost"  # the bare base domain: the platform host
        yield client


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple], float]:
    response = await client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text[:200]
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(metrics: dict, name: str, **labels: str) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_answer_the_token_on_the_platform_host_only(ops_app, platform):
    assert (await platform.get("/metrics")).status_code == 401
    wrong = await platform.get("/metrics", headers={"authorization": "Bearer guess-guess-guess"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    assert "clinic_" not in wrong.text
    assert (await platform.get("/metrics", headers=SCRAPER)).status_code == 200
    # On a clinic's host, which the public reaches, there is no such page, token or not.
    async with clinic_client(ops_app, "demo") as demo:
        refused = await demo.get("/metrics", headers=SCRAPER)
        assert refused.status_code == 404 and "clinic_http" not in refused.text
    # Without METRICS_TOKEN, nowhere.
    async with running(create_app(replace(load(), metrics_token=None))) as bare:
        async with clinic_client(bare, "x") as client:
            client.base_url = "http://localhost"
            assert (await client.get("/metrics", headers=SCRAPER)).status_code == 404


async def test_requests_are_counted_per_route_not_per_path(ops_app, platform):
    async with clinic_client(ops_app, "demo") as demo:
        before = await scrape(platform)
        for token in ("first-token-aaaa", "second-token-bbbb"):
            await demo.get(f"/a/{token}")
        after = await scrape(platform)
    labels = {"app_name": "clinic", "method": "GET", "path": "/a/{token}", "status_code": "404"}
    assert (
        value(after, "clinic_http_requests_total", **labels)
        - value(before, "clinic_http_requests_total", **labels)
        == 2
    )
    assert value(after, "clinic_http_request_duration_seconds_count", **labels) >= 2
    assert not any("token-aaaa" in str(key) for key in after)


async def test_a_booking_and_its_delivery_move_the_counters_and_the_outbox_gauges(
    ops_app, platform
):
    freeze()
    await open_follow_ups()
    before = await scrape(platform)
    async with clinic_client(ops_app, "demo") as demo:
        await book_marie_follow_up(demo)
    after = await scrape(platform)
    assert (
        value(after, "clinic_slot_holds_total", outcome="held")
        - value(before, "clinic_slot_holds_total", outcome="held")
        == 1
    )
    assert (
        value(after, "clinic_bookings_total", by="patient", outcome="booked")
        - value(before, "clinic_bookings_total", by="patient", outcome="booked")
        == 1
    )
    queued = await Message.count().where(
        (Message.status == "pending") & (Message.next_attempt_at <= clock.now())
    )
    assert queued >= 1  # her confirmation (the reminders are due later)
    assert value(after, "clinic_outbox_due_messages") == queued
    assert value(after, "clinic_outbox_oldest_due_age_seconds") == 0

    # Nobody delivers for ten minutes: the gauge and /healthz see the lag.
    clock.advance(timedelta(minutes=10))
    late = await scrape(platform)
    assert value(late, "clinic_outbox_oldest_due_age_seconds") == 600
    health = (await platform.get("/healthz")).json()
    assert (health["status"], health["outbox"]) == ("degraded", {"due": queued, "lag_seconds": 600})

    await Dispatcher(ops_app.state.settings, make_environment()).run_until_idle()
    delivered = await scrape(platform)
    assert value(delivered, "clinic_outbox_due_messages") == 0
    assert value(delivered, "clinic_outbox_oldest_due_age_seconds") == 0
    sent = value(delivered, "clinic_deliveries_total", channel="email", status="sent") - value(
        late, "clinic_deliveries_total", channel="email", status="sent"
    )
    assert sent == queued
    assert (await platform.get("/healthz")).json()["status"] == "ok"


async def test_healthz_says_degraded_while_redis_is_down_and_ok_once_back(demo_data):
    with redis_server() as redis:
        async with running(create_app(ops_settings(redis.url()))) as app:
            async with clinic_client(app, "x") as client:
                first = await client.get("/healthz")
                assert (first.status_code, first.json()["status"]) == (200, "ok")
                redis.kill()
                down = await client.get("/healthz")
                # Still serving pages (200: stay in the load balancer's pool), but said.
                assert down.status_code == 200
                assert down.json()["status"] == "degraded"
                assert down.json()["redis"].startswith("error")
                redis.start()
                back = await client.get("/healthz")
                assert (back.status_code, back.json()["status"]) == (200, "ok")
