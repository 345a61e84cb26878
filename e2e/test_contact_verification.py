"""A known patient types a new cell phone and confirms it with the code sent to the email
in their file, in a real browser (htmx swaps), in French and English; and, without
JavaScript, as plain pages."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Page, expect

from app.messaging.tables import Message
from app.patients.tables import ContactDetail
from e2e.portal import WORDS, check_page, heading, identify

JEAN = {
    "first_name": "Jean",
    "last_name": "Côté",
    "date_of_birth": "1972-11-03",
    "sex": "M",
    "health_insurance_number": "COTJ 7211 0318",
    "email": "",
    "accept_terms": "on",
}
TEXTS = {
    "fr": {
        "title": "Confirmez vos nouvelles coordonnées",
        "open": "Les confirmer",
        "send": "Envoyez-moi un code",
        "code": "Code",
        "confirm": "Confirmer",
        "wrong": "Ce code n'est pas le bon.",
        "done": "Merci : vos nouvelles coordonnées sont confirmées.",
    },
    "en": {
        "title": "Confirm your new contact details",
        "open": "Confirm them",
        "send": "Send me a code",
        "code": "Code",
        "confirm": "Confirm",
        "wrong": "This code is not right.",
        "done": "Thank you: your new contact details are confirmed.",
    },
}


async def code_sent(after_id: int) -> str:
    """The code the in-process dispatcher sent (the dev outbox keeps it in full)."""
    for _ in range(200):
        row = (
            await Message.select(Message.body)
            .where(
                (Message.kind == "one_time_code")
                & (Message.status == "sent")
                & (Message.id > after_id)
            )
            .first()
        )
        if row:
            return re.search(r"\b(\d{6})\b", row["body"]).group(1)
        await asyncio.sleep(0.05)
    raise AssertionError("no code was sent")


async def last_message_id() -> int:
    row = await Message.select(Message.id).order_by(Message.id, ascending=False).first()
    return row["id"] if row else 0


async def confirm_a_new_phone(page: Page, lang: str, phone: str, *, screenshots: bool) -> None:
    t, w = TEXTS[lang], WORDS[lang]
    before = await last_message_id()
    await identify(page, {**JEAN, "cell_phone": phone}, lang)
    await heading(page, w["service_title"])
    notice = page.get_by_role("region", name=t["title"])
    await expect(notice).to_contain_text(phone.replace(" ", "")[-4:])
    if screenshots:
        await check_page(page, f"service-pending-contact-{lang}")
    await notice.get_by_role("link", name=t["open"]).click()
    await heading(page, t["title"])
    if screenshots:
        await check_page(page, f"contacts-offer-{lang}")
    await page.get_by_role("button", name=t["send"]).click()
    field = page.get_by_label(t["code"], exact=True)
    await expect(field).to_be_visible()
    code = await code_sent(before)
    await field.fill(f"{(int(code) + 1) % 10**6:06d}")
    await page.get_by_role("button", name=t["confirm"], exact=True).click()
    await expect(page.get_by_role("alert")).to_contain_text(t["wrong"])
    await expect(field).to_have_attribute("aria-invalid", "true")
    if screenshots:
        await check_page(page, f"contacts-code-error-{lang}")
    await field.fill(code)
    await page.get_by_role("button", name=t["confirm"], exact=True).click()
    await heading(page, w["service_title"])
    await expect(page.get_by_role("status")).to_have_text(t["done"])


async def verified(value: str) -> bool:
    row = (
        await ContactDetail.select(ContactDetail.verified)
        .where(ContactDetail.value == value)
        .first()
    )
    return row["verified"]


async def test_a_new_phone_is_confirmed_with_the_code_sent_to_the_file(page: Page, live_server):
    await page.goto(live_server.url("/centre-ville/"))
    await confirm_a_new_phone(page, "fr", "438 555 0171", screenshots=True)
    assert await verified("+14385550171")


async def test_in_english(page: Page, live_server):
    await page.goto(live_server.url("/centre-ville/?lang=en"))
    await confirm_a_new_phone(page, "en", "438 555 0172", screenshots=True)
    assert await verified("+14385550172")


async def test_without_javascript(new_context, live_server):
    page = await (await new_context(java_script_enabled=False)).new_page()
    await page.goto(live_server.url("/centre-ville/"))
    await confirm_a_new_phone(page, "fr", "438 555 0173", screenshots=False)
    assert await verified("+14385550173")
