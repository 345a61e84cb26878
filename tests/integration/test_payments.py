"""Payment requests (issue 14) against a local provider that speaks the Checkout Sessions
API the stripe SDK calls and signs its webhooks (tests/payment_provider.py): the
practitioner's "Request payment" in the call (bad amounts refused, nothing saved; a
retried form makes one session), the patient's "Pay" link, and the webhook: a bad
signature, a stale timestamp, a replayed event and another clinic's payment are refused,
recorded, and change nothing; the genuine one marks the request paid, audited."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from app import clock
from app.audit.tables import AuditEntry
from app.payments.tables import PaymentRequest, PaymentWebhookEvent
from app.settings import PaymentProvider, load
from tests.integration.demo_lookup import clinic_id
from tests.integration.staff_helpers import csrf, signed_in
from tests.integration.video_helpers import book_teleconsultation
from tests.moments import NOW, freeze
from tests.payment_provider import SECRET_KEY, WEBHOOK_SECRET, LocalPaymentProvider, sign

JULIE = "julie.roy@demo.localhost"
SECRETARY = "secretariat@demo.localhost"


@pytest.fixture
def provider():
    local = LocalPaymentProvider(now=lambda: clock.now().timestamp()).start()
    yield local
    local.stop()


@pytest.fixture
def app_settings(provider):
    return replace(load(), payment=PaymentProvider(provider.base, SECRET_KEY, WEBHOOK_SECRET))


@pytest.fixture
async def visit(web_app):
    freeze()
    return await book_teleconsultation(NOW + timedelta(minutes=10))


@pytest.fixture
async def julie(demo):
    return await signed_in(demo, JULIE)


def form_key(html: str) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


async def ask(client, visit, amount: str = "45.00", key: str | None = None, **fields):
    panel = await client.get(f"/staff/calls/{visit.appointment_id}/payment")
    assert panel.status_code == 200, panel.text
    data = {"_csrf_token": csrf(panel.text), "form_key": key or form_key(panel.text)}
    data.update({"amount": amount, **fields})
    return await client.post(f"/staff/calls/{visit.appointment_id}/payment", data=data)


async def requests_of(visit) -> list[dict]:
    return await PaymentRequest.select().where(PaymentRequest.appointment == visit.appointment_id)


async def outcomes(clinic: int) -> list[str]:
    rows = await PaymentWebhookEvent.select(PaymentWebhookEvent.outcome).where(
        PaymentWebhookEvent.clinic == clinic
    )
    return [row["outcome"] for row in rows]


async def audited(visit_clinic: int, action: str) -> int:
    return await AuditEntry.count().where(
        (AuditEntry.clinic == visit_clinic) & (AuditEntry.action == action)
    )


async def test_a_typed_amount_makes_a_checkout_session_and_pay_leads_to_it(
    julie, demo, visit, provider
):
    answer = await ask(julie, visit, "45,00")
    assert answer.status_code == 200, answer.text
    assert "45,00" in answer.text and "En attente de paiement" in answer.text
    [row] = await requests_of(visit)
    assert (row["amount_cents"], row["currency"], row["status"]) == (4500, "cad", "requested")
    session = provider.sessions[row["provider_session"]]
    assert session["amount_total"] == 4500 and session["currency"] == "cad"
    assert session["metadata"] == {
        "payment_request": str(row["id"]),
        "clinic": str(visit.clinic_id),
    }
    assert session["idempotency_key"] == row["idempotency_key"]
    assert session["success_url"].endswith(f"/a/{visit.token}")
    assert await audited(visit.clinic_id, "payment.requested") == 1

    pay = await demo.get(f"/a/{visit.token}/pay")
    assert pay.status_code == 303 and pay.headers["location"] == session["url"]
    room = await demo.get(visit.room)
    assert f'href="/a/{visit.token}/pay"' in room.text and 'id="call-pay" ' in room.text
    assert 'data-status="requested"' in room.text


async def test_a_new_amount_replaces_the_open_request(julie, demo, visit, provider):
    """Another amount asked on the same appointment: the first session is expired at the
    provider and its request marked expired; "Pay" leads to the new one."""
    assert (await ask(julie, visit, "45")).status_code == 200
    assert (await ask(julie, visit, "30")).status_code == 200
    first, second = sorted(await requests_of(visit), key=lambda row: row["id"])
    assert (first["status"], second["status"]) == ("expired", "requested")
    assert provider.sessions[first["provider_session"]]["status"] == "expired"
    assert provider.sessions[second["provider_session"]]["status"] == "open"
    pay = await demo.get(f"/a/{visit.token}/pay")
    assert pay.headers["location"] == provider.sessions[second["provider_session"]]["url"]
    assert await audited(visit.clinic_id, "payment.expired") == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Inscrivez un montant"),
        ("quarante", "Inscrivez un montant en chiffres"),
        ("0", "Le montant doit être supérieur à zéro."),
        ("-5", "Le montant doit être supérieur à zéro."),
        ("4.555", "Un montant a au plus deux décimales."),
        ("1000.01", "Le montant peut être d’au plus 1"),
        ("1 000,50", "Le montant peut être d’au plus 1"),
        ("12345678901", "Inscrivez un montant en chiffres"),
    ],
)
async def test_each_bad_amount_has_its_message_and_nothing_is_saved(
    julie, visit, provider, amount, message
):
    answer = await ask(julie, visit, amount)
    assert answer.status_code == 422
    error = re.search(r'<p class="error" id="payment-amount-error">([^<]*)</p>', answer.text)
    assert error and message in error.group(1).replace("&#39;", "’"), answer.text
    assert await requests_of(visit) == []
    assert provider.create_calls == 0


async def test_a_preset_of_another_clinic_is_refused(julie, visit, provider):
    answer = await ask(julie, visit, "", preset="999999")
    assert answer.status_code == 422
    assert await requests_of(visit) == [] and provider.create_calls == 0


async def test_the_same_form_sent_again_makes_one_request_and_one_session(julie, visit, provider):
    panel = await julie.get(f"/staff/calls/{visit.appointment_id}/payment")
    key = form_key(panel.text)
    provider.fail_next = 3  # the provider is down at first: the practitioner sends again
    answers = [(await ask(julie, visit, "30", key=key)).status_code for _ in range(4)]
    assert answers[0] == 503 and answers[-1] == 200, answers
    [row] = await requests_of(visit)
    assert provider.created == 1 and row["provider_session"] in provider.sessions
    again = await ask(julie, visit, "30", key=key)  # a double click after it worked
    assert again.status_code == 200
    assert len(await requests_of(visit)) == 1 and provider.created == 1
    assert await audited(visit.clinic_id, "payment.requested") == 1


async def test_a_lost_answer_then_a_retry_finds_the_same_session(julie, visit, provider):
    """The provider made the session but its answers were lost (the SDK's own retries
    too): the practitioner sends the form again, and the Idempotency-Key brings back
    that session instead of a second one."""
    panel = await julie.get(f"/staff/calls/{visit.appointment_id}/payment")
    key = form_key(panel.text)
    provider.lose_next = 3  # the first try and the SDK's two retries
    assert (await ask(julie, visit, "30", key=key)).status_code == 503
    assert provider.created == 1 and provider.create_calls == 3
    assert (await ask(julie, visit, "30", key=key)).status_code == 200
    [row] = await requests_of(visit)
    assert provider.created == 1 and row["provider_session"] == next(iter(provider.sessions))


async def test_a_secretary_sees_the_status_but_cannot_request(demo, visit, provider):
    secretary = await signed_in(demo, SECRETARY)
    panel = await secretary.get(f"/staff/calls/{visit.appointment_id}/payment")
    assert panel.status_code == 200 and 'name="amount"' not in panel.text
    answer = await secretary.post(
        f"/staff/calls/{visit.appointment_id}/payment",
        data={"_csrf_token": csrf((await secretary.get("/staff")).text), "amount": "45"},
    )
    assert answer.status_code == 403
    assert await requests_of(visit) == []


async def requested(julie, visit) -> dict:
    assert (await ask(julie, visit, "45.00")).status_code == 200
    [row] = await requests_of(visit)
    return row


async def post_event(client, body: bytes, header: str):
    return await client.post(
        "/payments/webhook",
        content=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


async def test_the_signed_webhook_marks_it_paid_once(julie, demo, visit, provider):
    row = await requested(julie, visit)
    event = provider.event(row["provider_session"], "checkout.session.completed")
    provider.complete(row["provider_session"])
    event["data"]["object"] = dict(provider.sessions[row["provider_session"]])
    answer = await post_event(demo, *provider.signed(event))
    assert answer.status_code == 200, answer.text
    [paid] = await requests_of(visit)
    assert paid["status"] == "paid" and paid["paid_at"] == clock.now()
    assert await audited(visit.clinic_id, "payment.paid") == 1

    status = await julie.get(f"/staff/appointments/{visit.appointment_id}/payment")
    assert status.status_code == 200 and "Payé" in status.text and "45,00" in status.text
    room = await demo.get(visit.room)
    assert "Paiement reçu. Merci." in room.text

    # The same event again, freshly signed a minute later: refused as a replay, recorded.
    clock.advance(timedelta(minutes=1))
    again = await post_event(demo, *provider.signed(event))
    assert again.status_code == 200 and again.json()["outcome"] == "replay"
    [still] = await requests_of(visit)
    assert still["paid_at"] == paid["paid_at"]
    assert await outcomes(visit.clinic_id) == ["processed", "replay"]
    assert await audited(visit.clinic_id, "payment.paid") == 1
    assert await audited(visit.clinic_id, "payment.webhook_refused") == 1


async def paid_event(provider, row) -> dict:
    event = provider.event(row["provider_session"], "checkout.session.completed")
    event["data"]["object"].update(status="complete", payment_status="paid")
    return event


async def test_a_bad_signature_is_refused_recorded_and_changes_nothing(
    julie, demo, visit, provider
):
    row = await requested(julie, visit)
    event = await paid_event(provider, row)
    for body, header in (
        provider.signed(event, secret="whsec_someone_else"),
        (provider.signed(event)[0] + b" ", provider.signed(event)[1]),  # the body altered
        (provider.signed(event)[0], ""),
        (provider.signed(event)[0], "t=abc,v1=00"),
    ):
        answer = await post_event(demo, body, header)
        assert answer.status_code == 400, answer.text
    [unchanged] = await requests_of(visit)
    assert unchanged["status"] == "requested" and unchanged["paid_at"] is None
    assert await outcomes(visit.clinic_id) == ["bad_signature"] * 4
    # Unsigned noise is recorded, not audited.
    assert await audited(visit.clinic_id, "payment.webhook_refused") == 0
    assert await audited(visit.clinic_id, "payment.paid") == 0


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
async def test_a_stale_timestamp_is_refused_by_the_apps_clock(julie, demo, visit, provider, skew):
    row = await requested(julie, visit)
    event = await paid_event(provider, row)
    # Signed by app.clock, which the test moved: the machine's clock would take it.
    answer = await post_event(demo, *provider.signed(event, at=(clock.now() + skew).timestamp()))
    assert answer.status_code == 400
    [unchanged] = await requests_of(visit)
    assert unchanged["status"] == "requested"
    assert await outcomes(visit.clinic_id) == ["stale"]
    assert await audited(visit.clinic_id, "payment.webhook_refused") == 1
    # Within the window it is taken (the same event id: a refused one was not consumed).
    inside = await post_event(
        demo, *provider.signed(event, at=(clock.now() - skew / 2).timestamp())
    )
    assert inside.status_code == 200
    assert (await requests_of(visit))[0]["status"] == "paid"


async def test_an_event_for_another_clinics_payment_is_refused(julie, demo, autre, visit, provider):
    row = await requested(julie, visit)
    event = await paid_event(provider, row)
    # Sent to the other clinic's endpoint: its host is its clinic, and the payment is not its.
    answer = await post_event(autre, *provider.signed(event))
    assert answer.status_code == 400
    other = await clinic_id("autre")
    assert await outcomes(other) == ["unknown_payment"]
    assert await audited(other, "payment.webhook_refused") == 1
    # On our own host, a session that is not the request's is refused too.
    forged = await paid_event(provider, row)
    forged["data"]["object"]["id"] = "cs_test_not_ours"
    assert (await post_event(demo, *provider.signed(forged))).status_code == 400
    assert (await requests_of(visit))[0]["status"] == "requested"
    assert await outcomes(visit.clinic_id) == ["unknown_payment"]
    # The genuine event, on the right host, still goes through.
    assert (await post_event(demo, *provider.signed(event))).status_code == 200
    assert (await requests_of(visit))[0]["status"] == "paid"


async def test_an_expired_session_marks_the_request_expired(julie, demo, visit, provider):
    row = await requested(julie, visit)
    event = provider.event(row["provider_session"], "checkout.session.expired")
    assert (await post_event(demo, *provider.signed(event))).status_code == 200
    assert (await requests_of(visit))[0]["status"] == "expired"
    assert (await demo.get(f"/a/{visit.token}/pay")).status_code == 410
    assert await audited(visit.clinic_id, "payment.expired") == 1


async def test_pay_without_a_request_says_so_and_a_bad_link_is_not_found(demo, visit):
    none = await demo.get(f"/a/{visit.token}/pay")
    assert none.status_code == 200 and "Aucun paiement n’est demandé" in none.text
    assert (await demo.get(f"/a/{visit.token}x/pay")).status_code == 404


async def test_well_signed_odd_bodies_are_refused_without_an_error(julie, demo, visit, provider):
    """A signed body the provider would never send (a leaked secret, a bug on its side):
    a 4xx, nothing changed, never a 5xx."""
    row = await requested(julie, visit)
    event = await paid_event(provider, row)
    session = dict(event["data"]["object"])
    odd = [
        b"not json",
        b"[]",
        b'{"id": 5}',
        json.dumps({**event, "data": None}).encode(),
        json.dumps({**event, "data": {"object": {**session, "metadata": None}}}).encode(),
        json.dumps(
            {**event, "data": {"object": {**session, "metadata": {"payment": "x" * 5000}}}}
        ).encode(),
        json.dumps({**event, "id": ["evt"], "type": 7}).encode(),
    ]
    for body in odd:
        answer = await post_event(demo, body, sign(body, WEBHOOK_SECRET, int(provider.now())))
        assert 400 <= answer.status_code < 500, (body[:60], answer.status_code)
    [unchanged] = await requests_of(visit)
    assert unchanged["status"] == "requested" and unchanged["paid_at"] is None
