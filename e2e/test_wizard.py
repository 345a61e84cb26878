"""The wizard's other paths in a real browser: a stranger, two patients racing for one
slot, a hold that lapses, errors, and the whole flow without JavaScript. A test that
books has a patient and slots of its own (`follow_ups`), so its counts are its own."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Page, expect

from app import clock
from app.booking.tables import BookingSession
from e2e.conftest import SHORT_HOLD_SECONDS, OwnPatient
from e2e.portal import (
    WORDS,
    check_page,
    choose_service,
    heading,
    hold_first_slot,
    identify,
    slot_radios,
)
from tests.integration.portal_helpers import STRANGER

FR = WORDS["fr"]


async def test_a_stranger_sees_only_urgent_consultations_at_demo(page: Page, live_server):
    await page.goto(live_server.url("/centre-ville/"))
    await identify(page, STRANGER)
    await heading(page, FR["service_title"])
    await expect(page.get_by_label(FR["category"]).locator("option")).to_have_text(
        ["Choisir", FR["urgent"]]
    )


async def test_a_stranger_is_told_they_are_not_eligible_at_autre(page: Page, live_server):
    await page.goto(live_server.url("/principal/", clinic="autre"))
    await identify(page, {**STRANGER, "cell_phone": "06 12 34 56 78"})
    await heading(page, "Vous n'êtes pas admissible à la prise de rendez-vous en ligne")
    await expect(page.get_by_role("link", name="Appeler le 01 45 55 01 00")).to_be_visible()
    await check_page(page, "not-eligible-fr")
    # A typo can hide a file: the form is there again, as typed, to check and send again.
    recheck = page.get_by_role("region", name="Vérifier les renseignements saisis")
    await expect(recheck.get_by_label(FR["first_name"], exact=True)).to_have_value("Paul")
    await expect(recheck.get_by_label(FR["cell_phone"])).to_have_value("06 12 34 56 78")
    await expect(recheck.get_by_label(FR["terms"])).to_be_checked()
    await recheck.get_by_label(FR["last_name"], exact=True).fill("Inconnu-Dupont")
    await recheck.get_by_role("button", name=FR["save"]).click()
    await heading(page, "Vous n'êtes pas admissible à la prise de rendez-vous en ligne")


async def test_two_patients_race_for_one_slot_and_only_one_gets_it(
    new_context, live_server, follow_ups: OwnPatient
):
    pages = [await (await new_context()).new_page() for _ in range(2)]
    for page in pages:
        await page.goto(live_server.url("/centre-ville/"))
        await identify(page, follow_ups.who)
        await choose_service(page, FR["follow_up"], "Contrôle annuel")
    winner, loser = pages
    wanted = await slot_radios(winner).first.get_attribute("value")
    assert (
        await slot_radios(loser).first.get_attribute("value") == wanted
    )  # both see the same first slot

    await hold_first_slot(winner)
    await heading(winner, FR["review_title"])
    await hold_first_slot(loser)  # the list the loser sees is now stale

    alert = loser.get_by_role("alert")
    await expect(alert).to_have_text(FR["taken"])
    await expect(alert).to_be_focused()
    await heading(loser, FR["slots_title"])  # sent back to the list, which no longer offers it
    await expect(loser.locator(f"input[name=slot][value='{wanted}']")).to_have_count(0)
    await expect(slot_radios(loser)).to_have_count(5)
    await check_page(loser, "3-slots-taken-fr")

    await winner.get_by_role("button", name=FR["book"]).click()
    await heading(winner, FR["done_title"])


async def test_a_lapsed_hold_fails_cleanly_and_keeps_the_entries(
    page: Page, short_hold_server, follow_ups: OwnPatient
):
    await page.goto(short_hold_server.url("/centre-ville/"))
    await identify(page, follow_ups.who)
    await heading(page, FR["service_title"])
    await page.get_by_label(FR["category"]).select_option(label=FR["follow_up"])
    await page.get_by_label(FR["reason"]).fill("Renouvellement d'ordonnance")
    await page.get_by_label("Symptômes ou autres renseignements").fill(
        "Tension un peu haute le matin"
    )
    await page.get_by_role("button", name=FR["save"]).click()
    await page.get_by_role("link", name=FR["find"]).click()
    await hold_first_slot(page)
    await heading(page, FR["review_title"])

    # The page's countdown runs out (it never reaches 0:00 before the hold does) and says so.
    await expect(page.get_by_role("status")).to_contain_text(
        "Le délai pour réserver est écoulé", timeout=(SHORT_HOLD_SECONDS + 5) * 1000
    )
    await expect(page.locator(".countdown")).to_have_text("(0:00)")
    await check_page(page, "4-review-lapsed-fr")
    await page.get_by_role("button", name=FR["book"]).click()

    alert = page.get_by_role("alert")
    await expect(alert).to_have_text(FR["taken"])
    await expect(alert).to_be_focused()
    await heading(page, FR["slots_title"])
    await page.get_by_role("link", name=FR["change_criteria"]).click()
    await heading(page, FR["service_title"])
    await expect(page.get_by_label(FR["category"])).to_have_value(re.compile(r"\d+"))
    await expect(page.get_by_label(FR["category"]).locator("option:checked")).to_have_text(
        FR["follow_up"]
    )
    await expect(page.get_by_label(FR["reason"])).to_have_value("Renouvellement d'ordonnance")
    await expect(page.get_by_label("Symptômes ou autres renseignements")).to_have_value(
        "Tension un peu haute le matin"
    )


async def test_errors_are_announced_and_take_the_focus(
    page: Page, live_server, patient: OwnPatient
):
    for lang, title in (
        ("fr", "Veuillez corriger ce qui suit"),
        ("en", "Please correct the following"),
    ):
        w = WORDS[lang]
        await page.goto(live_server.url(f"/centre-ville/?lang={lang}"))
        await page.get_by_label(w["first_name"], exact=True).fill("Marie")
        await page.get_by_role("button", name=w["save"]).click()
        alert = page.get_by_role("alert")
        await expect(alert).to_contain_text(title)
        await expect(alert).to_be_focused()
        # Each message leads to its field, which says it is wrong; what was typed stays.
        await expect(page.get_by_label(w["last_name"], exact=True)).to_have_attribute(
            "aria-invalid", "true"
        )
        await expect(page.get_by_label(w["first_name"], exact=True)).to_have_value("Marie")
        await check_page(page, f"1-identify-errors-{lang}")
        await alert.get_by_role("link").first.click()
        await expect(page.get_by_label(w["last_name"], exact=True)).to_be_focused()

    # The service step too, after an HTMX swap.
    await identify(page, patient.who, "en")
    await heading(page, WORDS["en"]["service_title"])
    await page.get_by_role("button", name=WORDS["en"]["save"]).click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Choose a consultation category.")
    await expect(alert).to_be_focused()
    await check_page(page, "2-service-errors-en")


async def test_the_whole_flow_works_without_javascript(
    new_context, live_server, follow_ups: OwnPatient
):
    context = await new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(live_server.url("/centre-ville/"))
    await page.get_by_role(
        "button", name=FR["save"]
    ).click()  # a plain POST answers with the errors
    await expect(page.get_by_role("alert")).to_contain_text("Veuillez corriger ce qui suit")

    await identify(page, follow_ups.who)
    await heading(page, FR["service_title"])
    assert "/b/" in page.url and page.url.endswith("/service")  # each step is its own page
    await expect(
        page.get_by_text(FR["follow_up_description"])
    ).to_be_visible()  # all descriptions, no script needed
    await check_page(page, "2-service-nojs-fr", axe=False)  # axe-core needs the page's JavaScript
    await choose_service(page, FR["follow_up"], "Contrôle annuel")
    await expect(slot_radios(page)).to_have_count(5)
    await page.get_by_role("link", name=FR["more"]).click()
    await expect(slot_radios(page)).to_have_count(10)
    await hold_first_slot(page)
    await heading(page, FR["review_title"])
    await expect(
        page.get_by_text(re.compile(r"Ce rendez-vous vous est réservé jusqu'à \d\d"))
    ).to_be_visible()
    await page.go_back()  # the back button leads to the list, which still works
    await heading(page, FR["slots_title"])
    await page.go_forward()
    await page.reload()  # and a refresh keeps the hold
    await heading(page, FR["review_title"])
    await page.get_by_role("button", name=FR["book"]).click()
    await heading(page, FR["done_title"])
    assert page.url.endswith("/done")

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=FR["calendar"]).click()
    assert "BEGIN:VEVENT" in (await (await download_info.value).path()).read_text()
    await page.get_by_role("link", name=FR["view"]).click()
    await heading(page, FR["details_title"])
    await page.get_by_text("Annuler", exact=True).click()  # Wednesday's slot: two days ahead
    await page.get_by_role("button", name="Oui, annuler mon rendez-vous").click()
    await expect(page.get_by_role("status")).to_have_text("Votre rendez-vous est annulé.")
    await check_page(page, "6-details-cancelled-nojs-fr", axe=False)


async def test_a_slot_is_chosen_and_booked_with_the_keyboard_alone(
    page: Page, live_server, follow_ups: OwnPatient
):
    await page.goto(live_server.url("/centre-ville/"))
    await identify(page, follow_ups.who)
    await choose_service(page, FR["follow_up"], "Contrôle annuel")
    # After each swap the new step's heading has the focus; Tab goes on from there.
    await expect(page.get_by_role("heading", level=1)).to_be_focused()
    await page.keyboard.press("Tab")
    radios = slot_radios(page)
    await expect(radios.first).to_be_focused()
    await page.keyboard.press("ArrowDown")  # arrows move through the choices and pick one
    await expect(radios.nth(1)).to_be_focused()
    await expect(radios.nth(1)).to_be_checked()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name=FR["more"])).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(radios).to_have_count(10)
    await expect(radios.nth(5)).to_be_focused()  # the first new choice, where the patient left off
    await page.keyboard.press("Space")
    await expect(radios.nth(5)).to_be_checked()
    chosen = await page.locator(
        f"label[for='{await radios.nth(5).get_attribute('id')}']"
    ).inner_text()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name=FR["more"])).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name=FR["review"])).to_be_focused()
    await page.keyboard.press("Enter")

    await heading(page, FR["review_title"])
    await expect(page.get_by_role("heading", level=1)).to_be_focused()
    await expect(page.locator(".summary")).to_contain_text(
        chosen.split("\n")[0].split(", ")[-1]
    )  # the time chosen
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name=FR["book"])).to_be_focused()
    await page.keyboard.press("Enter")
    await heading(page, FR["done_title"])
    await expect(page.get_by_role("heading", level=1)).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name=FR["view"])).to_be_focused()
    await page.keyboard.press("Enter")
    await heading(page, FR["details_title"])


async def test_a_booking_left_open_too_long_says_so_and_starts_again(
    page: Page, live_server, patient: OwnPatient
):
    await page.goto(live_server.url("/centre-ville/"))
    await identify(page, patient.who)
    await heading(page, FR["service_title"])
    token = page.url.split("/b/")[1].split("/")[0]
    # Two hours later (the session's lifetime), the patient sends the form.
    await BookingSession.update(
        {BookingSession.expires_at: clock.now() - timedelta(minutes=1)}
    ).where(BookingSession.token == token)
    await page.get_by_label(FR["category"]).select_option(label=FR["follow_up"])
    await page.get_by_label(FR["reason"]).fill("Contrôle annuel")
    await page.get_by_role("button", name=FR["save"]).click()
    await heading(page, "Cette page a expiré")  # swapped in, not a silent failure
    await expect(page.get_by_role("heading", level=1)).to_be_focused()
    await check_page(page, "session-expired-fr")
    await page.get_by_role("link", name="Recommencer").click()
    await heading(page, FR["identify_title"])
