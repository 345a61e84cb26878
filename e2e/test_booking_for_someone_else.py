"""A parent books for her child, in Chromium at 390 px (SPEC §7b): on step 1 she checks
"Je prends rendez-vous pour quelqu'un d'autre" by keyboard, types her daughter's identity
and her own email; the confirmation reaches her at a real SMTP server; the front desk
sees the appointment on the daughter's file. axe-core on the changed step in French and
English, with the box checked and not; screenshots at 390 px and desktop."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date

import pytest
from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, PHONE, OwnPatient, screenshot_path, start_server, stop_server
from e2e.portal import (
    WORDS,
    assert_accessible,
    assert_phone_friendly,
    choose_service,
    heading,
    hold_first_slot,
    identify,
)
from tests.integration.messaging_fakes import SmtpSink
from tests.integration.staff_helpers import PASSWORD

FOR_SOMEONE_ELSE = {
    "fr": "Je prends rendez-vous pour quelqu'un d'autre",
    "en": "I am booking for someone else",
}
BOOKER = {
    "fr": {"name": "Votre nom", "email": "Votre adresse électronique"},
    "en": {"name": "Your name", "email": "Your e-mail address"},
}
_children = itertools.count(1)


@pytest.fixture(scope="module")
async def mailed_server(live_server):
    """A server on the suite's data whose messages go to a real SMTP server."""
    smtp = SmtpSink()
    await smtp.start()
    server = start_server("family-server", SMTP_URL=smtp.url)
    yield server, smtp
    await asyncio.to_thread(stop_server, server)  # the SMTP server lives in this loop
    await smtp.stop()


async def child_of(parent: OwnPatient) -> tuple[int, dict]:
    """Her daughter Léa, 10, with the same family doctor; the file's email is not hers."""
    from app import clock
    from app.patients.tables import ContactDetail, Patient

    n = next(_children)
    file = Patient(
        clinic=parent.clinic_id,
        first_name="Léa",
        last_name=parent.who["last_name"],
        date_of_birth=date(2016, 5, 1),
        sex="F",
        family_doctor=parent.doctor_id,
        created_at=clock.now(),
    )
    await file.save()
    email = f"lea.{n}.{parent.patient_id}@example.org"
    await ContactDetail(
        clinic=parent.clinic_id, patient=file.id, kind="email", value=email, position=1
    ).save()
    who = {
        "first_name": "Léa",
        "last_name": parent.who["last_name"],
        "date_of_birth": "2016-05-01",
        "sex": "F",
        "health_insurance_number": "",
        "cell_phone": "",
        "email": email,
    }
    return file.id, who


async def confirmation_sent(smtp: SmtpSink, patient_id: int, timeout: float = 60) -> dict:
    """The child's confirmation once sent. Every server on the suite's data runs a
    dispatcher: this one mails it to the SMTP sink, the suite's main server (no mail
    server: the dev outbox) may get to it first. Either way it records the recipient."""
    from app.booking.tables import Appointment
    from app.messaging.tables import Message

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        row = await (
            Message.select()
            .where(
                (Message.kind == "confirmation")
                & Message.appointment.is_in(
                    Appointment.select(Appointment.id).where(Appointment.patient == patient_id)
                )
            )
            .first()
        )
        if row and row["status"] == "sent":
            return row
        assert asyncio.get_running_loop().time() < deadline, f"not sent: {row}"
        await asyncio.sleep(0.25)


async def step_one_checks(page: Page, lang: str, name: str) -> None:
    """The changed step, box unchecked then checked (by keyboard): axe-core, phone layout,
    screenshots at 390 px and desktop."""
    box = page.get_by_label(FOR_SOMEONE_ELSE[lang])
    booker_name = page.get_by_label(BOOKER[lang]["name"])
    await expect(box).not_to_be_checked()
    await expect(booker_name).to_be_hidden()  # only when booking for someone else
    await assert_accessible(page)
    await box.focus()
    await page.keyboard.press("Space")
    await expect(box).to_be_checked()
    await expect(booker_name).to_be_visible()
    await assert_accessible(page)
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(viewport)
        if label == "phone":
            await assert_phone_friendly(page)
        await page.screenshot(path=screenshot_path(f"{name}-{label}"), full_page=True)
    await page.set_viewport_size(PHONE)


async def test_a_parent_books_for_her_child_at_390px(
    browser, mailed_server, follow_ups: OwnPatient
):
    server, smtp = mailed_server
    child_id, child = await child_of(follow_ups)
    parent_email = follow_ups.who["email"]
    context = await browser.new_context(
        locale="fr-CA", viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    w = WORDS["fr"]
    try:
        await page.goto(server.url("/centre-ville/"))
        await heading(page, w["identify_title"])
        await step_one_checks(page, "fr", "family-1-identify-fr")
        await page.get_by_label(BOOKER["fr"]["name"]).fill("Marie " + follow_ups.who["last_name"])
        await page.get_by_label(BOOKER["fr"]["email"]).fill(parent_email)
        await identify(page, child, "fr")  # her daughter's identity, then "Save and continue"
        await choose_service(page, w["follow_up"], "Vaccin de 10 ans", "fr")
        await hold_first_slot(page, "fr")
        await heading(page, w["review_title"])
        await page.get_by_role("button", name=w["book"]).click()
        await heading(page, w["done_title"])
        await page.screenshot(path=screenshot_path("family-2-done-fr-phone"), full_page=True)

        sent = await confirmation_sent(smtp, child_id)
        assert (sent["channel"], sent["recipient"]) == ("email", parent_email)
        for mailed in smtp.to(parent_email):  # when this server was the one to send it
            assert "Clinique Démo" in mailed.get_body(preferencelist=("plain",)).get_content()
        assert not smtp.to(child["email"])  # the confirmation went to the booker only

        # The front desk finds the appointment on Léa's file.
        staff = await browser.new_page(viewport=DESKTOP)
        await staff.goto(server.url("/staff/sign-in?lang=fr"))
        await staff.locator("#email").fill("secretariat@demo.localhost")
        await staff.locator("#password").fill(PASSWORD)
        await staff.get_by_role("button", name="Se connecter").click()
        await staff.goto(server.url(f"/staff/patients/{child_id}"))
        await expect(staff.get_by_role("heading", level=1)).to_have_text(
            f"{child['last_name']}, Léa"
        )
        rows = staff.get_by_role("table", name="Rendez-vous, les plus récents d'abord")
        await expect(rows.get_by_role("row")).to_have_count(2)  # the header and hers
        await expect(rows).to_contain_text(follow_ups.doctor)
        await staff.screenshot(path=screenshot_path("family-3-child-file-staff"), full_page=True)
        # Her mother's address is not on her file.
        await expect(staff.locator("ol.contacts")).not_to_contain_text(parent_email)
        await staff.close()
    finally:
        await context.close()


async def test_the_changed_step_in_english(page: Page, live_server):
    await page.set_viewport_size(PHONE)
    await page.goto(live_server.url("/centre-ville/?lang=en"))
    await heading(page, WORDS["en"]["identify_title"])
    await step_one_checks(page, "en", "family-1-identify-en")


async def test_bad_input_for_the_booker_is_said_next_to_the_field(page: Page, live_server):
    await page.set_viewport_size(PHONE)
    await page.goto(live_server.url("/centre-ville/?lang=en"))
    await page.get_by_label(FOR_SOMEONE_ELSE["en"]).check()
    await page.get_by_label(BOOKER["en"]["email"]).fill("not an address")
    await page.get_by_role("button", name=WORDS["en"]["save"]).click()
    error = page.locator("#booker_email-error")
    await expect(error).to_have_text("Enter a valid email address, e.g. name@example.com.")
    await expect(page.locator("#booker_name-error")).to_be_visible()
    await expect(page.get_by_label(FOR_SOMEONE_ELSE["en"])).to_be_checked()
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("family-1-identify-errors-en-phone"), full_page=True)


async def test_without_javascript(browser, live_server):
    """The plain form: the box shows the booker's fields by the stylesheet alone."""
    context = await browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = await context.new_page()
    try:
        await page.goto(live_server.url("/centre-ville/?lang=en"))
        await page.get_by_label(FOR_SOMEONE_ELSE["en"]).check()
        await expect(page.get_by_label(BOOKER["en"]["name"])).to_be_visible()
        await page.get_by_role("button", name=WORDS["en"]["save"]).click()
        await expect(page.locator("#booker_name-error")).to_be_visible()
    finally:
        await context.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_the_secretary_links_the_child_to_her_mother(
    page: Page, live_server, follow_ups: OwnPatient, lang
):
    """From the mother's file: "Link a family member", the search, the daughter's button;
    back on the file, the daughter is listed, and "Unlink" undoes it. axe-core on both."""
    words = {
        "fr": (
            "Se connecter",
            "Lier un membre de la famille",
            "Trouver l'autre dossier",
            "Chercher",
            "est à la charge de ce patient",
            "Délier :",
        ),
        "en": (
            "Sign in",
            "Link a family member",
            "Find the other file",
            "Search",
            "is a dependant of this patient",
            "Unlink:",
        ),
    }[lang]
    sign_in, link, find, search, dependant, unlink = words
    child_id, child = await child_of(follow_ups)
    await page.set_viewport_size(PHONE)
    await page.goto(live_server.url(f"/staff/sign-in?lang={lang}"))
    await page.locator("#email").fill("secretariat@demo.localhost")
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_role("button", name=sign_in).click()
    await page.goto(live_server.url(f"/staff/patients/{follow_ups.patient_id}"))
    await page.get_by_role("link", name=link).click()
    await page.get_by_label(find).fill(f"Léa {child['last_name']}")
    await page.get_by_role("button", name=search, exact=True).click()
    button = page.get_by_role("button", name=f"Léa {child['last_name']} {dependant}")
    await expect(button).to_be_visible()
    await assert_accessible(page)
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page scrolls sideways at 390 px"
    await page.screenshot(path=screenshot_path(f"family-4-link-{lang}-phone"), full_page=True)
    await button.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_contain_text(follow_ups.who["last_name"])
    family = page.locator("section[aria-labelledby=family-title]")
    await expect(family.get_by_role("link", name=f"{child['last_name']}, Léa")).to_be_visible()
    await assert_accessible(page)
    await page.set_viewport_size(DESKTOP)
    await page.screenshot(path=screenshot_path(f"family-5-linked-{lang}-desktop"), full_page=True)

    from app.patients.dependants import dependants_of

    listed = await dependants_of(clinic_id=follow_ups.clinic_id, guardian_id=follow_ups.patient_id)
    assert [d.patient_id for d in listed] == [child_id]
    await family.get_by_role("button", name=f"{unlink} Léa {child['last_name']}").click()
    await expect(family.get_by_role("link", name=f"{child['last_name']}, Léa")).to_have_count(0)
    assert (
        await dependants_of(clinic_id=follow_ups.clinic_id, guardian_id=follow_ups.patient_id) == []
    )
