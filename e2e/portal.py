"""The portal as a patient uses it: steps found by their labels (SPEC §6, in French and
English), and the checks every page must pass (accessibility, phone layout), with
screenshots at both sizes."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, NARROW, PHONE, screenshot_path

# What the patient reads, per language. The SPEC's labels are the ones tests look for.
WORDS = {
    "fr": {
        "language": "Français",
        "first_name": "Prénom",
        "last_name": "Nom",
        "date_of_birth": "Date de naissance",
        "sex": "Sexe",
        "sexes": {"F": "Femme", "M": "Homme"},
        "hin": "Numéro d'assurance maladie",
        "cell_phone": "Téléphone cellulaire",
        "email": "Courriel",
        "terms": "J'accepte les conditions d'utilisation",
        "save": "Enregistrer et continuer",
        "category": "Catégorie de consultation",
        "reason": "Motif de consultation",
        "asap": "Dès que possible",
        "find": "Trouver un rendez-vous",
        "more": "Voir plus de disponibilités",
        "review": "Réviser",
        "book": "Réserver",
        "calendar": "Ajouter au calendrier",
        "view": "Voir mon rendez-vous",
        "follow_up": "Suivi avec mon médecin de famille",
        "urgent": "Consultation urgente",
        "follow_up_description": "Un rendez-vous de suivi avec votre médecin de famille de la clinique.",  # noqa: E501 - the text as read
        "identify_title": "Prendre rendez-vous",
        "service_title": "Pour quoi souhaitez-vous consulter?",
        "slots_title": "Choisissez votre rendez-vous",
        "review_title": "Vérifiez votre rendez-vous",
        "done_title": "Votre rendez-vous est réservé",
        "details_title": "Votre rendez-vous",
        "availabilities": "Disponibilités",
        "taken": "Ce rendez-vous n'est plus disponible",
        "change_criteria": "Modifier mes critères",
        "site_message": "Présentez-vous 10 minutes avant",
    },
    "en": {
        "language": "English",
        "first_name": "First name",
        "last_name": "Last name",
        "date_of_birth": "Date of birth",
        "sex": "Sex",
        "sexes": {"F": "Female", "M": "Male"},
        "hin": "Health insurance number",
        "cell_phone": "Cell phone",
        "email": "Email",
        "terms": "I accept the terms and conditions",
        "save": "Save and continue",
        "category": "Consultation category",
        "reason": "Reason for consultation",
        "asap": "As soon as possible",
        "find": "Find an appointment",
        "more": "See more availabilities",
        "review": "Review",
        "book": "Book",
        "calendar": "Add to calendar",
        "view": "View my appointment",
        "follow_up": "Follow-up with my family doctor",
        "urgent": "Urgent consultation",
        "follow_up_description": "A follow-up appointment with your family doctor at the clinic.",
        "identify_title": "Book an appointment",
        "service_title": "What is your appointment for?",
        "slots_title": "Choose your appointment",
        "review_title": "Review your appointment",
        "done_title": "Your appointment is booked",
        "details_title": "Your appointment",
        "availabilities": "Availabilities",
        "taken": "This appointment is no longer available",
        "change_criteria": "Change my criteria",
        "site_message": "Please arrive 10 minutes early",
    },
}

# Every control a finger or a pointer aims at (radios and checkboxes through their labels).
TARGETS = (
    "a, button, select, textarea, summary, .radio label, .checkbox label,"
    " input:not([type=hidden]):not([type=radio]):not([type=checkbox])"
)
MIN_TARGET = 44


async def heading(page: Page, text: str) -> None:
    await expect(page.get_by_role("heading", level=1)).to_have_text(text)


async def identify(page: Page, who: dict, lang: str = "fr") -> None:
    """Step 1, filled and sent as a patient would."""
    w = WORDS[lang]
    await page.get_by_label(w["first_name"], exact=True).fill(who["first_name"])
    await page.get_by_label(w["last_name"], exact=True).fill(who["last_name"])
    await page.get_by_label(w["date_of_birth"]).fill(who["date_of_birth"])
    await page.get_by_label(w["sex"], exact=True).select_option(label=w["sexes"][who["sex"]])
    await page.get_by_label(w["hin"]).fill(who["health_insurance_number"])
    await page.get_by_label(w["cell_phone"]).fill(who["cell_phone"])
    await page.get_by_label(w["email"]).fill(who["email"])
    await page.get_by_label(w["terms"]).check()
    await page.get_by_role("button", name=w["save"]).click()


async def choose_service(page: Page, service: str, reason: str, lang: str = "fr") -> None:
    """Step 2: the category, the reason, as soon as possible; saved, then "Find an appointment"."""
    w = WORDS[lang]
    await heading(page, w["service_title"])
    await page.get_by_label(w["category"]).select_option(label=service)
    await page.get_by_label(w["reason"]).fill(reason)
    await page.get_by_label(w["asap"]).check()
    await page.get_by_role("button", name=w["save"]).click()
    await page.get_by_role("link", name=w["find"]).click()
    await heading(page, w["slots_title"])


def slot_radios(page: Page, lang: str = "fr"):
    return page.get_by_role("group", name=WORDS[lang]["availabilities"]).get_by_role("radio")


async def hold_first_slot(page: Page, lang: str = "fr") -> str:
    """Step 3: the first availability, then "Review"; returns its label."""
    first = slot_radios(page, lang).first
    label = await page.locator(f"label[for='{await first.get_attribute('id')}']").inner_text()
    await first.check()
    await page.get_by_role("button", name=WORDS[lang]["review"]).click()
    return label


async def check_page(page: Page, name: str, *, axe: bool = True) -> None:
    """What every portal page owes a patient: no accessibility violation (axe-core),
    no sideways scrolling at 320 px, tap targets at least 44 px high. Screenshots of
    the page at 320 px, phone and desktop sizes land in e2e/artifacts/."""
    size = page.viewport_size
    if axe:
        await assert_accessible(page)
    await page.set_viewport_size(NARROW)
    await assert_phone_friendly(page)
    await page.screenshot(path=screenshot_path(f"{name}-320"), full_page=True)
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(viewport)
        await page.screenshot(path=screenshot_path(f"{name}-{label}"), full_page=True)
    await page.set_viewport_size(size)


async def assert_accessible(page: Page) -> None:
    results = await Axe().run(page)
    assert results.violations_count == 0, f"axe-core on {page.url}:\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
    )


async def assert_phone_friendly(page: Page) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (
        f"{page.url} scrolls sideways by {overflow}px at {page.viewport_size['width']}px"
    )
    small = await page.evaluate(
        """([selector, minimum]) => Array.from(document.body.querySelectorAll(selector))
            .filter((el) => el.getClientRects().length
                && !el.closest('.skip-link, .visually-hidden'))
            .map((el) => ({
                what: el.tagName.toLowerCase() + ' '
                    + (el.innerText || el.name || el.id || '').trim().slice(0, 50),
                height: Math.round(el.getBoundingClientRect().height)}))
            .filter((target) => target.height < minimum)""",
        [TARGETS, MIN_TARGET],
    )
    assert not small, f"tap targets under {MIN_TARGET}px on {page.url}: {small}"
