"""The end-of-consultation message (SPEC §8, issue 14): when a call in our video room
ends, one email and one SMS, in the patient's language, with "Pay" while a payment is
due and a link to each document shared; the details page keeps them. Delivered by the
real dispatcher to a real SMTP server and SMS provider (tests.integration.messaging_fakes)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from app import clock
from app.booking.links import GRACE
from app.messaging import consultation_end
from app.video.tables import CallFile
from tests.integration.chat_helpers import THURSDAY, link_of
from tests.integration.consultation_helpers import (
    PDF,
    ask_payment,
    hang_up,
    in_call,
    passes,
    share,
)
from tests.integration.demo_lookup import clinic_id
from tests.integration.messaging_helpers import (
    MARIE_CELL,
    MARIE_EMAIL,
    body,
    local,
    outbox,
)

STARTS = local(THURSDAY, time(15))
IN_THE_CALL = local(THURSDAY, time(15, 5))


async def teleconsultation(comms, language: str = "fr") -> int:
    video = await comms.activity("Téléconsultation", type_fr="Télémédecine")
    appointment = await comms.staff_book(STARTS, activity=video, language=language)
    await comms.deliver()  # the confirmation and what else is due now
    clock.freeze(IN_THE_CALL)
    return appointment


SUBJECTS = ("Après votre téléconsultation", "After your teleconsultation")


def ends(comms, address=MARIE_EMAIL):
    return [m for m in comms.emails(address) if m["Subject"] in SUBJECTS]


async def test_hanging_up_sends_one_email_and_one_sms_with_pay_and_the_documents(comms):
    appointment = await teleconsultation(comms)
    patient, staff = await in_call(comms.clinic, appointment)
    shared = await share(patient, "résultats sanguins.pdf")
    await ask_payment(comms.clinic, appointment, 4500)
    assert await outbox(appointment, kind=consultation_end.KIND) == []  # nothing before the end
    assert await hang_up(staff) is not None
    assert await hang_up(staff) is None  # a second click: no call to end
    await consultation_end.plan(clinic_id=comms.clinic, appointment_id=appointment)  # a retry
    planned = await outbox(appointment, kind=consultation_end.KIND)
    assert sorted(row["channel"] for row in planned) == ["email", "sms"]
    await comms.deliver()
    await comms.deliver()
    token = await link_of(appointment)
    base = comms.settings.clinic_url("demo")
    emails = ends(comms)
    assert len(emails) == 1
    email = emails[0]
    assert email["Subject"] == "Après votre téléconsultation"
    text, html = body(email), body(email, "html")
    assert "Merci d'avoir participé à votre rendez-vous en télémédecine." in text
    assert f"{base}/a/{token}/pay" in text and "45,00\u00a0$" in text
    assert f'href="{base}/a/{token}/pay"' in html
    file_url = f"{base}/a/{token}/room/files/{shared.key}"
    assert "résultats sanguins.pdf" in text and file_url in text
    assert f'href="{file_url}"' in html
    assert f"{base}/a/{token}" in text  # the details page keeps them
    texts = [t for t in comms.texts(MARIE_CELL) if f"/a/{token}/pay" in t]
    assert len(texts) == 1
    assert "45,00 $" in texts[0] and f"{base}/a/{token}" in texts[0]
    rows = await outbox(appointment, kind=consultation_end.KIND)
    assert [row["status"] for row in rows] == ["sent", "sent"]
    # Health data stays in the platform: no reason, no detail, only the document's name.
    assert "Douleur" not in text and "Douleur" not in texts[0]


async def test_in_english_and_without_a_payment(comms):
    appointment = await teleconsultation(comms, language="en")
    patient, staff = await in_call(comms.clinic, appointment)
    await share(staff, "prescription.pdf")
    # A row of another clinic that names this appointment is never listed.
    await CallFile(
        clinic=await clinic_id("autre"),
        appointment=appointment,
        side="staff",
        author="x",
        name="ailleurs.pdf",
        media_type="application/pdf",
        size=len(PDF),
        content=PDF,
        key="k" * 43,
        shared_at=clock.now(),
    ).save()
    await hang_up(staff)
    await comms.deliver()
    emails = [m for m in comms.emails() if m["Subject"] == "After your teleconsultation"]
    assert len(emails) == 1
    text = body(emails[0])
    assert "Thank you for attending your telemedicine appointment." in text
    assert "/pay" not in text and "To pay" not in text
    assert "Documents shared during the call:" in text and "prescription.pdf" in text
    assert "ailleurs.pdf" not in text
    sms = [t for t in comms.texts(MARIE_CELL) if "Thank you for attending" in t]
    assert len(sms) == 1 and "/pay" not in sms[0] and "Documents:" in sms[0]


async def test_a_paid_payment_is_not_asked_again_and_euros_read_as_euros(comms):
    appointment = await teleconsultation(comms)
    _patient, staff = await in_call(comms.clinic, appointment)
    await ask_payment(comms.clinic, appointment, 3000, status="paid")
    await hang_up(staff)
    await comms.deliver()
    (email,) = ends(comms)
    assert "/pay" not in body(email) and "Documents" not in body(email)
    # The amount in the clinic's currency, in the patient's words.
    from app.messaging.content import _amount

    assert _amount(4500, "eur", "fr") == "45,00\u00a0€"
    assert _amount(4500, "cad", "en") == "$45.00"


async def test_no_message_for_a_call_that_never_ended(comms):
    appointment = await teleconsultation(comms)
    await in_call(comms.clinic, appointment)  # accepted, never hung up
    waiting = await teleconsultation_at(comms, time(16))
    clock.freeze(local(THURSDAY, time(15, 35)))
    patient, staff = await passes(comms.clinic, waiting)
    assert await hang_up(staff) is None  # nobody came: nothing to end
    await comms.deliver()
    assert await outbox(appointment, kind=consultation_end.KIND) == []
    assert await outbox(waiting, kind=consultation_end.KIND) == []
    assert ends(comms) == []


async def teleconsultation_at(comms, at: time) -> int:
    video = await comms.activity("Téléconsultation", type_fr="Télémédecine")
    return await comms.staff_book(local(THURSDAY, at), activity=video, patient="jean")


async def test_a_message_held_back_past_its_links_is_dropped(comms):
    """The mail server down until the links have died: a message full of dead links is
    not sent (the details page is gone too)."""
    appointment = await teleconsultation(comms)
    _patient, staff = await in_call(comms.clinic, appointment)
    await hang_up(staff)
    clock.freeze(local(THURSDAY, time(15, 20)) + GRACE + timedelta(minutes=1))
    await comms.deliver()
    rows = await outbox(appointment, kind=consultation_end.KIND)
    assert {row["status"] for row in rows} == {"dropped"}
    assert {row["last_error"] for row in rows} == {"its links have expired"}


@pytest.fixture
async def call_with_file(comms, demo):
    appointment = await teleconsultation(comms)
    patient, staff = await in_call(comms.clinic, appointment)
    shared = await share(patient)
    await ask_payment(comms.clinic, appointment)
    await hang_up(staff)
    return appointment, await link_of(appointment), shared


async def test_the_details_page_keeps_the_documents_and_pay(comms, demo, call_with_file):
    appointment, token, shared = call_with_file
    page = await demo.get(f"/a/{token}")
    assert page.status_code == 200
    assert f'href="/a/{token}/pay"' in page.text
    assert f"/a/{token}/room/files/{shared.key}" in page.text
    download = await demo.get(f"/a/{token}/room/files/{shared.key}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment")


async def test_another_clinics_file_or_another_appointments_is_not_found(
    comms, demo, call_with_file
):
    appointment, token, shared = call_with_file
    other = await teleconsultation_at(comms, time(16))
    clock.freeze(local(THURSDAY, time(15, 55)))
    other_patient, _ = await passes(comms.clinic, other)
    elsewhere = await share(other_patient, "autre.pdf")
    assert (await demo.get(f"/a/{token}/room/files/{elsewhere.key}")).status_code == 404
    # A row of another clinic, even on this appointment, is never served here.
    await CallFile.update({CallFile.clinic: await clinic_id("autre")}).where(
        CallFile.key == shared.key
    )
    assert (await demo.get(f"/a/{token}/room/files/{shared.key}")).status_code == 404
    assert (await demo.get(f"/a/{token}/room/files/{'x' * 44}")).status_code == 404


async def test_once_the_link_has_expired_the_documents_are_gone(comms, demo, call_with_file):
    appointment, token, shared = call_with_file
    assert (await demo.get(f"/a/{token}/room/files/{shared.key}")).status_code == 200
    clock.freeze(local(THURSDAY, time(15, 20)) + GRACE + timedelta(seconds=1))
    assert (await demo.get(f"/a/{token}/room/files/{shared.key}")).status_code == 404
    assert (await demo.get(f"/a/{token}")).status_code == 404
