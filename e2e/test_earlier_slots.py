"""Earlier-slot offers in the browser at 390 px: nothing fits, Marie asks to be told if
an earlier appointment opens (the form, its bad input, FR and EN); her doctor opens a
slot, she follows the offer's link and books it in one step. Every page is checked
(axe-core, phone layout) and photographed."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Page, expect

from e2e.conftest import FOLLOW_UP_DAYS, OwnPatient
from e2e.portal import WORDS, check_page, choose_service, heading, identify

ASK = {
    "fr": "Prévenez-moi si une place se libère plus tôt",
    "en": "Tell me if an earlier appointment opens",
}


async def test_marie_asks_for_an_earlier_slot_and_takes_the_offer(
    page: Page, live_server, patient: OwnPatient
):
    from app import clock
    from app.settings import load
    from app.waitlist import links
    from app.waitlist.tables import Offer, WaitRequest

    w = WORDS["fr"]
    await page.goto(live_server.url("/centre-ville/"))
    await identify(page, patient.who)
    await choose_service(page, w["follow_up"], "Contrôle annuel")
    await expect(page.get_by_role("heading", name=ASK["fr"])).to_be_visible()
    await check_page(page, "earlier-1-slots-nothing-fits-fr")

    # A date already past: said next to the field, nothing saved.
    await page.get_by_label("Jusqu'au").fill("2020-01-01")
    await page.get_by_role("button", name=ASK["fr"]).click()
    await heading(page, ASK["fr"])
    await expect(page.locator("#until-error")).to_be_visible()
    await check_page(page, "earlier-2-bad-date-fr")
    assert await WaitRequest.count().where(WaitRequest.patient == patient.patient_id) == 0

    until = (clock.now() + timedelta(days=20)).date().isoformat()
    await page.get_by_label("Jusqu'au").fill(until)
    await page.get_by_role("button", name=ASK["fr"]).click()
    await heading(page, "Nous vous préviendrons si une place se libère plus tôt")
    await check_page(page, "earlier-3-asked-fr")
    await page.goto(page.url.split("?")[0] + "?lang=en")
    await heading(page, ASK["en"])
    await check_page(page, "earlier-3-form-en")

    # Her doctor opens a slot: she is offered it at once.
    await patient.open_slots(FOLLOW_UP_DAYS[0], *_hours())
    request = await WaitRequest.select().where(WaitRequest.patient == patient.patient_id).first()
    offer = await Offer.select().where(Offer.request == request["id"]).first()
    assert offer is not None
    token = links.make_token(load().secret_key, "offer", offer["id"], offer["nonce"])
    await page.goto(live_server.url(links.offer_path("centre-ville", token)))
    await heading(page, "Un rendez-vous plus tôt s'est libéré")  # the language she asked in
    await check_page(page, "earlier-4-offer-fr")
    await page.goto(live_server.url(links.offer_path("centre-ville", token) + "?lang=en"))
    await heading(page, "An earlier appointment is free")
    await check_page(page, "earlier-4-offer-en")
    await page.get_by_role("button", name="Book this appointment").click()
    await heading(page, "Your appointment is booked")
    await check_page(page, "earlier-5-booked-en")
    assert (await WaitRequest.select().where(WaitRequest.id == request["id"]).first())[
        "status"
    ] == "booked"

    stop = links.make_token(load().secret_key, "stop", request["id"], request["nonce"])
    await page.goto(live_server.url(links.stop_path("centre-ville", stop)))
    await check_page(page, "earlier-6-stop-fr")


def _hours():
    from datetime import time

    return time(9), time(9, 30)
