"""The staff agenda in a browser, at desktop (1280×800) and tablet (820×1180) sizes: a
practitioner's day and week, a site's day with many practitioners side by side (the grid
scrolls sideways, the time column stays), navigation by htmx that keeps the address
bookmarkable, the date field, axe-core on the day and week views, and the slots reached by
Tab with a visible focus. Screenshots land in e2e/artifacts/.

The demo seed opened the practitioners' weeks from the run's first day (Monday 11 January
2027 in Montreal); the site's crowded day is three weeks later, with practitioners of its
own whose slots come from a recurrence (never online: no portal test can meet them)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, MONDAY, screenshot_path
from e2e.portal import assert_accessible

TABLET = {"width": 820, "height": 1180}
SIZES = [("desktop", DESKTOP), ("tablet", TABLET)]
CROWDED_DAY = MONDAY + timedelta(days=21)
CROWD = [f"Dr Agenda {n:02d}" for n in range(1, 10)]


async def sign_in(page: Page, server, email: str = "admin@demo.localhost") -> None:
    await page.goto(server.url("/staff/sign-in"))
    await page.get_by_label("Courriel").fill(email)
    await page.get_by_label("Mot de passe").fill("demo-password")
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


async def ids() -> dict[str, int]:
    from tests.integration import demo_lookup

    clinic = await demo_lookup.clinic_id("demo")
    return {
        "clinic": clinic,
        "julie": await demo_lookup.practitioner_id(clinic, "Dre Julie Roy"),
        "centre": await demo_lookup.site_id(clinic, "centre-ville"),
        "suivi": await demo_lookup.activity_id(clinic, "Suivi"),
        "urgent": await demo_lookup.activity_id(clinic, "Consultation urgente"),
    }


async def crowd_the_site(known: dict[str, int]) -> None:
    """Nine more practitioners at centre-ville, each with a recurrence on CROWDED_DAY."""
    from app.listeners import make_bus
    from app.scheduling.services import SchedulingService
    from app.scheduling.tables import Practitioner, PractitionerSite
    from tests.integration.engine_fixtures import RECEPTION

    if await Practitioner.exists().where(Practitioner.name == CROWD[0]):
        return  # the other size's run made them
    scheduling = SchedulingService(clinic_id=known["clinic"], bus=make_bus())
    for n, name in enumerate(CROWD):
        person = Practitioner(clinic=known["clinic"], name=name, kind="gp")
        await person.save()
        await PractitionerSite(
            clinic=known["clinic"], practitioner=person.id, site=known["centre"]
        ).save()
        await scheduling.open_recurrence(
            practitioner_id=person.id,
            site_id=known["centre"],
            activity_id=known["urgent"] if n % 2 else known["suivi"],
            rule="FREQ=WEEKLY;BYDAY=MO",
            first_day=CROWDED_DAY,
            last_day=CROWDED_DAY,
            start=time(8 + n % 3),
            end=time(12),
            actor=RECEPTION,
        )


async def furnish_julies_tuesday(known: dict[str, int], day: date) -> None:
    """Her first follow-ups that day: booked by the front desk (Marie has arrived), booked
    online by an unidentified patient, held by a patient on the portal, and one booked then
    cancelled. Once, for both sizes."""
    from app.booking.services import BookingDetails, BookingService
    from app.booking.tables import Appointment, AppointmentStatus, Source
    from app.events import PATIENT
    from app.listeners import make_bus
    from app.scheduling.tables import Slot
    from tests.integration import demo_lookup
    from tests.integration.engine_fixtures import RECEPTION

    rows = (
        await Slot.select(Slot.id)
        .where(
            (Slot.practitioner == known["julie"])
            & (Slot.local_date == day)
            & (Slot.activity == known["suivi"])
        )
        .order_by(Slot.starts_at)
    )
    first = [row["id"] for row in rows[:4]]
    if await Appointment.exists().where(Appointment.slot == first[0]):
        return
    booking = BookingService(clinic_id=known["clinic"], bus=make_bus())
    marie = await demo_lookup.patient_id(known["clinic"], "Tremblay")
    staff = BookingDetails(source=Source.STAFF, patient_id=marie)
    arrived = await booking.staff_book(slot_id=first[0], details=staff, actor=RECEPTION)
    await booking.set_status(
        appointment_id=arrived.appointment_id,
        status=AppointmentStatus.ARRIVED,
        from_statuses=(AppointmentStatus.BOOKED,),
        actor=RECEPTION,
    )
    token = "agenda-e2e-hold-" + "x" * 16
    await booking.hold(slot_id=first[1], token=token)
    await booking.book(
        slot_id=first[1],
        token=token,
        details=BookingDetails(
            source=Source.ONLINE,
            provisional={"first_name": "Chloé", "last_name": "Nouvelle"},
            contact_email="chloe.nouvelle@example.org",
        ),
        actor=PATIENT,
    )
    long_hold = BookingService(
        clinic_id=known["clinic"], bus=make_bus(), hold_for=timedelta(hours=2)
    )
    await long_hold.hold(slot_id=first[2], token="agenda-e2e-review-" + "y" * 14)
    cancelled = await booking.staff_book(slot_id=first[3], details=staff, actor=RECEPTION)
    await booking.cancel(appointment_id=cancelled.appointment_id, actor=RECEPTION)


def day_path(kind: str, ident: int, view: str, day: date) -> str:
    return f"/staff/agenda/{kind}/{ident}/{view}/{day.isoformat()}"


@pytest.mark.parametrize("size, viewport", SIZES, ids=[s for s, _ in SIZES])
async def test_a_practitioners_day_and_week(page: Page, live_server, size, viewport):
    known = await ids()
    await page.set_viewport_size(viewport)
    await sign_in(page, live_server)
    day = MONDAY + timedelta(days=1)  # Tuesday: Julie's template day
    await furnish_julies_tuesday(known, day)
    await page.goto(live_server.url(day_path("practitioner", known["julie"], "day", day)))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dre Julie Roy · mardi 12 janvier 2027"
    )
    slots = page.locator("#agenda a.slot")
    await expect(slots.first).to_contain_text("08:00")
    # 8 follow-ups, 12 urgent, 6 teleconsultations, 3 on another platform, 3 on Reacts
    assert await slots.count() == 32
    await expect(
        page.locator("#agenda svg[role=img][aria-label='Publié en ligne']").first
    ).to_be_attached()
    await expect(
        page.locator("#agenda svg[role=img][aria-label='Téléconsultation']").first
    ).to_be_attached()
    await expect(slots.nth(0)).to_contain_text("Marie Tremblay")
    await expect(slots.nth(0)).to_contain_text("Arrivé")
    await expect(slots.nth(1)).to_contain_text("Provisoire Chloé Nouvelle")
    await expect(slots.nth(1).locator("svg[aria-label='Réservé en ligne']")).to_be_attached()
    await expect(slots.nth(2)).to_contain_text("Bloqué en ligne jusqu'à")
    await expect(slots.nth(3)).to_contain_text("Annulé : Marie Tremblay")
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path(f"agenda-practitioner-day-{size}"), full_page=True)

    # The slots are reached by Tab, with a visible focus ring.
    await slots.first.focus()
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.className")
    assert focused.startswith("slot "), focused
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    await page.keyboard.press("Tab")
    second = await page.evaluate("document.activeElement.id")
    assert second == await slots.nth(1).get_attribute("id")
    await page.screenshot(path=screenshot_path(f"agenda-practitioner-day-focus-{size}"))

    # The printable list: the day alone, no navigation.
    await page.get_by_role("link", name="Imprimer").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Clinique Démo · Dre Julie Roy · mardi 12 janvier 2027"
    )
    await expect(page.locator("nav")).to_have_count(0)
    await expect(page.get_by_role("row").nth(1)).to_contain_text("Marie Tremblay")
    await page.emulate_media(media="print")
    await page.screenshot(path=screenshot_path(f"agenda-print-{size}"), full_page=True)
    await page.emulate_media(media="screen")
    await page.go_back()

    # Week: htmx swaps the agenda and the address follows, so a refresh shows the same.
    await page.get_by_role("link", name="Semaine", exact=True).click()
    await expect(page).to_have_url(
        live_server.url(day_path("practitioner", known["julie"], "week", day))
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dre Julie Roy · Semaine du 11 janvier 2027"
    )
    week_slots = await page.locator("#agenda a.slot").count()
    assert week_slots >= 26 * 4  # the run's first week, Monday to Friday (today's included)
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path(f"agenda-practitioner-week-{size}"), full_page=True)
    await page.get_by_role("link", name="Suivant", exact=True).focus()
    await page.keyboard.press("Enter")
    next_week = day_path("practitioner", known["julie"], "week", day + timedelta(days=7))
    await expect(page).to_have_url(live_server.url(next_week))
    # The keyboard stays on "Next" in the new view.
    await expect(page.get_by_role("link", name="Suivant", exact=True)).to_be_focused()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dre Julie Roy · Semaine du 18 janvier 2027"
    )
    await page.reload()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dre Julie Roy · Semaine du 18 janvier 2027"
    )

    # The date field: a bad date is said next to it, what was typed kept; a good one goes.
    field = page.get_by_label("Date", exact=True)
    await field.evaluate("el => { el.type = 'text'; }")  # type as a keyboard would, unchecked
    await field.fill("2027-02-30")
    await page.get_by_role("button", name="Aller").click()
    await expect(page.get_by_text("Entrez une date au format AAAA-MM-JJ")).to_be_visible()
    await expect(page.get_by_label("Date", exact=True)).to_have_value("2027-02-30")
    await page.get_by_label("Date", exact=True).fill("2027-01-27")
    await page.get_by_role("button", name="Aller").click()
    await expect(page).to_have_url(
        live_server.url(day_path("practitioner", known["julie"], "week", date(2027, 1, 27)))
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dre Julie Roy · Semaine du 25 janvier 2027"
    )


@pytest.mark.parametrize("size, viewport", SIZES, ids=[s for s, _ in SIZES])
async def test_a_sites_day_with_many_practitioners(page: Page, live_server, size, viewport):
    known = await ids()
    await crowd_the_site(known)
    await page.set_viewport_size(viewport)
    await sign_in(page, live_server)
    await page.goto(live_server.url(day_path("site", known["centre"], "day", CROWDED_DAY)))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Centre-ville · lundi 1 février 2027"
    )
    for name in ("Dre Julie Roy", *CROWD):
        await expect(page.get_by_role("columnheader", name=name)).to_be_visible()
    await expect(
        page.locator("#agenda svg[role=img][aria-label='Non offert en ligne']").first
    ).to_be_attached()
    box = page.locator(".grid-scroll")
    sideways = await box.evaluate("el => el.scrollWidth - el.clientWidth")
    assert sideways > 200, f"the grid should scroll sideways ({sideways}px)"
    first_time = page.locator(".agenda-grid tbody th.time-col").first
    before = await first_time.bounding_box()
    await page.screenshot(path=screenshot_path(f"agenda-site-day-{size}"))
    await box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    after = await first_time.bounding_box()
    assert abs(after["x"] - before["x"]) < 1, "the time column stays in view"
    # Scrolled to the end, the last practitioner's column shows (other tests may add
    # practitioners to the site: the last column, not a given name).
    await expect(page.locator(".agenda-grid thead th").last).to_be_in_viewport()
    await page.screenshot(path=screenshot_path(f"agenda-site-day-scrolled-{size}"))
    await assert_accessible(page)

    # The site's week lists each day's practitioners.
    await page.get_by_role("link", name="Semaine", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Centre-ville · Semaine du 1 février 2027"
    )
    await expect(page.get_by_role("heading", level=2, name="lundi 1 février 2027")).to_be_visible()
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path(f"agenda-site-week-{size}"), full_page=True)


async def test_a_practitioner_reads_another_agenda_without_open_a_schedule(page: Page, live_server):
    known = await ids()
    await page.set_viewport_size(DESKTOP)
    await sign_in(page, live_server, "julie.roy@demo.localhost")
    await page.goto(live_server.url("/staff/agenda"))
    await expect(page).to_have_url(
        live_server.url(day_path("practitioner", known["julie"], "week", MONDAY))
    )
    await expect(page.get_by_role("link", name="Ouvrir un horaire")).to_be_visible()
    await page.get_by_label("Agenda de").select_option(label="Dr Marc Gagnon")
    await page.get_by_role("button", name="Afficher").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Dr Marc Gagnon")
    await expect(page.get_by_role("link", name="Ouvrir un horaire")).to_have_count(0)


async def test_the_agenda_works_without_javascript(new_context, live_server):
    """Plain links and GET forms: the date field, the picker and Next go where they say."""
    known = await ids()
    context = await new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.set_viewport_size(DESKTOP)
    await sign_in(page, live_server)
    await page.goto(live_server.url("/staff/agenda"))
    await expect(page).to_have_url(
        live_server.url(day_path("site", known["centre"], "day", MONDAY))
    )
    await page.get_by_label("Date", exact=True).fill("2027-01-20")
    await page.get_by_role("button", name="Aller").click()
    await expect(page).to_have_url(
        live_server.url(day_path("site", known["centre"], "day", date(2027, 1, 20)))
    )
    await page.get_by_label("Agenda de").select_option(label="Dre Julie Roy")
    await page.get_by_role("button", name="Afficher").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dre Julie Roy · mercredi 20 janvier 2027"
    )
    await page.get_by_role("link", name="Suivant", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dre Julie Roy · jeudi 21 janvier 2027"
    )
    first = page.locator("#agenda a.slot").first
    assert (await first.get_attribute("href")).startswith("/staff/slots/")
    await page.screenshot(path=screenshot_path("agenda-practitioner-day-nojs"))


async def test_the_week_in_english(page: Page, live_server):
    known = await ids()
    await page.set_viewport_size(DESKTOP)
    await sign_in(page, live_server)
    week = day_path("practitioner", known["julie"], "week", MONDAY + timedelta(days=7))
    await page.goto(live_server.url(week + "?lang=en"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dre Julie Roy · Week of January 18, 2027"
    )
    for label in ("Day", "Week", "Previous", "Today", "Next", "Open a schedule"):
        await expect(page.get_by_role("link", name=label, exact=True)).to_be_visible()
    await expect(page.get_by_role("columnheader", name="Mon, Jan 18")).to_be_visible()
    await expect(
        page.locator("#agenda svg[role=img][aria-label='Published online']").first
    ).to_be_attached()
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("agenda-practitioner-week-en-desktop"))


async def test_a_slot_opens_in_the_dialog_and_gives_the_focus_back(page: Page, live_server):
    """The slot's page comes with the appointments part of the staff area: until it is
    there, this test has nothing to open."""
    known = await ids()
    await page.set_viewport_size(DESKTOP)
    await sign_in(page, live_server)
    url = live_server.url(day_path("practitioner", known["julie"], "day", MONDAY + timedelta(2)))
    await page.goto(url)
    slot = page.locator("#agenda a.slot").first
    href = await slot.get_attribute("href")
    if await page.evaluate("(href) => fetch(href).then((r) => r.status)", href) == 404:
        pytest.skip("no slot page yet (staff:slot)")
    await slot.focus()
    await page.keyboard.press("Enter")
    dialog = page.locator("dialog#slot-dialog")
    await expect(dialog).to_have_attribute("open", "")
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("agenda-slot-dialog-desktop"))
    await page.keyboard.press("Escape")
    await expect(dialog).not_to_have_attribute("open", "")
    await expect(slot).to_be_focused()
    await expect(page).to_have_url(url)
