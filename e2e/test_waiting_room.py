"""The staff's waiting room in a real browser (issue 13). A secretary has a staff page
open (the agenda picker, in French); a patient arrives in the video room: the navigation's
count turns to 1, a visible notice says so (role=status), a short sound plays and, with
notifications allowed, a browser notification is shown, without a reload. On the waiting
room page, a second arrival adds its row (the list swapped by htmx).

The patient arrives as H1's socket makes her (rooms.patient_arrived, in the database the
servers share) and the news goes out as another app instance's CallNotifier sends it:
on the clinic's waiting channel, through the server's Redis. With H1's branch merged, the
arrival can come from the patient's own page (its WebSocket) instead."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect
from redis.asyncio import Redis

from app.live.channels import redis_prefix
from app.video.channels import waiting_channel
from conftest import REDIS_TEST_URL, port_open, require
from e2e.conftest import DESKTOP, MONDAY, screenshot_path, start_server, stop_server
from e2e.portal import assert_accessible

TABLET = {"width": 820, "height": 1180}
SECRETARY = "secretariat@demo.localhost"
JULIE = "julie.roy@demo.localhost"
PASSWORD = "demo-password"
DELIVERY_MS = 2000
_visits = iter(range(1, 1000))


@pytest.fixture(scope="module")
def redis_server(live_server):
    """A server of the suite's data whose channels go through Redis."""
    require("Redis at 127.0.0.1:6379", port_open("127.0.0.1", 6379))
    server = start_server("waiting-redis-server", REDIS_URL=REDIS_TEST_URL)
    yield server
    stop_server(server)


async def teleconsultation(last_name: str):
    """Today's (the run's Monday) Téléconsultation of Dre Julie Roy, booked for a new
    patient by the front desk; the seed opens them 15:00-17:00."""
    from app.booking.services import BookingDetails, BookingService
    from app.listeners import make_bus
    from app.patients.tables import Patient
    from app.scheduling.tables import Slot
    from tests.integration import demo_lookup
    from tests.integration.engine_fixtures import RECEPTION
    from tests.integration.waiting_helpers import Visit

    clinic = await demo_lookup.clinic_id("demo")
    roy = await demo_lookup.practitioner_id(clinic, "Dre Julie Roy")
    activity = await demo_lookup.activity_id(clinic, "Téléconsultation")
    slot = await (
        Slot.select(Slot.id)
        .where(
            (Slot.clinic == clinic)
            & (Slot.practitioner == roy)
            & (Slot.activity == activity)
            & (Slot.local_date == MONDAY)
            & (Slot.state == "open")
        )
        .order_by(Slot.starts_at)
        .first()
    )
    assert slot, "no Téléconsultation slot left today"
    from datetime import date

    from app import clock

    patient = Patient(
        clinic=clinic,
        first_name="Léa",
        last_name=last_name,
        date_of_birth=date(1990, 3, 4),
        sex="F",
        created_at=clock.now(),
    )
    await patient.save()
    booked = await BookingService(clinic_id=clinic, bus=make_bus()).staff_book(
        slot_id=slot["id"],
        details=BookingDetails(source="staff", patient_id=patient.id),
        actor=RECEPTION,
    )
    assert booked.ok
    return Visit(clinic, booked.appointment_id, patient.id, roy, f"Léa {last_name}")


async def arrives(visit) -> None:
    """The patient opens her video room; the news goes out on the clinic's channel."""
    from tests.integration.waiting_helpers import arrive

    status = await arrive(visit)
    redis = Redis.from_url(REDIS_TEST_URL)
    try:
        await redis.publish(
            redis_prefix(REDIS_TEST_URL) + waiting_channel(visit.clinic_id),
            json.dumps({"type": "waiting", "data": status.to_dict()}),
        )
    finally:
        await redis.aclose()


async def sign_in(page, server, email: str) -> None:
    await page.goto(server.url("/staff/sign-in"))
    await page.get_by_label("Courriel").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def letters(number: int) -> str:
    return "".join(chr(ord("A") + int(digit)) for digit in str(number))


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"])
async def test_an_arrival_is_announced_on_an_open_staff_page_and_fills_the_waiting_room(
    new_context, redis_server, viewport
):
    context = await new_context(permissions=["notifications"])
    page = await context.new_page()
    await page.set_viewport_size(viewport)
    # The notifications the page shows, as the browser's API receives them.
    await page.add_init_script(
        """(() => {
            const Real = window.Notification;
            window.__notified = [];
            function Spy(title, options) { window.__notified.push([title, options && options.body]);
              return new Real(title, options); }
            Spy.requestPermission = Real.requestPermission.bind(Real);
            Object.defineProperty(Spy, "permission", { get: () => Real.permission });
            window.Notification = Spy;
        })();"""
    )
    await sign_in(page, redis_server, SECRETARY)
    await page.goto(redis_server.url("/staff/agenda"))
    await expect(page.locator("html")).to_have_attribute("data-waiting-live", "open")
    entry = page.get_by_role("navigation", name="Espace du personnel").get_by_role(
        "link", name="Salle d'attente"
    )
    count = page.locator("#nav-count-staff-waiting_room")
    before = int((await count.inner_text()).split()[0] or 0) if await count.is_visible() else 0
    await page.evaluate("window.__notReloaded = true")

    first = await teleconsultation(f"Arrivée-{letters(next(_visits))}")
    await arrives(first)
    notice = page.get_by_role("status").filter(has_text=f"{first.name} est dans la salle d'attente")
    await expect(notice).to_be_visible(timeout=DELIVERY_MS)
    await expect(count).to_contain_text(str(before + 1), timeout=DELIVERY_MS)
    await expect(page.locator("html")).to_have_attribute("data-waiting-chimes", "1")
    assert await page.evaluate("window.__notified") == [
        ["Salle d'attente", f"{first.name} est dans la salle d'attente"]
    ]
    assert await page.evaluate("window.__notReloaded === true")
    await page.screenshot(path=screenshot_path(f"waiting-notice-{viewport['width']}"))

    # The notice leads to the waiting room, where she is listed with a camera and no Accept.
    await notice.get_by_role("link", name="Ouvrir la salle d'attente").click()
    await expect(page.get_by_role("heading", name="Salle d'attente", level=1)).to_be_visible()
    row = page.locator(f"#waiting-{first.appointment_id}")
    await expect(row).to_contain_text(first.name)
    camera = row.get_by_role("link", name=f"Ouvrir l'appel avec {first.name} (nouvelle fenêtre)")
    await expect(camera).to_have_attribute("target", "_blank")
    await expect(row.get_by_role("button", name="Marquer prêt: " + first.name)).to_be_visible()
    await expect(row.get_by_role("button", name=f"Accepter: {first.name}")).to_have_count(0)
    await expect(entry).to_be_visible()

    # A second arrival while the list is open: its row comes in without a reload.
    await page.evaluate("window.__notReloaded = true")
    second = await teleconsultation(f"Deuxième-{letters(next(_visits))}")
    await arrives(second)
    await expect(page.locator(f"#waiting-{second.appointment_id}")).to_contain_text(
        second.name, timeout=DELIVERY_MS
    )
    assert await page.evaluate("window.__notReloaded === true")

    # Mark ready, by keyboard: the list comes back with the badge.
    ready = row.get_by_role("button", name="Marquer prêt: " + first.name)
    await ready.focus()
    await page.keyboard.press("Enter")
    await expect(row.get_by_text("Prêt", exact=True)).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="Marqué prêt.")).to_be_visible()
    await page.screenshot(path=screenshot_path(f"waiting-room-{viewport['width']}"), full_page=True)
    await assert_accessible(page)
    await context.close()


@pytest.mark.browser_context_args(viewport=DESKTOP, locale="fr-CA")
async def test_the_practitioner_accepts_and_says_running_late_from_the_waiting_room(
    new_context, redis_server
):
    context = await new_context()
    page = await context.new_page()
    await sign_in(page, redis_server, JULIE)
    visit = await teleconsultation(f"Retard-{letters(next(_visits))}")
    await arrives(visit)
    await page.goto(redis_server.url("/staff/waiting-room"))
    # Notifications not yet allowed in this browser: the page offers to allow them.
    await expect(page.get_by_role("button", name="M’avertir des arrivées")).to_be_visible()
    row = page.locator(f"#waiting-{visit.appointment_id}")
    accept = row.get_by_role("button", name=f"Accepter: {visit.name}")
    await expect(accept).to_be_visible()
    # Accept posts to the call route (H1's) in a new window, beside the note.
    assert await accept.evaluate("(b) => [b.form.getAttribute('action'), b.form.target]") == [
        f"/staff/calls/{visit.appointment_id}/accept",
        "_blank",
    ]
    await row.get_by_role("button", name=f"En retard : environ 10 minutes ({visit.name})").click()
    await expect(
        page.get_by_role("status").filter(has_text="retard d’environ 10 minutes")
    ).to_be_visible()
    await expect(row).to_contain_text("Avisé : retard d’environ 10 minutes")
    await expect(row.get_by_role("button", name="Marquer prêt: " + visit.name)).to_have_count(0)
    await page.screenshot(path=screenshot_path("waiting-room-practitioner-1280"), full_page=True)
    await assert_accessible(page)

    # The agenda's slot has the same camera, beside the slot's own link.
    await page.goto(
        redis_server.url(f"/staff/agenda/practitioner/{visit.practitioner_id}/day/{MONDAY}")
    )
    camera = page.get_by_role("link", name=f"Ouvrir l'appel avec {visit.name} (nouvelle fenêtre)")
    await expect(camera).to_be_visible()
    await expect(camera).to_have_attribute("href", f"/staff/calls/{visit.appointment_id}")
    await expect(camera).to_have_attribute("target", "_blank")
    await camera.scroll_into_view_if_needed()
    await page.screenshot(path=screenshot_path("agenda-call-link-1280"))
    await context.close()
