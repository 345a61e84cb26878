"""The staff "Payments" page: one day's payment requests (the day they were made, clinic
time) with patient, practitioner, amount and status, and the count and sum per status;
the clinic's own rows only; a practitioner sees the requests of their own appointments,
secretaries and administrators all of them. Rows are inserted in PaymentRequest directly
(the requests' own flow is the call's)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from app.booking.services import BookingDetails, BookingService
from app.listeners import make_bus
from app.payments.tables import PaymentRequest
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Slot
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import signed_in
from tests.moments import NOW, freeze

PAGE = "/staff/payments"
DAY = "2026-11-23"  # NOW's day in Montreal
_keys = count()


async def book(clinic_slug: str, practitioner: str, site: str, activity: str, patient: str, hour):
    """An appointment of the clinic, days ahead (requests are dated by created_at)."""
    clinic = await demo_lookup.clinic_id(clinic_slug)
    day = NOW.date() + timedelta(days=7)
    opened = await SchedulingService(clinic_id=clinic, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await demo_lookup.practitioner_id(clinic, practitioner),
        site_id=await demo_lookup.site_id(clinic, site),
        activity_id=await demo_lookup.activity_id(clinic, activity),
        day=day,
        start=time(hour),
        end=time(hour + 1),
    )
    slot = await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).first()
    outcome = await BookingService(clinic_id=clinic, bus=make_bus()).staff_book(
        slot_id=slot["id"],
        details=BookingDetails(
            source="staff", patient_id=await demo_lookup.patient_id(clinic, patient)
        ),
        actor=RECEPTION,
    )
    assert outcome.ok, outcome
    return clinic, outcome.appointment_id


async def request(clinic, appointment, at, cents, status="requested", currency="cad", label=""):
    await PaymentRequest.insert(
        PaymentRequest(
            clinic=clinic,
            appointment=appointment,
            amount_cents=cents,
            currency=currency,
            label=label,
            status=status,
            idempotency_key=f"test-{next(_keys)}",
            checkout_url="https://pay.example/x",
            created_at=at,
        )
    )


def montreal(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo("America/Montreal"))


@pytest.fixture
async def day_of_requests(demo_data):
    """Monday 23 November (Montreal): Dre Roy's three requests (paid, requested, expired)
    and Dr Gagnon's one (paid); one of Dre Roy's the evening before and one just after
    midnight; the other clinic's requests that same day."""
    freeze()
    demo, roy = await book("demo", "Dre Julie Roy", "centre-ville", "Suivi", "Tremblay", 9)
    _, gagnon = await book("demo", "Dr Marc Gagnon", "centre-ville", "Suivi", "Côté", 13)
    autre, martin = await book(
        "autre", "Dr Claire Martin", "principal", "Consultation", "Dubois", 9
    )
    await request(demo, roy, montreal(9, 15), 4500, "paid", label="Consultation")
    await request(demo, roy, montreal(10, 5), 3000, label="Suivi")
    await request(demo, roy, montreal(11, 0), 1250, "expired")
    await request(demo, gagnon, montreal(14, 30), 6000, "paid")
    await request(demo, roy, montreal(23, 59, day=22), 100000, "paid")  # the day before
    await request(demo, roy, montreal(0, 0, day=24), 99900)  # the day after
    await request(autre, martin, montreal(9, 30), 7700, "paid", currency="eur")
    return {"demo": demo, "autre": autre}


def table(page) -> list[list[str]]:
    body = text(page).split("<tbody>")[1].split("</tbody>")[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def totals(page) -> dict[str, str]:
    found = re.findall(
        r'<div id="total-(\w+)">\s*<dt>[^<]*</dt>\s*<dd>(.*?)</dd>', text(page), re.S
    )
    return {name: " ".join(re.sub(r"<[^>]+>", "", value).split()) for name, value in found}


async def test_the_days_requests_and_their_totals(demo, day_of_requests):
    await signed_in(demo, "secretariat@demo.localhost")
    page = await demo.get(f"{PAGE}?date={DAY}")
    assert page.status_code == 200
    assert "lundi 23 novembre 2026" in text(page)
    assert table(page) == [
        ["09:15", "Marie Tremblay", "Dre Julie Roy", "Consultation", "45,00 $", "Payé"],
        ["10:05", "Marie Tremblay", "Dre Julie Roy", "Suivi", "30,00 $", "Demandé"],
        ["11:00", "Marie Tremblay", "Dre Julie Roy", "—", "12,50 $", "Expiré"],
        ["14:30", "Jean Côté", "Dr Marc Gagnon", "—", "60,00 $", "Payé"],
    ]
    assert totals(page) == {
        "requested": "30,00 $ · 1 demande",
        "paid": "105,00 $ · 2 demandes",
        "expired": "12,50 $ · 1 demande",
        "all": "147,50 $ · 4 demandes",
    }
    # The other clinic's request of that day is not shown, nor its currency.
    assert "77,00" not in text(page) and "€" not in text(page) and "Dubois" not in text(page)
    # The neighbouring days, by the toolbar's links.
    before = await demo.get(f"{PAGE}?date=2026-11-22")
    assert [row[4] for row in table(before)] == ["1 000,00 $"]
    after = await demo.get(f"{PAGE}?date=2026-11-24", headers={"HX-Request": "true"})
    assert "<html" not in after.text and [row[5] for row in table(after)] == ["Demandé"]
    assert f'href="{PAGE}?date=2026-11-22"' in page.text
    assert f'href="{PAGE}?date=2026-11-24"' in page.text


async def test_english_and_the_clinics_own_currency(demo, autre, day_of_requests):
    await signed_in(demo, "admin@demo.localhost")
    english = await demo.get(f"{PAGE}?date={DAY}&lang=en")
    assert "Monday, November 23, 2026" in text(english)
    assert totals(english)["paid"] == "$105.00 · 2 requests"
    await signed_in(autre, "admin@autre.localhost")
    other = await autre.get(f"{PAGE}?date={DAY}")
    # 09:30 in Montreal is 15:30 in Paris, the other clinic's time zone.
    assert table(other) == [["15:30", "Camille Dubois", "Dr Claire Martin", "—", "77,00 €", "Payé"]]
    assert "Tremblay" not in text(other) and "$" not in text(other).split("<main")[1]
    empty = await autre.get(f"{PAGE}?date=2026-11-25")
    assert "Aucune demande de paiement ce jour-là." in text(empty)
    assert totals(empty)["all"] == "0,00 € · 0 demande"


async def test_a_practitioner_sees_the_requests_of_their_own_appointments(demo, day_of_requests):
    await signed_in(demo, "julie.roy@demo.localhost")
    page = await demo.get(f"{PAGE}?date={DAY}")
    assert page.status_code == 200
    assert [row[2] for row in table(page)] == ["Dre Julie Roy"] * 3
    assert "Côté" not in text(page) and "60,00" not in text(page)
    assert totals(page)["paid"] == "45,00 $ · 1 demande"
    assert "Les demandes de vos propres rendez-vous." in text(page)
    assert 'href="/staff/payments"' in page.text  # in the navigation


async def test_a_bad_date_is_said_next_to_the_field(demo, day_of_requests):
    await signed_in(demo, "secretariat@demo.localhost")
    for typed, message in (
        ("23/11/2026", "Entrez une date"),
        ("2401-01-01", "Choisissez une date entre 1900 et 2200."),
        ("", "Entrez une date"),
    ):
        page = await demo.get(f"{PAGE}?date={typed}")
        assert page.status_code == 422
        assert message in re.search(r'id="payments-date-error"[^>]*>([^<]+)<', text(page)).group(1)
        assert f'value="{typed}"' in page.text
        # Today's list is shown meanwhile.
        assert len(table(page)) == 4


async def test_without_requests_the_day_says_so(demo, demo_data):
    freeze()
    await signed_in(demo, "secretariat@demo.localhost")
    page = await demo.get(PAGE)
    assert page.status_code == 200 and "Aucune demande de paiement ce jour-là." in text(page)
    assert totals(page)["all"] == "0,00 $ · 0 demande"
    assert NOW.astimezone(UTC).date().isoformat() in page.text  # today, in the date field


async def test_a_practitioner_account_linked_to_no_practitioner_sees_none(day_of_requests):
    from app.payments.report import day_report

    kept = await day_report(
        clinic_id=day_of_requests["demo"],
        time_zone="America/Montreal",
        day=date(2026, 11, 23),
        practitioner_id=None,
        everyone=False,
    )
    assert kept.lines == () and kept.totals[-1].count == 0
    every = await day_report(
        clinic_id=day_of_requests["demo"],
        time_zone="America/Montreal",
        day=date(2026, 11, 23),
        practitioner_id=None,
        everyone=True,
    )
    assert len(every.lines) == 4
