"""A contact typed on the portal that the file lacks stays pending until the patient proves
they hold the file: a 6-digit code, sent through the outbox to a contact the file already
vouches for, valid 10 minutes, 5 tries. Or the patient goes on, and the clinic confirms
it later. Plain pages and HTMX swaps, in French and English."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, time, timedelta

from app import clock
from app.listeners import make_bus
from app.messaging.dispatch import Dispatcher
from app.messaging.tables import Message, OneTimeCode
from app.patients.tables import ContactDetail
from app.scheduling.services import SchedulingService
from app.settings import load
from app.templating import make_environment
from tests.integration.demo_lookup import (
    activity_id,
    clinic_id,
    patient_id,
    practitioner_id,
    site_id,
)
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.messaging_helpers import JEAN_EMAIL, MARIE_CELL, body, local, outbox
from tests.integration.portal_helpers import (
    MARIE,
    choose_service,
    form_token,
    identify,
    slot_ids,
    text,
)

NEW_EMAIL = "marie@nouveau.example"
MARIE_NEW = {**MARIE, "email": NEW_EMAIL}  # her number identifies her; the email is new
JEAN_NEW_PHONE = {
    "first_name": "Jean",
    "last_name": "Côté",
    "date_of_birth": "1972-11-03",
    "sex": "M",
    "health_insurance_number": "COTJ72110318",
    "cell_phone": "438 555 0111",
    "email": "",
    "accept_terms": "on",
}


async def open_vaccinations(day: date) -> None:
    """Dre Julie Roy's vaccinations at centre-ville (for patients with a file), 09:00 to 10:00."""
    demo = await clinic_id("demo")
    await SchedulingService(clinic_id=demo, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await practitioner_id(demo, "Dre Julie Roy"),
        site_id=await site_id(demo, "centre-ville"),
        activity_id=await activity_id(demo, "Vaccination"),
        day=day,
        start=time(9),
        end=time(10),
    )


async def start(client, who: dict = MARIE_NEW) -> str:
    """Identify; returns the session's contacts page URL."""
    response = await identify(client, who)
    assert response.status_code == 303
    return response.headers["location"].replace("/service", "/contacts")


async def post(client, url: str, **data):
    page = await client.get(url)
    return await client.post(url, data={**data, "form_token": form_token(page.text)})


def code_in(message: str) -> str:
    return re.search(r"\b(\d{6})\b", message).group(1)


async def verified(value: str) -> bool:
    return (
        await ContactDetail.select(ContactDetail.verified)
        .where(ContactDetail.value == value)
        .first()
    )["verified"]


async def test_the_service_page_offers_to_confirm_the_new_contact(comms, demo):
    contacts_url = await start(demo)
    page = await demo.get(contacts_url.replace("/contacts", "/service"))
    assert "Confirmez vos nouvelles coordonnées" in text(page)
    assert f"Pas encore confirmé : {NEW_EMAIL}." in text(page)
    assert f'href="{contacts_url}"' in page.text
    assert not await verified(NEW_EMAIL)


async def test_a_code_sent_to_the_files_main_contact_confirms_the_new_one(comms, demo):
    contacts_url = await start(demo)
    offer = await demo.get(contacts_url)
    # Marie's main contact is her cell phone: shown masked, never in full.
    assert (
        "•••01" in text(offer)
        and MARIE_CELL not in text(offer)
        and "Envoyez-moi un code" in text(offer)
    )

    sent = await post(demo, contacts_url, action="send")
    assert sent.status_code == 303 and sent.headers["location"] == contacts_url
    [queued] = await outbox(kind="one_time_code")
    assert (queued["channel"], queued["recipient"], queued["appointment"]) == (
        "sms",
        MARIE_CELL,
        None,
    )
    await comms.deliver()
    [sms] = comms.texts(MARIE_CELL)
    code = code_in(sms)
    assert "Clinique Démo" in sms and "10 minutes" in sms

    asking = await demo.get(contacts_url)
    assert "Nous avons envoyé un code de 6 chiffres à •••01. Il est valide jusqu'à 07:10." in text(
        asking
    )
    wrong = await post(demo, contacts_url, action="check", code=f"{(int(code) + 1) % 10**6:06d}")
    assert wrong.status_code == 422
    assert "Ce code n'est pas le bon. Il vous reste 4 essais." in text(wrong)
    assert 'id="code-error"' in wrong.text and not await verified(NEW_EMAIL)

    right = await post(demo, contacts_url, action="check", code=f"{code[:3]} {code[3:]}")
    assert right.status_code == 303 and right.headers["location"].endswith("/service?confirmed=1")
    assert await verified(NEW_EMAIL)
    confirmed = await demo.get(right.headers["location"])
    assert "Merci : vos nouvelles coordonnées sont confirmées." in text(confirmed)
    assert "Pas encore confirmé" not in text(confirmed)


async def test_a_confirmed_contact_then_gets_the_full_confirmation_and_the_reminders(comms, demo):
    """Jean, whose file has an email only, adds his cell phone and confirms it."""
    clock.freeze(local(date(2026, 11, 21), time(10)))  # Saturday: Tuesday's visit gets a reminder
    await open_vaccinations(date(2026, 11, 24))
    contacts_url = await start(demo, JEAN_NEW_PHONE)
    await post(demo, contacts_url, action="send")
    await comms.deliver()
    [email] = comms.emails(JEAN_EMAIL)  # the code goes to the email his file vouches for
    assert email["Subject"] == "Votre code de vérification"
    await post(demo, contacts_url, action="check", code=code_in(body(email)))

    service_url = contacts_url.replace("/contacts", "/service")
    await choose_service(demo, service_url, "Vaccination")
    slots_url = service_url.replace("/service", "/slots")
    listing = await demo.get(slots_url)
    held = await demo.post(
        slots_url, data={"slot": slot_ids(listing.text)[0], "form_token": form_token(listing.text)}
    )
    review = await demo.get(held.headers["location"])
    await demo.post(held.headers["location"], data={"form_token": form_token(review.text)})

    await comms.deliver()
    await comms.at(local(date(2026, 11, 23), time(20)))  # the 1-day reminder
    confirmation, reminder = comms.texts("+14385550111")
    assert "/a/" in confirmation and "Dre Julie Roy" in confirmation
    assert "/a/" in reminder


async def test_five_wrong_codes_use_the_code_up(comms, demo):
    contacts_url = await start(demo)
    await post(demo, contacts_url, action="send")
    await comms.deliver()
    code = code_in(comms.texts(MARIE_CELL)[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        answer = await post(demo, contacts_url, action="check", code=wrong)
        assert f"Il vous reste {left} essai" in text(answer)
    used_up = await post(demo, contacts_url, action="check", code=wrong)
    assert (
        used_up.status_code == 422
        and "Ce code n'est plus valide. Demandez un nouveau code." in text(used_up)
    )
    assert "Nous avons envoyé un code" not in text(used_up)  # the field is gone: ask again
    late = await post(demo, contacts_url, action="check", code=code)
    assert late.status_code == 422 and not await verified(NEW_EMAIL)


async def test_a_code_lasts_ten_minutes(comms, demo):
    contacts_url = await start(demo)
    await post(demo, contacts_url, action="send")
    await comms.deliver()
    clock.advance(timedelta(minutes=10))
    expired = await post(
        demo, contacts_url, action="check", code=code_in(comms.texts(MARIE_CELL)[0])
    )
    assert expired.status_code == 422 and "Ce code n'est plus valide" in text(expired)
    assert not await verified(NEW_EMAIL)


async def test_a_new_code_replaces_the_previous_one(comms, demo):
    contacts_url = await start(demo)
    await post(demo, contacts_url, action="send")
    await comms.deliver()
    await post(demo, contacts_url, action="send")
    await post(demo, contacts_url, action="send")  # asked again before it arrived
    await comms.deliver()
    first, last = (
        code_in(sms) for sms in comms.texts(MARIE_CELL)
    )  # the replaced one is not sent late
    assert [m["status"] for m in await outbox(kind="one_time_code")] == ["sent", "dropped", "sent"]
    assert (await post(demo, contacts_url, action="check", code=first)).status_code == 422
    assert (await post(demo, contacts_url, action="check", code=last)).status_code == 303
    assert await verified(NEW_EMAIL)


async def test_one_address_gets_a_few_codes_an_hour(comms, demo):
    contacts_url = await start(demo)
    for _ in range(5):
        assert (await post(demo, contacts_url, action="send")).status_code == 303
    refused = await post(demo, contacts_url, action="send")
    assert refused.status_code == 429
    assert "Trop de codes ont été envoyés à ce contact." in text(refused)
    assert len(await outbox(kind="one_time_code")) == 5
    clock.advance(timedelta(hours=1))
    assert (await post(demo, contacts_url, action="send")).status_code == 303


async def test_a_code_confirms_only_the_session_it_was_sent_for(comms, demo):
    first = await start(demo)
    second = await start(demo)
    await post(demo, first, action="send")
    await comms.deliver()
    code = code_in(comms.texts(MARIE_CELL)[0])
    assert (await post(demo, second, action="check", code=code)).status_code == 422
    assert not await verified(NEW_EMAIL)


async def test_the_code_is_kept_nowhere_but_in_the_message_sent(comms, demo):
    contacts_url = await start(demo)
    await post(demo, contacts_url, action="send")
    await comms.deliver()
    code = code_in(comms.texts(MARIE_CELL)[0])
    for row in await OneTimeCode.select():
        assert code not in str(row)
    [message] = await Message.select().where(Message.kind == "one_time_code")
    assert code not in message["body"] and "••••••" in message["body"]


async def test_the_dev_outbox_shows_the_code_for_a_developer_to_type(comms, demo):
    contacts_url = await start(demo)
    await post(demo, contacts_url, action="send")
    dev = Dispatcher(replace(load(), smtp_url=None, sms=None), make_environment())  # no provider
    await dev.run_until_idle()
    [message] = await Message.select().where(Message.kind == "one_time_code")
    assert message["provider"] == "dev" and re.search(r"\b\d{6}\b", message["body"])


async def test_without_a_contact_to_send_a_code_to_the_clinic_confirms_later(comms, demo):
    jean = await patient_id(comms.clinic, "Côté")
    await ContactDetail.update(
        {ContactDetail.kind: "home", ContactDetail.value: "+15145550300"}
    ).where(ContactDetail.patient == jean)
    typed = {
        "first_name": "Jean",
        "last_name": "Côté",
        "date_of_birth": "1972-11-03",
        "sex": "M",
        "health_insurance_number": "COTJ72110318",
        "cell_phone": "",
        "email": "jean@nouveau.example",
        "accept_terms": "on",
    }
    contacts_url = await start(demo, typed)
    page = await demo.get(contacts_url)
    assert "La clinique les confirmera." in text(page) and "Envoyez-moi un code" not in text(page)
    # No form to send a code from; a crafted request (with the session's form token) queues nothing.
    service = await demo.get(contacts_url.replace("/contacts", "/service"))
    sent = await demo.post(
        contacts_url, data={"action": "send", "form_token": form_token(service.text)}
    )
    assert sent.status_code == 303 and "/service" in sent.headers["location"]
    assert await outbox(kind="one_time_code") == []


async def test_nothing_to_confirm_goes_on_to_the_service(comms, demo):
    contacts_url = await start(demo, MARIE)  # only contacts already on file
    page = await demo.get(contacts_url)
    assert page.status_code == 303 and page.headers["location"].endswith("/service")


async def test_in_english_and_as_an_htmx_swap(comms, demo):
    contacts_url = await start(demo)
    fragment = await demo.get(contacts_url + "?lang=en", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<header" not in fragment.text
    title, _, rest = text(fragment).partition("</title>")
    assert title == "<title>Confirm your new contact details · Downtown · Clinique Démo"
    assert rest.lstrip().startswith('<div id="step">')
    assert "Send me a code" in text(fragment) and "Continue without confirming" in text(fragment)
    assert fragment.headers["hx-push-url"] == contacts_url + "?lang=en"


async def test_a_code_typed_wrong_is_answered_next_to_the_field(comms, demo):
    contacts_url = await start(demo)
    await post(demo, contacts_url, action="send")
    for typed in ("12345", "１２３４５６", "²²²²²²", "abcdef", ""):
        answer = await post(demo, contacts_url, action="check", code=typed)
        assert (
            answer.status_code == 422
            and "Entrez le code de 6 chiffres que nous vous avons envoyé." in text(answer)
        )
        assert (
            'id="code-error"' in answer.text and f'value="{typed}"' in answer.text
        )  # kept, to correct
    [code] = await OneTimeCode.select(OneTimeCode.tries)
    assert code["tries"] == 0  # a malformed entry costs no try
