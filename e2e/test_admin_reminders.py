"""An administrator changes the reminder schedule (a bad number is refused next to its
field without a reload, then a good schedule is saved) and reads the month's no-show
rate per activity and per reminder schedule (a bad month refused next to the picker).
axe-core finds nothing wrong on either page in French and English; screenshots at
desktop size and 390 px land in e2e/artifacts/."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, PHONE, screenshot_path
from e2e.portal import assert_accessible
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.staff_helpers import PASSWORD

MONTREAL = ZoneInfo("America/Montreal")


async def assert_no_sideways_scroll(page: Page) -> None:
    """The staff pages' own check at 390 px (the portal's tap-target sizes are for
    patients' pages: the staff header is not built to them)."""
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


async def sign_in(page: Page, live_server, language: str) -> None:
    await page.goto(live_server.url(f"/staff/sign-in?lang={language}"))
    await page.locator("#email").fill("admin@demo.localhost")
    await page.locator("#password").fill(PASSWORD)
    await page.locator("form button[type=submit]").first.click()
    await page.wait_for_url("**/staff/**")


async def _missed_and_seen(patient) -> str:
    """Three of the patient's doctor's appointments earlier this month: one missed, two
    seen; returns the month as YYYY-MM."""
    from app import clock
    from app.booking.services import BookingDetails, BookingService
    from app.booking.tables import Appointment
    from app.listeners import make_bus

    today = clock.now().astimezone(MONTREAL).date()
    ahead = today + timedelta(days=9)
    slots = await patient.open_slots(ahead, clock_time(13), clock_time(14, 30))
    booking = BookingService(clinic_id=patient.clinic_id, bus=make_bus())
    ids = []
    for slot_id in slots[:3]:
        outcome = await booking.staff_book(
            actor=RECEPTION,
            slot_id=slot_id,
            details=BookingDetails(source="staff", patient_id=patient.patient_id),
        )
        assert outcome.ok, outcome
        ids.append(outcome.appointment_id)
    # Moved back to the first days of the month, as if they had taken place.
    first = datetime.combine(today.replace(day=1), clock_time(9), tzinfo=MONTREAL)
    for offset, (appointment_id, status) in enumerate(
        zip(ids, ("no_show", "completed", "arrived"), strict=True)
    ):
        starts = first + timedelta(hours=offset)
        await Appointment.update(
            {
                Appointment.starts_at: starts,
                Appointment.ends_at: starts + timedelta(minutes=30),
                Appointment.status: status,
            }
        ).where(Appointment.id == appointment_id)
    return today.strftime("%Y-%m")


async def test_the_reminder_schedule_and_the_no_show_rate(page: Page, live_server, patient):
    from app.reminders.tables import ReminderSchedule

    month = await _missed_and_seen(patient)
    try:
        for language in ("en", "fr"):
            await page.set_viewport_size(DESKTOP)
            await sign_in(page, live_server, language)
            await page.goto(live_server.url(f"/staff/administration?lang={language}"))
            name = "Reminder schedule" if language == "en" else "Calendrier des rappels"
            await page.get_by_role("link", name=name).click()
            await expect(page.get_by_role("heading", level=1)).to_have_text(name)
            await expect(page.locator("#amount_1")).to_have_value("3")
            await expect(page.locator("#confirm_1")).to_be_checked()
            await assert_accessible(page)
            await page.screenshot(
                path=screenshot_path(f"admin-reminders-{language}-desktop"), full_page=True
            )

            # A bad number: said next to its field, the typed value kept, no reload.
            await page.locator("#amount_2").fill("0")
            await page.locator("#amount_3").fill("24")
            await page.locator("#unit_3").select_option("hours")
            await page.locator("#reminders button[type=submit]").click()
            await expect(page.locator("#amount_2-error")).to_be_visible()
            await expect(page.locator("#amount_2")).to_have_value("0")
            await expect(page.locator("#amount_2")).to_have_attribute("aria-invalid", "true")
            await assert_accessible(page)
            await page.screenshot(
                path=screenshot_path(f"admin-reminders-error-{language}-desktop"),
                full_page=True,
            )
            await page.set_viewport_size(PHONE)
            await assert_no_sideways_scroll(page)
            await assert_accessible(page)
            await page.screenshot(
                path=screenshot_path(f"admin-reminders-error-{language}-phone"), full_page=True
            )
            await page.set_viewport_size(DESKTOP)

            # A good one: 3 days asking, 1 day, and 2 hours before.
            await page.locator("#amount_2").fill("1")
            await page.locator("#amount_3").fill("2")
            await page.locator("#reminders button[type=submit]").click()
            await expect(page.get_by_role("status")).to_be_visible()
            await expect(page.locator("#amount_3")).to_have_value("2")
            await expect(page.locator("#unit_3")).to_have_value("hours")
            await assert_accessible(page)
            await page.set_viewport_size(PHONE)
            await assert_no_sideways_scroll(page)
            await page.screenshot(
                path=screenshot_path(f"admin-reminders-saved-{language}-phone"), full_page=True
            )

            # The no-show rate of this month; then a bad month.
            await page.set_viewport_size(DESKTOP)
            await page.goto(
                live_server.url(f"/staff/administration/no-shows?month={month}&lang={language}")
            )
            await expect(page.locator("#by-schedule-title")).to_be_visible()
            await assert_accessible(page)
            await page.screenshot(
                path=screenshot_path(f"admin-no-shows-{language}-desktop"), full_page=True
            )
            await page.set_viewport_size(PHONE)
            await assert_no_sideways_scroll(page)
            await assert_accessible(page)
            await page.screenshot(
                path=screenshot_path(f"admin-no-shows-{language}-phone"), full_page=True
            )
            await page.goto(
                live_server.url(f"/staff/administration/no-shows?month=2026-13&lang={language}")
            )
            await expect(page.locator("#month-error")).to_be_visible()
            await assert_accessible(page)
            await page.screenshot(
                path=screenshot_path(f"admin-no-shows-error-{language}-phone"), full_page=True
            )
            await ReminderSchedule.delete(force=True)
            await page.context.clear_cookies()
    finally:
        await ReminderSchedule.delete(force=True)  # the shared server's default again
