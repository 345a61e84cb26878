"""Marie books a follow-up with her family doctor, end to end, in French and in English;
every step is checked (axe-core, phone layout) and photographed at both sizes. Each run
has its own Marie and doctor (`follow_ups`): twelve slots, none taken by another test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, PHONE, OwnPatient
from e2e.portal import WORDS, check_page, heading, hold_first_slot, identify, slot_radios


@pytest.mark.parametrize(
    "lang, viewport", [("fr", PHONE), ("en", DESKTOP)], ids=["fr-phone", "en-desktop"]
)
async def test_marie_books_a_follow_up_with_her_family_doctor(
    page: Page, live_server, follow_ups: OwnPatient, lang, viewport, tmp_path: Path
):
    w = WORDS[lang]
    await page.set_viewport_size(viewport)
    await page.goto(live_server.url("/centre-ville/"))
    await heading(page, WORDS["fr"]["identify_title"])  # the browser asks for French first
    if lang == "en":
        await (
            page.get_by_role("navigation", name="Langue")
            .get_by_role("link", name="English")
            .click()
        )
        await heading(page, w["identify_title"])
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    await check_page(page, f"1-identify-{lang}")

    await identify(page, follow_ups.who, lang)
    await heading(page, w["service_title"])
    await expect(page.get_by_label(w["category"]).locator("option")).to_have_text(
        [
            {"fr": "Choisir", "en": "Choose"}[lang],
            w["urgent"],
            w["follow_up"],
            "Vaccination",
            {"fr": "Téléconsultation", "en": "Teleconsultation"}[lang],
        ]
    )
    await page.get_by_label(w["category"]).select_option(label=w["follow_up"])
    await expect(
        page.get_by_text(w["follow_up_description"], exact=True)
    ).to_be_visible()  # shown on selection
    await page.get_by_label(w["reason"]).fill("Contrôle annuel")
    await check_page(page, f"2-service-{lang}")
    await page.get_by_role("button", name=w["save"]).click()
    await expect(page.get_by_role("link", name=w["find"])).to_be_visible()
    await check_page(page, f"2-service-saved-{lang}")
    await page.get_by_role("link", name=w["find"]).click()

    await heading(page, w["slots_title"])
    await expect(slot_radios(page, lang)).to_have_count(5)
    first_five = await slot_radios(page, lang).evaluate_all(
        "(radios) => radios.map((r) => r.value)"
    )
    await expect(page.get_by_text(follow_ups.doctor).first).to_be_visible()
    await check_page(page, f"3-slots-{lang}")
    await page.get_by_role("link", name=w["more"]).click()
    await expect(slot_radios(page, lang)).to_have_count(10)
    assert (await slot_radios(page, lang).evaluate_all("(radios) => radios.map((r) => r.value)"))[
        :5
    ] == first_five
    chosen = await hold_first_slot(page, lang)

    await heading(page, w["review_title"])
    day = chosen.split(",")[0] if lang == "fr" else ",".join(chosen.split(",")[:2])
    await expect(page.get_by_role("main")).to_contain_text(day)
    await expect(page.get_by_text(w["site_message"])).to_be_visible()
    await expect(page.get_by_text("1000 rue Sainte-Catherine Ouest").first).to_be_visible()
    await expect(page.locator(".countdown")).to_have_text(re.compile(r"\(\d:\d\d\)"))
    await check_page(page, f"4-review-{lang}")
    await page.get_by_role("button", name=w["book"]).click()

    await heading(page, w["done_title"])
    await expect(page.get_by_text(w["site_message"])).to_be_visible()
    await check_page(page, f"5-done-{lang}")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=w["calendar"]).click()
    download = await download_info.value
    ics = tmp_path / "appointment.ics"
    await download.save_as(ics)
    text = ics.read_text()
    assert "BEGIN:VEVENT" in text and "TZID=America/Montreal" in text
    event = Calendar.from_ical(text).walk("VEVENT")[0]
    assert str(event["DTSTART"].dt.tzinfo) == "America/Montreal"
    assert follow_ups.doctor in str(event["DESCRIPTION"])

    await page.get_by_role("link", name=w["view"]).click()
    await heading(page, w["details_title"])
    await expect(page.get_by_role("main")).to_contain_text(follow_ups.doctor)
    await expect(page.get_by_role("main")).to_contain_text(day)
    await check_page(page, f"6-details-{lang}")
