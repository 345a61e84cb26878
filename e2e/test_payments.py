"""A payment request in the built-in call, in two real browsers, against a local payment
provider (tests/payment_provider.py: a real HTTP server speaking the Checkout Sessions
API the stripe SDK calls, with its checkout page and its signed webhooks): Dre Julie Roy
accepts Marie, requests 45.00; "Payer" reaches Marie live in the call; Julie shares a
prescription and hangs up; the end-of-consultation email reaches a real SMTP server
(aiosmtpd) with the pay link and the document's link; Marie follows the email's link and
pays on the provider's page, which sends the signed webhook to our endpoint; the staff's
view of the appointment shows it paid.

A server of its own runs ten minutes before the appointment (CLOCK_OFFSET_SECONDS), with
PAYMENT_API_BASE pointing at the local provider, whose signatures follow that clock, and
SMTP_URL at the SMTP server. (The suite's other servers, whose clocks stand days earlier,
find the end message not yet due: only this one sends it.)"""

from __future__ import annotations

import asyncio
import os
import re
import time
from datetime import timedelta

import pytest
from playwright.async_api import expect

from app import clock
from e2e.conftest import DESKTOP, PHONE, screenshot_path, start_server, stop_server
from e2e.portal import assert_accessible
from tests.integration.messaging_fakes import SmtpSink
from tests.integration.staff_helpers import PASSWORD
from tests.integration.video_helpers import book_teleconsultation
from tests.moments import RUN_START
from tests.payment_provider import SECRET_KEY, WEBHOOK_SECRET, LocalPaymentProvider

JULIE = "julie.roy@demo.localhost"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def slot_of(appointment_id: int) -> int:
    from app.booking.tables import Appointment

    row = await Appointment.select(Appointment.slot).where(Appointment.id == appointment_id)
    return row[0]["slot"]


@pytest.fixture(scope="module")
async def paying(live_server):
    """Marie's teleconsultation with Julie on the run's Wednesday at 19:00, a local
    provider, and a server ten minutes before the visit that uses that provider."""
    visit = await book_teleconsultation(RUN_START + timedelta(days=2, hours=9))
    ahead = (visit.starts_at - timedelta(minutes=10)) - clock.now()
    offset = float(os.environ["CLOCK_OFFSET_SECONDS"]) + ahead.total_seconds()
    provider = LocalPaymentProvider(now=lambda: time.time() + offset).start()
    smtp = SmtpSink()
    await smtp.start()
    server = start_server(
        "payments-server",
        CLOCK_OFFSET_SECONDS=str(offset),
        SMTP_URL=smtp.url,
        PAYMENT_API_BASE=provider.base,
        PAYMENT_SECRET_KEY=SECRET_KEY,
        PAYMENT_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    provider.webhook_url = f"http://127.0.0.1:{server.port}/payments/webhook"
    provider.webhook_host = f"demo.localhost:{server.port}"
    yield visit, server, provider, smtp
    # Waited for in a thread: the SMTP server lives in this event loop, and the server
    # may be in the middle of an email to it.
    await asyncio.to_thread(stop_server, server)
    provider.stop()
    await smtp.stop()


async def test_a_payment_requested_in_the_call_is_paid_and_shown_paid(browser, paying):
    visit, server, provider, smtp = paying
    phone = await browser.new_context(
        locale="fr-CA", viewport=PHONE, is_mobile=True, has_touch=True
    )
    desk = await browser.new_context(locale="fr-CA", viewport=DESKTOP)
    marie = await phone.new_page()
    julie = await desk.new_page()
    try:
        await marie.goto(server.url(visit.room))
        await marie.get_by_role("button", name="Rejoindre la salle d'attente").click()
        await expect(marie.locator("#waiting-room")).to_be_visible()

        await julie.goto(server.url("/staff/sign-in"))
        await julie.get_by_label("Courriel").fill(JULIE)
        await julie.get_by_label("Mot de passe").fill(PASSWORD)
        await julie.get_by_role("button", name="Se connecter").click()
        await expect(julie.get_by_role("button", name="Se déconnecter")).to_be_visible()
        await julie.goto(server.url(f"/staff/calls/{visit.appointment_id}"))
        await julie.get_by_role("button", name="Accepter").click()
        await expect(marie.get_by_role("status")).to_have_text("Vous êtes en consultation.")

        # A bad amount first: its message next to the field, nothing asked of anyone.
        amount = julie.get_by_label("Montant", exact=True)
        await amount.fill("45,555")
        await julie.get_by_role("button", name="Demander un paiement").click()
        await expect(julie.locator("#payment-amount-error")).to_have_text(
            "Un montant a au plus deux décimales."
        )
        assert provider.create_calls == 0
        await julie.get_by_label("Montant", exact=True).fill("45.00")
        await julie.get_by_role("button", name="Demander un paiement").click()
        await expect(julie.locator(".payment-status")).to_contain_text("En attente de paiement")
        await expect(julie.locator(".payment-status")).to_contain_text("45,00")
        assert provider.created == 1

        # "Payer" reaches Marie in the call, live.
        pay = marie.get_by_role("link", name="Payer")
        await expect(pay).to_be_visible()
        await expect(marie.locator("#call-pay-amount")).to_contain_text("45,00")
        await assert_accessible(marie)
        await marie.screenshot(path=screenshot_path("payment-pay-in-call-phone"), full_page=True)
        await julie.screenshot(path=screenshot_path("payment-requested-desktop"), full_page=True)

        # A prescription shared, then "Hang up": the ended page keeps "Payer".
        await julie.get_by_label("Partager un fichier").set_input_files(
            {"name": "ordonnance.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        await julie.get_by_role("button", name="Partager", exact=True).click()
        await expect(marie.locator(".chat-lines")).to_contain_text("ordonnance.pdf")
        await julie.get_by_role("button", name="Raccrocher").click()
        await expect(
            marie.get_by_role("heading", name="La consultation est terminée")
        ).to_be_visible()
        await expect(pay).to_be_visible()

        # The end-of-consultation email: the pay link and the document's link.
        ended = await smtp.wait_for_subject("Après votre téléconsultation")
        body = ended.get_body(preferencelist=("plain",)).get_content()
        pay_link = re.search(r"http://\S+/a/\S+/pay\b", body).group(0)
        assert pay_link.endswith(f"/a/{visit.token}/pay") and "45,00" in body
        assert "ordonnance.pdf" in body and f"/a/{visit.token}/room/files/" in body

        # Marie pays from the email: the provider's checkout, then its signed webhook.
        await marie.goto(pay_link)
        await expect(marie.locator("#amount")).to_have_text("45.00 CAD")
        await marie.get_by_role("button", name="Pay now").click()
        await marie.wait_for_url(f"**/a/{visit.token}")
        assert provider.deliveries and provider.deliveries[-1][0] == 200, provider.deliveries
        await expect(marie.get_by_text("Votre paiement a bien été reçu")).to_be_visible()
        # The details page says the call is over: no door back into the room.
        await expect(marie.locator(".call-ended")).to_have_text("La consultation est terminée")
        await expect(marie.get_by_role("link", name="Rejoindre la salle d'attente")).to_have_count(
            0
        )
        await marie.screenshot(path=screenshot_path("payment-paid-details-phone"), full_page=True)

        # The staff's view of the appointment shows it paid.
        await julie.goto(server.url(f"/staff/slots/{await slot_of(visit.appointment_id)}"))
        await expect(julie.locator("#appointment-payment")).to_contain_text("Payé")
        await expect(julie.locator("#appointment-payment")).to_contain_text("45,00")
        await julie.screenshot(path=screenshot_path("payment-paid-slot-desktop"), full_page=True)
    finally:
        await phone.close()
        await desk.close()
