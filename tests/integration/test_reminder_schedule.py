"""The reminder schedule with the clock moved, end to end through the outbox and the
dispatcher: both DST weeks in Montreal with the default 3 days and 1 day, a schedule
changed between two bookings, the schedule recorded on each appointment, and the
"Confirm my presence" window opening by the first reminder that asks for it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from app import clock
from app.booking.links import details_path, make_token
from app.booking.tables import Appointment
from app.reminders import store
from app.reminders.schedule import parse
from app.reminders.tables import AppointmentReminders
from tests.integration.messaging_helpers import body, local, outbox
from tests.integration.portal_helpers import form_token, text


def reminders(comms) -> list[str]:
    return [s for s in comms.subjects() if s.startswith("Rappel")]


async def test_the_week_clocks_go_back_3_days_and_1_day_keep_the_appointments_time(comms):
    clock.freeze(datetime(2026, 10, 26, 16, tzinfo=UTC))  # Monday 26 October, noon EDT
    appointment = await comms.staff_book(local(date(2026, 11, 2), time(9)))  # Monday 09:00 EST
    await comms.deliver()
    # 3 days before: Friday 30 October 09:00 EDT = 13:00 UTC, asking to confirm.
    assert await comms.at(datetime(2026, 10, 30, 12, 59, tzinfo=UTC)) == 0
    await comms.at(datetime(2026, 10, 30, 13, tzinfo=UTC))
    assert reminders(comms) == ["Rappel : votre rendez-vous du lundi 2 novembre 2026"]
    assert "Veuillez confirmer votre présence" in body(comms.emails()[-1])
    # 1 day before: Sunday 1 November 09:00, EST by then = 14:00 UTC, not 13:00.
    assert await comms.at(datetime(2026, 11, 1, 13, 59, tzinfo=UTC)) == 0
    await comms.at(datetime(2026, 11, 1, 14, tzinfo=UTC))
    assert len(reminders(comms)) == 2
    notice = body(comms.emails()[-1])
    assert "Veuillez confirmer" not in notice and "Heure : 09:00" in notice
    sent = {
        m["kind"]: m["sent_at"] for m in await outbox(appointment, channel="email", status="sent")
    }
    assert sent["reminder"] == datetime(2026, 10, 30, 13, tzinfo=UTC)
    assert sent["reminder_notice"] == datetime(2026, 11, 1, 14, tzinfo=UTC)


async def test_the_week_clocks_go_forward_3_days_and_1_day_keep_the_appointments_time(comms):
    # Clocks go forward at 02:00 on Sunday 14 March 2027 (EST → EDT).
    clock.freeze(datetime(2027, 3, 8, 17, tzinfo=UTC))  # Monday 8 March, noon EST
    appointment = await comms.staff_book(local(date(2027, 3, 15), time(9)))  # Monday 09:00 EDT
    await comms.deliver()
    # 3 days before: Friday 12 March 09:00 EST = 14:00 UTC.
    assert await comms.at(datetime(2027, 3, 12, 13, 59, tzinfo=UTC)) == 0
    await comms.at(datetime(2027, 3, 12, 14, tzinfo=UTC))
    assert reminders(comms) == ["Rappel : votre rendez-vous du lundi 15 mars 2027"]
    # 1 day before: Sunday 14 March 09:00 EDT = 13:00 UTC, not 14:00.
    assert await comms.at(datetime(2027, 3, 14, 12, 59, tzinfo=UTC)) == 0
    await comms.at(datetime(2027, 3, 14, 13, tzinfo=UTC))
    assert len(reminders(comms)) == 2 and len(comms.texts()) == 3
    assert {
        (m["kind"], m["sent_at"]) for m in await outbox(appointment, channel="sms", status="sent")
    } >= {
        ("reminder", datetime(2027, 3, 12, 14, tzinfo=UTC)),
        ("reminder_notice", datetime(2027, 3, 14, 13, tzinfo=UTC)),
    }


async def test_a_changed_schedule_applies_from_the_next_booking_or_move(comms):
    first = await comms.staff_book(local(date(2026, 11, 27), time(10)))
    await store.save(comms.clinic, parse("2d:confirm"))
    second = await comms.staff_book(local(date(2026, 11, 27), time(11)), patient="jean")
    recorded = {
        row["appointment"]: row["schedule"]
        for row in await AppointmentReminders.select().where(
            AppointmentReminders.clinic == comms.clinic
        )
    }
    assert recorded == {first: "3d:confirm,1d", second: "2d:confirm"}
    assert {m["kind"] for m in await outbox(second)} == {"confirmation", "reminder"}
    assert {m["kind"] for m in await outbox(first)} == {
        "confirmation",
        "reminder",
        "reminder_notice",
    }
    # Moved, the first follows the clinic's schedule of now, and records it.
    await comms.move(first, local(date(2026, 11, 30), time(10)))
    pending = await outbox(first, status="pending")
    assert {
        (m["kind"], m["due_at"])
        for m in pending
        if m["channel"] == "email" and m["kind"].startswith("reminder")
    } == {("reminder", local(date(2026, 11, 28), time(10)))}
    row = await AppointmentReminders.select().where(AppointmentReminders.appointment == first)
    assert row[0]["schedule"] == "2d:confirm"


async def test_a_cancelled_appointment_drops_every_reminder_of_the_schedule(comms):
    await store.save(comms.clinic, parse("3d:confirm,2d,1d,4h"))
    appointment = await comms.staff_book(local(date(2026, 11, 27), time(10)))
    assert len(await outbox(appointment, status="pending")) == 2 + 4 * 2
    await comms.cancel(appointment)
    later = [m for m in await outbox(appointment) if m["kind"].startswith("reminder")]
    assert len(later) == 8 and {m["status"] for m in later} == {"dropped"}
    await comms.at(local(date(2026, 11, 27), time(9)))
    assert reminders(comms) == []


async def details(comms, appointment: int) -> str:
    ends = (await Appointment.select(Appointment.ends_at).where(Appointment.id == appointment))[0]
    return details_path(make_token(comms.settings.secret_key, appointment, ends["ends_at"]))


async def test_confirm_my_presence_opens_when_the_first_asking_reminder_goes(comms, demo):
    starts = local(date(2026, 11, 27), time(10))
    appointment = await comms.staff_book(starts)
    await comms.deliver()  # the confirmation, on its own: one batch has no order
    link = await details(comms, appointment)
    # 3 days and 1 minute before: not yet.
    clock.freeze(starts - timedelta(days=3, minutes=1))
    page = await demo.get(link)
    refused = await demo.post(f"{link}/confirm", data={"form_token": form_token(page.text)})
    assert refused.status_code == 422 and "possible à partir du" in text(refused)
    # The reminder asking to confirm goes 3 days before: the button works from then,
    # well before the 48 hours of old.
    clock.freeze(starts - timedelta(days=3))
    await comms.deliver()
    assert "Veuillez confirmer votre présence" in body(comms.emails()[-1])
    page = await demo.get(link)
    assert "Confirmer ma présence" in text(page)
    done = await demo.post(f"{link}/confirm", data={"form_token": form_token(page.text)})
    assert done.status_code == 303
    row = await Appointment.select(Appointment.status).where(Appointment.id == appointment)
    assert row[0]["status"] == "confirmed"


async def test_a_schedule_asking_late_keeps_the_48_hour_window(comms, demo):
    await store.save(comms.clinic, parse("3d,1d:confirm"))
    starts = local(date(2026, 11, 27), time(10))
    appointment = await comms.staff_book(starts)
    link = await details(comms, appointment)
    clock.freeze(starts - timedelta(hours=49))
    page = await demo.get(link)
    refused = await demo.post(f"{link}/confirm", data={"form_token": form_token(page.text)})
    assert refused.status_code == 422
    clock.freeze(starts - timedelta(hours=48))
    page = await demo.get(link)
    done = await demo.post(f"{link}/confirm", data={"form_token": form_token(page.text)})
    assert done.status_code == 303 and "done=confirmed" in done.headers["location"]
