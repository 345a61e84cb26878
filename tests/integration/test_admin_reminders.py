"""The reminder schedule's administration page: the default shown, a new schedule saved
with its audit row and followed by the next booking, every bad input refused next to its
field with nothing changed, administrators only, each clinic its own."""

from __future__ import annotations

import re
from datetime import time

import pytest

from app.audit.tables import AuditEntry
from app.reminders import store
from app.reminders.schedule import DEFAULT
from tests.integration import demo_lookup
from tests.integration.messaging_helpers import local, outbox
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import csrf, signed_in

PAGE = "/staff/administration/reminders"
BLANK = {f"amount_{n}": "" for n in range(1, 6)} | {f"unit_{n}": "days" for n in range(1, 6)}


async def save(client, **fields):
    page = await client.get(PAGE)
    return await client.post(PAGE, data={"_csrf_token": csrf(page.text), **BLANK, **fields})


def error_of(page, name: str) -> str | None:
    found = re.search(rf'<p class="error" id="{name}-error">([^<]+)</p>', text(page))
    return found.group(1) if found else None


async def test_the_default_schedule_is_3_days_asking_to_confirm_then_1_day(demo):
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get(PAGE)
    assert page.status_code == 200
    body = text(page)
    assert "3 jours avant, demande de confirmer" in body or "3 days before, asks to confirm" in body
    assert 'name="amount_1" type="text" inputmode="numeric" size="4" value="3"' in body
    assert 'id="confirm_1" name="confirm_1" value="1" checked' in body
    assert 'name="amount_2" type="text" inputmode="numeric" size="4" value="1"' in body
    assert 'id="confirm_2" name="confirm_2" value="1">' in body
    index = await demo.get("/staff/administration")
    assert PAGE in index.text and "/staff/administration/no-shows" in index.text


async def test_a_saved_schedule_is_audited_and_the_next_booking_follows_it(comms, demo):
    await signed_in(demo, "admin@demo.localhost")
    saved = await save(
        demo, amount_1="2", unit_1="days", confirm_1="1", amount_3="4", unit_3="hours"
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    assert (await store.schedule_of(comms.clinic)).text() == "2d:confirm,4h"
    entry = await AuditEntry.select().where(
        (AuditEntry.clinic == comms.clinic) & (AuditEntry.entity_id == "reminder_schedule")
    )
    assert [(e["before"], e["after"]) for e in entry] == [
        ('{"reminder_schedule":"3d:confirm,1d"}', '{"reminder_schedule":"2d:confirm,4h"}')
    ]
    # Saving it unchanged writes no second audit row.
    assert (
        await save(demo, amount_1="2", unit_1="days", confirm_1="1", amount_2="4", unit_2="hours")
    ).status_code == 303
    assert await AuditEntry.count().where(AuditEntry.entity_id == "reminder_schedule") == 1
    # Another clinic keeps the default.
    assert await store.schedule_of(await demo_lookup.clinic_id("autre")) == DEFAULT

    appointment = await comms.staff_book(local(comms_thursday(), time(14)))
    planned = {
        (m["kind"], m["due_at"]) for m in await outbox(appointment) if m["channel"] == "email"
    }
    assert planned == {
        ("confirmation", planned_confirmation(planned)),
        ("reminder", local(comms_tuesday(), time(14))),
        ("reminder_notice", local(comms_thursday(), time(10))),
    }


def comms_tuesday():
    from datetime import date

    return date(2026, 11, 24)


def comms_thursday():
    from datetime import date

    return date(2026, 11, 26)


def planned_confirmation(planned):
    return next(due for kind, due in planned if kind == "confirmation")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"amount_1": "abc"}, "amount_1", "Enter a whole number, 1 or more."),
        ({"amount_1": "0"}, "amount_1", "Enter a whole number, 1 or more."),
        ({"amount_1": "-1"}, "amount_1", "Enter a whole number, 1 or more."),
        ({"amount_1": "2.5"}, "amount_1", "Enter a whole number, 1 or more."),
        ({"amount_1": "３"}, "amount_1", "Enter a whole number, 1 or more."),  # full-width
        ({"amount_1": "9" * 40}, "amount_1", "Enter a whole number, 1 or more."),
        ({"amount_1": "31"}, "amount_1", "At most 30 days before the appointment."),
        (
            {"amount_1": "721", "unit_1": "hours"},
            "amount_1",
            "At most 30 days before the appointment.",
        ),
        ({"amount_1": "٣"}, "amount_1", "Enter a whole number, 1 or more."),  # Arabic-Indic
        ({"amount_1": "1e3"}, "amount_1", "Enter a whole number, 1 or more."),
        (
            {"amount_1": "1", "amount_2": "24", "unit_2": "hours"},
            "amount_2",
            "Reminder 1 already goes at this time.",
        ),
        ({"amount_1": "1", "unit_1": "weeks"}, "unit_1", "Choose hours or days."),
        (
            {"amount_1": "1", "confirm_2": "1"},
            "amount_2",
            "Enter how long before the appointment this reminder goes.",
        ),
        ({}, "amount_1", "Keep at least one reminder."),
        ({"amount_1": "<b>1</b>"}, "amount_1", "Enter a whole number, 1 or more."),
    ],
)
async def test_bad_input_is_refused_next_to_its_field_and_nothing_changes(
    demo, fields, field, message
):
    await signed_in(demo, "admin@demo.localhost")
    demo.headers["Accept-Language"] = "en"
    refused = await save(demo, **fields)
    assert refused.status_code == 422
    assert error_of(refused, field) == message
    assert f'id="{field}" ' in refused.text and 'aria-invalid="true"' in refused.text
    assert await store.schedule_of(await demo_lookup.clinic_id("demo")) == DEFAULT
    assert await AuditEntry.count().where(AuditEntry.entity_id == "reminder_schedule") == 0


async def test_administrators_only(demo):
    await signed_in(demo, "secretariat@demo.localhost")
    assert (await demo.get(PAGE)).status_code == 403
    assert (await demo.post(PAGE, data={**BLANK, "amount_1": "2"})).status_code == 403
    assert await store.schedule_of(await demo_lookup.clinic_id("demo")) == DEFAULT


async def test_a_forged_form_changes_nothing(demo):
    await signed_in(demo, "admin@demo.localhost")
    forged = await demo.post(PAGE, data={**BLANK, "amount_1": "2", "_csrf_token": "forged"})
    assert forged.status_code == 403
    assert await store.schedule_of(await demo_lookup.clinic_id("demo")) == DEFAULT
