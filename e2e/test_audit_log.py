"""An administrator reads the audit log at desktop size: the rows are readable, the
filters narrow them and stay in the address bar, a bad filter is said next to its field;
axe-core finds nothing wrong."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, screenshot_path
from e2e.portal import assert_accessible
from tests.integration.staff_helpers import PASSWORD


async def _book_as_staff(follow_ups) -> int:
    from app.booking.services import BookingDetails, BookingService
    from app.events import Actor
    from app.listeners import make_bus
    from app.scheduling.tables import Slot
    from app.staff.tables import StaffAccount

    admin = await StaffAccount.select().where(StaffAccount.email == "admin@demo.localhost").first()
    slot = (
        await Slot.select(Slot.id)
        .where((Slot.practitioner == follow_ups.doctor_id) & (Slot.state == "open"))
        .order_by(Slot.starts_at)
        .first()
    )
    booking = BookingService(clinic_id=follow_ups.clinic_id, bus=make_bus())
    actor = Actor.staff(admin["id"], admin["name"]).at("192.0.2.10")
    details = BookingDetails(source="staff", patient_id=follow_ups.patient_id)
    booked = await booking.staff_book(slot_id=slot["id"], details=details, actor=actor)
    await booking.cancel(appointment_id=booked.appointment_id, actor=actor)
    return booked.appointment_id


async def test_an_administrator_filters_the_audit_log(page: Page, live_server, follow_ups):
    appointment = await _book_as_staff(follow_ups)
    await page.set_viewport_size(DESKTOP)
    await page.goto(live_server.url("/staff/sign-in?lang=en"))
    await page.get_by_label("Email").fill("admin@demo.localhost")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()

    await (
        page.get_by_role("navigation", name="Staff area")
        .get_by_role("link", name="Audit log")
        .click()
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    await expect(page.get_by_role("cell", name="Signed in").first).to_be_visible()

    await page.get_by_label("Appointment", exact=True).fill(str(appointment))
    await page.get_by_role("button", name="Filter").click()
    await expect(page).to_have_url(re.compile(rf"/staff/audit\?.*appointment={appointment}\b"))
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(2)
    newest = rows.first
    await expect(newest).to_contain_text("Appointment cancelled")
    await expect(newest).to_contain_text(follow_ups.who["last_name"])
    await expect(newest).to_contain_text("Booked")
    await expect(newest).to_contain_text("Cancelled")
    await expect(newest).to_contain_text("192.0.2.10")
    await expect(rows.last).to_contain_text("Appointment booked")
    await expect(rows.last).to_contain_text(follow_ups.doctor)
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("staff-audit-desktop"), full_page=True)

    # A reload shows the same rows: the filters are in the URL.
    await page.reload()
    await expect(page.locator("tbody tr")).to_have_count(2)
    await expect(page.get_by_label("Appointment", exact=True)).to_have_value(str(appointment))

    await page.get_by_label("Appointment", exact=True).fill("12abc")
    await page.get_by_role("button", name="Filter").click()
    error = page.locator("#appointment-error")
    await expect(error).to_have_text("Enter an appointment number, like 1234.")
    await expect(page.get_by_label("Appointment", exact=True)).to_have_value("12abc")
    await expect(page.locator("tbody tr")).to_have_count(0)
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("staff-audit-error-desktop"), full_page=True)

    # In French.
    await page.goto(live_server.url("/staff/audit?lang=fr"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Journal d'audit")
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("staff-audit-fr-desktop"), full_page=True)
