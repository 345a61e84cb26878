"""Payments in Chromium: the administrator's currency, maximum and predefined amounts (a
bad maximum said next to its field; an amount added, moved up and removed, the seeded
ones left as they were for the call's test), then the secretary's "Payments" page on a
day of requests, reached with its date field; axe-core finds nothing on either page;
screenshots at phone and desktop sizes in e2e/artifacts/."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, PHONE, screenshot_path
from e2e.portal import assert_accessible
from e2e.test_admin_staff import sign_in


async def shots(page: Page, name: str) -> None:
    await assert_accessible(page)
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(viewport)
        await page.screenshot(path=screenshot_path(f"{name}-{label}"), full_page=True)


async def test_the_administrator_sets_the_currency_maximum_and_predefined_amounts(
    browser, live_server
):
    context = await browser.new_context(locale="fr-CA", viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, live_server, "admin@demo.localhost", "demo-password")
    await page.goto(live_server.url("/staff/administration"))
    await page.locator("main").get_by_role("link", name="Paiements").click()
    await expect(page.get_by_role("heading", name="Paiements", level=1)).to_be_visible()
    await expect(page.get_by_label("Maximum par demande")).to_have_value("1000,00")
    await shots(page, "payments-admin")

    # Below the seeded 45,00: refused next to the field, what was typed kept.
    await page.get_by_label("Maximum par demande").fill("40")
    await page.get_by_role("button", name="Enregistrer").first.click()
    await expect(page.locator("#maximum-error")).to_contain_text("Consultation")
    await expect(page.get_by_label("Maximum par demande")).to_have_value("40")
    await page.screenshot(path=screenshot_path("payments-admin-error"), full_page=True)

    new = page.locator(".preset-new")
    await new.get_by_label("Libellé").fill("Courte")
    await new.get_by_label("Montant").fill("abc")
    await new.get_by_role("button", name="Ajouter").click()
    await expect(page.locator("#new_amount-error")).to_have_text(
        "Inscrivez un montant en chiffres, par exemple 45,00."
    )
    await new.get_by_label("Montant").fill("25,50")
    await new.get_by_role("button", name="Ajouter").click()
    rows = page.locator(".preset-row")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(2).get_by_label("Montant")).to_have_value("25,50")
    await page.get_by_role("button", name="Monter Courte").click()
    await expect(rows.nth(1).get_by_label("Libellé")).to_have_value("Courte")
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=screenshot_path("payments-admin-three-phone"), full_page=True)
    await page.get_by_role("button", name="Retirer Courte").click()
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0).get_by_label("Libellé")).to_have_value("Consultation")
    await expect(rows.nth(1).get_by_label("Libellé")).to_have_value("Suivi")
    await context.close()


async def test_the_secretary_reads_a_days_payments(browser, live_server, patient):
    from app import clock
    from app.booking.services import BookingDetails, BookingService
    from app.listeners import make_bus
    from app.payments.tables import PaymentRequest
    from tests.integration.engine_fixtures import RECEPTION

    zone = ZoneInfo("America/Montreal")
    # A day of requests of this test's own: long ago, where no other test's requests are.
    day = clock.now().astimezone(zone).date() - timedelta(days=40)
    slots = await patient.open_slots(
        clock.now().astimezone(zone).date() + timedelta(days=50), time(7), time(8)
    )
    booked = await BookingService(clinic_id=patient.clinic_id, bus=make_bus()).staff_book(
        slot_id=slots[0],
        details=BookingDetails(source="staff", patient_id=patient.patient_id),
        actor=RECEPTION,
    )
    assert booked.ok
    for index, (cents, status, label) in enumerate(
        ((4500, "paid", "Consultation"), (3000, "requested", "Suivi"), (2000, "expired", ""))
    ):
        await PaymentRequest(
            clinic=patient.clinic_id,
            appointment=booked.appointment_id,
            amount_cents=cents,
            currency="cad",
            label=label,
            status=status,
            idempotency_key=f"e2e-report-{patient.patient_id}-{index}",
            created_at=datetime.combine(day, time(9 + index, 10), zone),
        ).save()

    context = await browser.new_context(locale="fr-CA", viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, live_server, "secretariat@demo.localhost", "demo-password")
    nav = page.get_by_role("navigation", name="Espace du personnel")
    await nav.get_by_role("link", name="Paiements").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Paiements")
    await page.get_by_label("Date").fill(day.isoformat())
    await page.get_by_role("button", name="Aller").click()
    table = page.get_by_role("table")
    await expect(table.get_by_role("row")).to_have_count(4)  # the head and three requests
    await expect(table).to_contain_text(patient.who["last_name"])
    await expect(page.locator("#total-paid")).to_contain_text("45,00 $")
    await expect(page.locator("#total-all")).to_contain_text("3 demandes")
    await expect(page).to_have_url(f"{live_server.url('/staff/payments')}?date={day.isoformat()}")
    await shots(page, "payments-report")
    await page.goto(live_server.url(f"/staff/payments?date={day.isoformat()}&lang=en"))
    await expect(page.locator("#total-requested")).to_contain_text("$30.00")
    await page.screenshot(path=screenshot_path("payments-report-en-phone"), full_page=True)
    await context.close()
