""" "My appointments" in Chromium at 390 px, against a server of its own whose mail goes
to a real SMTP server (aiosmtpd): Marie asks for a code by email, types it, and sees her
upcoming and past appointments, not the one of a type hidden from the portal; five wrong
codes lock the page; another clinic's patient gets the same pages as a stranger. axe-core
on every page, in French and English; screenshots in e2e/artifacts/."""

from __future__ import annotations

import asyncio
import os
import re
from datetime import time, timedelta

import pytest
from playwright.async_api import Page, expect

from e2e.conftest import FOLLOW_UP_DAYS, start_server, stop_server
from e2e.portal import check_page, heading
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.messaging_fakes import SmtpSink

TEXTS = {
    "fr": {
        "title": "Mes rendez-vous",
        "contact": "Courriel ou cellulaire",
        "born": "Date de naissance",
        "send": "Envoyez-moi un code",
        "code_title": "Entrez votre code",
        "code": "Code",
        "show": "Voir mes rendez-vous",
        "subject": "Votre code de vérification",
        "upcoming": "Rendez-vous à venir",
        "past": "Rendez-vous passés",
        "wrong": "Ce code n'est pas le bon.",
        "locked": "Ce code n'est plus valide. Demandez un nouveau code.",
    },
    "en": {
        "title": "My appointments",
        "contact": "Email or cell phone",
        "born": "Date of birth",
        "send": "Send me a code",
        "code_title": "Enter your code",
        "code": "Code",
        "show": "Show my appointments",
        "subject": "Your verification code",
        "upcoming": "Upcoming appointments",
        "past": "Past appointments",
        "wrong": "This code is not right.",
        "locked": "This code is no longer valid. Ask for a new code.",
    },
}


@pytest.fixture(scope="module")
async def mailing(live_server):
    """A server of its own (same database) sending mail to a real SMTP server. Its clock
    runs a day ahead of the suite's: the codes it queues are due on its clock, so the
    suite's other servers, whose mail goes to the dev outbox, find them not yet due and
    only this one sends them (as in test_payments.py)."""
    smtp = SmtpSink()
    await smtp.start()
    ahead = float(os.environ["CLOCK_OFFSET_SECONDS"]) + timedelta(days=1).total_seconds()
    server = start_server(
        "my-appointments-server", SMTP_URL=smtp.url, CLOCK_OFFSET_SECONDS=str(ahead)
    )
    yield server, smtp
    # The SMTP server lives in this event loop: the server is stopped from a thread.
    await asyncio.to_thread(stop_server, server)
    await smtp.stop()


async def her_visits(patient) -> dict[str, str]:
    """Upcoming (Thursday 09:00), past (moved to ten days ago) and hidden (Wednesday 11:00)."""
    from app.booking.services import BookingDetails, BookingService
    from app.booking.tables import Appointment
    from app.listeners import make_bus
    from app.scheduling.tables import Activity, AppointmentType

    hidden_type = AppointmentType(
        clinic=patient.clinic_id,
        name_fr="Confidentiel",
        name_en="Confidential",
        hidden_from_portal=True,
    )
    await hidden_type.save()
    hidden_activity = Activity(
        clinic=patient.clinic_id,
        name_fr="Expertise",
        name_en="Assessment",
        duration_minutes=30,
        appointment_type=hidden_type.id,
    )
    await hidden_activity.save()
    wednesday, thursday = FOLLOW_UP_DAYS
    upcoming, past = (await patient.open_slots(thursday, time(9), time(10)))[:2]
    from app.scheduling.services import SchedulingService
    from app.scheduling.tables import Slot

    opened = await SchedulingService(clinic_id=patient.clinic_id, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=patient.doctor_id,
        site_id=patient.site_id,
        activity_id=hidden_activity.id,
        day=wednesday,
        start=time(11),
        end=time(11, 30),
    )
    [hidden] = [
        r["id"] for r in await Slot.select(Slot.id).where(Slot.opening == opened.opening_id)
    ]
    booking = BookingService(clinic_id=patient.clinic_id, bus=make_bus())
    ids = {}
    for name, slot in (("upcoming", upcoming), ("past", past), ("hidden", hidden)):
        outcome = await booking.staff_book(
            actor=RECEPTION,
            slot_id=slot,
            details=BookingDetails(source="staff", patient_id=patient.patient_id, language="fr"),
        )
        ids[name] = outcome.appointment_id
    # The past one: as if it had been ten days ago, and attended.
    row = (
        await Appointment.select(Appointment.starts_at, Appointment.ends_at)
        .where(Appointment.id == ids["past"])
        .first()
    )
    await Appointment.update(
        {
            Appointment.starts_at: row["starts_at"] - timedelta(days=10),
            Appointment.ends_at: row["ends_at"] - timedelta(days=10),
            Appointment.status: "completed",
        }
    ).where(Appointment.id == ids["past"])
    return ids


async def code_for(smtp: SmtpSink, address: str, subject: str, before: int) -> str:
    """The code in the email to `address` after the first `before` ones."""
    for _ in range(300):
        mails = [m for m in smtp.to(address) if m["Subject"] == subject]
        if len(mails) > before:
            text = mails[before].get_body(("plain",)).get_content()
            return re.search(r"\b(\d{6})\b", text).group(1)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no code reached {address}")


async def ask_for_a_code(page: Page, t: dict, contact: str, born: str) -> None:
    await page.get_by_label(t["contact"]).fill(contact)
    await page.get_by_label(t["born"]).fill(born)
    await page.get_by_role("button", name=t["send"]).click()
    await heading(page, t["code_title"])


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_marie_asks_for_a_code_and_sees_her_appointments(page: Page, mailing, patient, lang):
    server, smtp = mailing
    t = TEXTS[lang]
    await her_visits(patient)
    email = patient.who["email"]
    await page.goto(server.url(f"/centre-ville/?lang={lang}"))
    await page.get_by_role("link", name=t["title"]).click()
    await heading(page, t["title"])
    await check_page(page, f"my-request-{lang}")
    # Bad input: the message next to the field.
    await page.get_by_label(t["contact"]).fill("marie@")
    await page.get_by_role("button", name=t["send"]).click()
    await expect(page.get_by_label(t["contact"])).to_have_attribute("aria-invalid", "true")
    await check_page(page, f"my-request-error-{lang}")

    await ask_for_a_code(page, t, email, "1985-04-12")
    await check_page(page, f"my-code-{lang}")
    code = await code_for(smtp, email, t["subject"], 0)
    field = page.get_by_label(t["code"], exact=True)
    await field.fill(f"{(int(code) + 1) % 10**6:06d}")
    await page.get_by_role("button", name=t["show"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(t["wrong"])
    await expect(field).to_have_attribute("aria-invalid", "true")
    await field.fill(code)
    await page.get_by_role("button", name=t["show"]).click()
    await heading(page, t["title"])

    upcoming = page.get_by_role("region", name=t["upcoming"])
    past = page.get_by_role("region", name=t["past"])
    await expect(upcoming.locator(".my-appointment")).to_have_count(1)
    await expect(past.locator(".my-appointment")).to_have_count(1)
    await expect(upcoming).to_contain_text(patient.doctor)
    await expect(past.locator("a")).to_have_count(0)  # its details link died with it
    assert "Expertise" not in await page.inner_text("main")
    assert "Assessment" not in await page.inner_text("main")
    await check_page(page, f"my-list-{lang}")
    # The upcoming one opens its details page.
    await upcoming.locator(".my-appointment a").click()
    await expect(page).to_have_url(re.compile(r"/a/[^/]+$"))


async def test_five_wrong_codes_lock_the_page(page: Page, mailing, patient):
    server, smtp = mailing
    t = TEXTS["en"]
    await page.goto(server.url("/centre-ville/my?lang=en"))
    await ask_for_a_code(page, t, patient.who["email"], "1985-04-12")
    code = await code_for(smtp, patient.who["email"], t["subject"], 0)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    # Each answer awaited by its own words: the previous one's alert is still on the page.
    for left in ("4 more tries", "3 more tries", "2 more tries", "1 more try", None):
        await page.get_by_label(t["code"], exact=True).fill(wrong)
        await page.get_by_role("button", name=t["show"]).click()
        if left:
            await expect(page.get_by_role("alert")).to_contain_text(f"You have {left}.")
    await expect(page.get_by_role("alert")).to_have_text(t["locked"])
    await expect(page.get_by_label(t["code"], exact=True)).to_have_count(0)
    await check_page(page, "my-code-locked-en")


async def test_another_clinics_patient_gets_what_a_stranger_gets(page: Page, mailing):
    """Camille's file is at the other clinic: at this one she is nobody, and the page
    she gets reads exactly as a stranger's."""
    server, smtp = mailing
    t = TEXTS["fr"]
    seen = []
    for contact, born in (
        ("camille.dubois@example.fr", "1990-05-14"),
        ("personne.inconnue@example.org", "1990-05-14"),
    ):
        await page.goto(server.url("/centre-ville/my"))
        await ask_for_a_code(page, t, contact, born)
        await page.get_by_label(t["code"], exact=True).fill("123456")
        await page.get_by_role("button", name=t["show"]).click()
        await expect(page.get_by_role("alert")).to_be_visible()
        seen.append(await page.inner_text("main"))
    assert seen[0] == seen[1]
    await asyncio.sleep(1)  # the dispatcher runs every second: nothing was queued anyway
    assert smtp.to("camille.dubois@example.fr") == []
