"""The administration's no-show rate: the month's appointments that have started and were
not cancelled, and those marked no-show, per activity and per reminder schedule (the one
recorded when the appointment's reminders were planned); a month picker whose bad input
is refused next to the field; administrators only; each clinic its own figures."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest

from app import clock
from app.booking.tables import Appointment
from app.reminders import store
from app.reminders.schedule import parse
from tests.integration.messaging_helpers import local
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import signed_in

PAGE = "/staff/administration/no-shows"


def table(page, title_id: str) -> dict[str, list[str]]:
    """A section's rows: name → [appointments, missed, rate]."""
    section = text(page).split(f'id="{title_id}"')[1].split("</table>")[0]
    body = section.split("<tbody>")[1]
    return {
        name: re.findall(r"<td[^>]*>([^<]*)</td>", cells)
        for name, cells in re.findall(
            r'<th scope="row">([^<]+)</th>((?:<td[^>]*>[^<]*</td>)+)', body
        )
    }


async def mark(appointment: int, status: str) -> None:
    await Appointment.update({Appointment.status: status}).where(Appointment.id == appointment)


@pytest.fixture
async def november(comms):
    """Seven appointments at Clinique Démo in late November, four under the default
    schedule, three under "1 day before, asking"; two missed, one cancelled."""
    follow_up = await comms.activity("Suivi")
    other = await comms.activity("Vaccination")
    thursday, friday = date(2026, 11, 26), date(2026, 11, 27)
    first = [
        await comms.staff_book(local(thursday, time(hour)), activity=follow_up)
        for hour in (9, 10, 11)
    ]
    first.append(await comms.staff_book(local(thursday, time(14)), activity=other))
    await store.save(comms.clinic, parse("1d:confirm"))
    second = [
        await comms.staff_book(local(friday, time(hour)), activity=follow_up) for hour in (9, 10)
    ]
    second.append(await comms.staff_book(local(friday, time(14)), activity=other))
    await mark(first[0], "no_show")
    await mark(first[1], "completed")
    await mark(second[0], "no_show")
    await mark(second[2], "cancelled")
    # One not yet started when the page is read (Friday noon): not counted.
    later = await comms.staff_book(local(date(2026, 11, 30), time(9)), activity=follow_up)
    await mark(later, "no_show")
    clock.freeze(local(date(2026, 11, 28), time(12)))
    return comms


async def test_the_months_rate_per_activity_and_per_schedule(november, demo):
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get(PAGE + "?month=2026-11&lang=en")
    assert page.status_code == 200
    assert "November 2026" in text(page)
    # 6 counted (the cancelled one left out), 2 missed.
    assert "33.3 %" in text(page) and "2 appointments missed" in text(page)
    assert table(page, "by-activity-title") == {
        "Follow-up": ["5", "2", "40.0 %"],
        "Vaccination": ["1", "0", "0.0 %"],
    }
    assert table(page, "by-schedule-title") == {
        "3 days before, asks to confirm; 1 day before": ["4", "1", "25.0 %"],
        "1 day before, asks to confirm": ["2", "1", "50.0 %"],
    }


async def test_the_current_month_is_the_default_and_another_month_is_empty(november, demo):
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get(PAGE)
    assert page.status_code == 200 and 'value="2026-11"' in page.text
    october = await demo.get(PAGE + "?month=2026-10")
    assert october.status_code == 200 and 'id="by-activity-title"' not in october.text


async def test_another_clinics_appointments_do_not_count(november, demo, autre):
    await signed_in(autre, "admin@autre.localhost")
    page = await autre.get(PAGE + "?month=2026-11")
    assert page.status_code == 200 and 'id="by-activity-title"' not in page.text


@pytest.mark.parametrize(
    "month",
    [
        "2026-13",
        "2026-00",
        "26-11",
        "2026-1",
        "abc",
        "2026-11-01",
        "１２３４-11",
        "1999-12",
        "2026-1a",
    ],
)
async def test_a_bad_month_is_refused_next_to_the_field(comms, demo, month):
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get(PAGE, params={"month": month, "lang": "en"})
    assert page.status_code == 400
    assert re.search(
        r'<p class="error" id="month-error">Choose a month, for example 2026-11\.</p>', page.text
    )
    assert 'aria-invalid="true"' in page.text and 'id="by-activity-title"' not in page.text


async def test_administrators_only(demo):
    await signed_in(demo, "secretariat@demo.localhost")
    assert (await demo.get(PAGE)).status_code == 403


def test_month_bounds_follow_the_clinics_time_zone():
    from app.reminders.no_shows import month_bounds

    start, end = month_bounds(date(2026, 12, 1), "America/Montreal")
    assert start.astimezone(UTC) == datetime(2026, 12, 1, 5, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2027, 1, 1, 5, tzinfo=UTC)
