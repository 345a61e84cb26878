"""Payments on the embedded default, without a provider (no PAYMENT_* settings): "Pay"
leads to our own dev page, whose button marks the request paid as the provider's webhook
would; the webhook endpoint does not exist. And the patient's "The consultation has
ended" page still offers "Pay"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.audit.tables import AuditEntry
from app.payments.tables import PaymentRequest
from app.video.tables import CallRoom, RoomState
from tests.integration.staff_helpers import csrf, signed_in
from tests.integration.video_helpers import book_teleconsultation
from tests.moments import NOW, freeze

JULIE = "julie.roy@demo.localhost"


@pytest.fixture
async def visit(web_app):
    freeze()
    return await book_teleconsultation(NOW + timedelta(minutes=10))


async def ask(client, visit, amount: str):
    panel = await client.get(f"/staff/calls/{visit.appointment_id}/payment")
    key = re.search(r'name="form_key" value="([^"]+)"', panel.text).group(1)
    return await client.post(
        f"/staff/calls/{visit.appointment_id}/payment",
        data={"_csrf_token": csrf(panel.text), "form_key": key, "amount": amount},
    )


async def status_of(visit) -> str:
    rows = await PaymentRequest.select(PaymentRequest.status).where(
        PaymentRequest.appointment == visit.appointment_id
    )
    return rows[0]["status"]


async def test_the_dev_page_marks_the_request_paid(demo, visit):
    julie = await signed_in(demo, JULIE)
    assert (await ask(julie, visit, "20")).status_code == 200
    page = await demo.get(f"/a/{visit.token}/pay")
    assert page.status_code == 200 and "Paiement d’essai" in page.text
    assert "20,00" in page.text
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)

    refused = await demo.post(f"/a/{visit.token}/pay/dev", data={"form_token": "1.bad"})
    assert refused.status_code == 409 and await status_of(visit) == "requested"

    paid = await demo.post(f"/a/{visit.token}/pay/dev", data={"form_token": token})
    assert paid.status_code == 303 and paid.headers["location"] == f"/a/{visit.token}/pay"
    assert await status_of(visit) == "paid"
    assert "Payé : 20,00" in (await demo.get(f"/a/{visit.token}/pay")).text
    assert await AuditEntry.count().where(AuditEntry.action == "payment.paid") == 1


async def test_no_webhook_without_a_provider(demo):
    answer = await demo.post("/payments/webhook", content=b"{}")
    assert answer.status_code == 404


async def test_the_ended_consultation_page_offers_pay(demo, visit):
    julie = await signed_in(demo, JULIE)
    assert (await ask(julie, visit, "45")).status_code == 200
    await CallRoom.insert(
        CallRoom(clinic=visit.clinic_id, appointment=visit.appointment_id, state=RoomState.ENDED)
    )
    room = await demo.get(visit.room)
    assert "La consultation est terminée" in room.text
    section = re.search(r'<section id="call-pay"[^>]*>', room.text).group(0)
    assert "hidden" not in section and 'data-status="requested"' in section
    assert f'href="/a/{visit.token}/pay"' in room.text and ">Payer<" in room.text
