"""When each message goes out (SPEC §8), with the clock moved as the days pass:
confirmation, change and cancellation notices, the clinic's reminder schedule (by default
3 days before asking to confirm, then 1 day before), the teleconsultation invitation
15 min before, quiet hours, the DST week, and re-planning when an appointment moves or
is cancelled. tests/integration/test_reminder_schedule.py has the schedule's own cases."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from icalendar import Calendar

from app import clock
from app.booking.links import details_path, make_token
from app.booking.tables import Appointment
from app.reminders import store as reminder_store
from app.reminders.schedule import parse
from tests.integration.messaging_helpers import (
    JEAN_EMAIL,
    MARIE_EMAIL,
    body,
    local,
    outbox,
    set_clinic,
    set_site,
)
from tests.integration.portal_helpers import MARIE, book_marie_follow_up, open_follow_ups

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (date(2026, 11, d) for d in range(23, 28))
MONDAY_AFTER = date(2026, 11, 30)
CONFIRMED, CHANGED, CANCELLED = (
    "Votre rendez-vous est confirmé",
    "Votre rendez-vous a changé",
    "Votre rendez-vous est annulé",
)


def reminders(subjects: list[str]) -> list[str]:
    return [s for s in subjects if s.startswith("Rappel")]


async def set_schedule(clinic: int, text: str) -> None:
    await reminder_store.save(clinic, parse(text))


async def test_online_booking_confirms_to_the_typed_contacts_and_reminds_the_files_main_contact(
    comms, demo
):
    clock.freeze(local(date(2026, 11, 21), time(10)))  # Saturday: the first slot is three days away
    await open_follow_ups()
    await book_marie_follow_up(demo, {**MARIE, "email": "marie.bureau@example.org"})
    await comms.deliver()
    # The confirmation goes where she asked, right away, and only there.
    assert comms.subjects("marie.bureau@example.org") == [CONFIRMED]
    assert comms.emails(MARIE_EMAIL) == [] and comms.texts() == []

    # Tuesday 09:00: 3 days before has passed (booked at 10:00 on Saturday), so the
    # reminder 1 day before, at 09:00 Monday, is the one asking to confirm; it reaches
    # the file's main contact.
    assert await comms.at(local(date(2026, 11, 23), time(8, 59))) == 0
    await comms.at(local(date(2026, 11, 23), time(9)))
    assert len(comms.texts()) == 1 and "Veuillez confirmer votre présence" in comms.texts()[0]
    assert reminders(comms.subjects(MARIE_EMAIL)) == [
        "Rappel : votre rendez-vous du mardi 24 novembre 2026"
    ]
    assert comms.subjects("marie.bureau@example.org") == [CONFIRMED]


async def test_staff_booking_confirms_at_once_to_the_files_contacts(comms):
    await comms.staff_book(local(THURSDAY, time(10)))
    await comms.deliver()
    assert comms.subjects() == [CONFIRMED]
    assert (
        len(comms.texts()) == 1
        and "Nous confirmons votre rendez-vous sur place" in comms.texts()[0]
    )
    # Jean's file has an email only: no text message is attempted for him.
    await comms.staff_book(local(THURSDAY, time(11)), patient="jean")
    await comms.deliver()
    assert comms.subjects(JEAN_EMAIL) == [CONFIRMED] and len(comms.sms.sent) == 1


async def test_the_reminders_go_3_days_and_1_day_before_the_first_asking_to_confirm(comms):
    await set_site(
        comms.sites["centre-ville"], questionnaire_url="https://forms.example.org/previsite"
    )
    appointment = await comms.staff_book(local(THURSDAY, time(8, 30)))
    await comms.deliver()
    assert await comms.at(local(MONDAY, time(8, 29))) == 0
    await comms.at(local(MONDAY, time(8, 30)))  # exactly 3 days before

    reminder = comms.emails()[-1]
    assert reminder["Subject"] == "Rappel : votre rendez-vous du jeudi 26 novembre 2026"
    text = body(reminder)
    assert "Un rappel de votre rendez-vous sur place. Veuillez confirmer votre présence." in text
    assert "Confirmez votre présence ou modifiez votre rendez-vous :" in text
    link = text.split("Confirmez votre présence ou modifiez votre rendez-vous :\n")[1].split("\n")[
        0
    ]
    assert link.startswith("http://demo.localhost:8000/a/")
    assert "https://forms.example.org/previsite" in text
    assert "https://forms.example.org/previsite" in body(reminder, "html")
    assert "Confirmer ma présence" in body(reminder, "html")
    assert reminder.get_body(preferencelist=("calendar",)) is None and not list(
        reminder.iter_attachments()
    )
    assert link in comms.texts()[-1]
    # Once: a later pass of the worker sends nothing more until the day before.
    assert await comms.at(local(WEDNESDAY, time(8, 29))) == 0
    assert len(comms.emails()) == 2 and len(comms.texts()) == 2

    # 1 day before: a plain reminder, which asks nothing.
    await comms.at(local(WEDNESDAY, time(8, 30)))
    notice = comms.emails()[-1]
    assert notice["Subject"] == "Rappel : votre rendez-vous du jeudi 26 novembre 2026"
    assert "Un rappel de votre rendez-vous sur place." in body(notice)
    assert "Veuillez confirmer" not in body(notice) and "Confirmer ma présence" not in body(
        notice, "html"
    )
    assert "Voir ou modifier votre rendez-vous :" in body(notice)
    assert "https://forms.example.org/previsite" in body(notice)
    assert "Veuillez confirmer" not in comms.texts()[-1] and link in comms.texts()[-1]
    assert await comms.at(local(THURSDAY, time(8))) == 0
    sent = [(m["kind"], m["channel"]) for m in await outbox(appointment, status="sent")]
    assert sent == [
        ("confirmation", "email"),
        ("confirmation", "sms"),
        ("reminder", "email"),
        ("reminder", "sms"),
        ("reminder_notice", "email"),
        ("reminder_notice", "sms"),
    ]


async def test_no_questionnaire_for_visits_that_are_not_on_site(comms):
    await set_site(
        comms.sites["centre-ville"], questionnaire_url="https://forms.example.org/previsite"
    )
    by_phone = await comms.activity("Suivi téléphonique", type_fr="Téléphone")
    await comms.staff_book(local(THURSDAY, time(8, 30)), activity=by_phone)
    await comms.deliver()
    await comms.at(local(TUESDAY, time(20, 30)))
    reminder = comms.emails()[-1]
    assert "Un rappel de votre rendez-vous téléphonique." in body(reminder)
    assert "previsite" not in body(reminder) and "previsite" not in body(reminder, "html")


async def test_the_teleconsultation_invitation_goes_15_minutes_before_by_email_and_sms(comms):
    # Even a clinic that writes only emails sends the invitation by text message too.
    await set_clinic(comms.clinic, notify_by_sms=False)
    video = await comms.activity("Téléconsultation", type_fr="Télémédecine")
    await comms.staff_book(local(THURSDAY, time(15)), activity=video)
    await comms.deliver()
    assert comms.subjects() == [CONFIRMED] and comms.texts() == []
    await comms.at(local(WEDNESDAY, time(15)))  # the reminders: email only, as the clinic chose
    assert len(comms.emails()) == 3 and comms.texts() == []

    assert await comms.at(local(THURSDAY, time(14, 44))) == 0
    await comms.at(local(THURSDAY, time(14, 45)))
    assert comms.subjects()[-1] == "Votre téléconsultation commence bientôt"
    assert "Rejoindre la salle d'attente :" in body(comms.emails()[-1])
    assert len(comms.texts()) == 1
    assert "C'est bientôt l'heure de votre rendez-vous en télémédecine" in comms.texts()[0]
    assert "http://demo.localhost:8000/a/" in comms.texts()[0]


async def test_a_moved_teleconsultation_invites_15_minutes_before_its_new_time(comms):
    video = await comms.activity("Téléconsultation", type_fr="Télémédecine")
    appointment = await comms.staff_book(local(THURSDAY, time(15)), activity=video)
    await comms.deliver()
    await comms.move(appointment, local(FRIDAY, time(10)))
    await comms.deliver()
    await comms.at(local(THURSDAY, time(14, 45)))
    assert "Votre téléconsultation commence bientôt" not in comms.subjects()
    assert await comms.at(local(FRIDAY, time(9, 44))) == 0
    await comms.at(local(FRIDAY, time(9, 45)))
    assert comms.subjects().count("Votre téléconsultation commence bientôt") == 1
    invitations = await outbox(appointment, kind="teleconsult_invitation")
    assert sorted(m["status"] for m in invitations) == ["dropped", "dropped", "sent", "sent"]


async def test_booked_less_than_a_day_ahead_there_is_no_reminder(comms):
    appointment = await comms.staff_book(local(MONDAY, time(16)))  # 9 h away
    await comms.deliver()
    for moment in (local(MONDAY, time(8)), local(MONDAY, time(15, 59)), local(MONDAY, time(17))):
        await comms.at(moment)
    assert comms.subjects() == [CONFIRMED] and len(comms.texts()) == 1
    assert {m["kind"] for m in await outbox(appointment)} == {"confirmation"}


async def test_booked_two_days_ahead_the_day_before_reminder_asks_to_confirm(comms):
    # 27 h away: 3 days before has passed, so the reminder 1 day before asks instead.
    appointment = await comms.staff_book(local(TUESDAY, time(10)))
    await comms.deliver()
    assert await comms.at(local(MONDAY, time(9, 59))) == 0
    await comms.at(local(MONDAY, time(10)))
    assert "Veuillez confirmer votre présence" in body(comms.emails()[-1])
    assert "Veuillez confirmer votre présence" in comms.texts()[-1]
    assert {(m["kind"], m["status"]) for m in await outbox(appointment)} == {
        ("confirmation", "sent"),
        ("reminder", "sent"),
    }


async def test_nothing_is_sent_once_the_appointment_has_started(comms):
    # The workers were down from the booking until after the appointment.
    video = await comms.activity("Téléconsultation", type_fr="Télémédecine")
    appointment = await comms.staff_book(local(THURSDAY, time(8, 30)), activity=video)
    await comms.at(local(THURSDAY, time(8, 31)))
    assert comms.smtp.received == [] and comms.sms.sent == []
    rows = await outbox(appointment)
    assert {m["status"] for m in rows} == {"dropped"}
    assert {m["last_error"] for m in rows} == {"appointment already started"}


async def test_a_move_sends_a_notice_each_time_and_the_reminder_follows_the_new_time(comms):
    appointment = await comms.staff_book(local(THURSDAY, time(8, 30)))
    await comms.deliver()
    await comms.move(appointment, local(FRIDAY, time(8, 30)))
    await comms.move(appointment, local(MONDAY_AFTER, time(8, 30)))  # at once, the same minute
    await comms.deliver()
    assert comms.subjects() == [CONFIRMED, CHANGED, CHANGED]
    assert "lundi 30 novembre 2026" in body(comms.emails()[-1])
    assert len(comms.texts()) == 3

    # Neither Thursday's nor Friday's reminders go out; Monday's do, on Friday and Sunday.
    for day in (TUESDAY, WEDNESDAY, THURSDAY, date(2026, 11, 28)):
        await comms.at(local(day, time(20, 30)))
    assert reminders(comms.subjects()) == ["Rappel : votre rendez-vous du lundi 30 novembre 2026"]
    await comms.at(local(date(2026, 11, 29), time(8, 30)))
    assert (
        reminders(comms.subjects()) == ["Rappel : votre rendez-vous du lundi 30 novembre 2026"] * 2
    )
    assert len(comms.texts()) == 5
    dropped = [
        m
        for m in await outbox(appointment)
        if m["kind"] in ("reminder", "reminder_notice") and m["status"] == "dropped"
    ]
    # Thursday's two and Friday's two, by email and SMS.
    assert len(dropped) == 8 and {m["last_error"] for m in dropped} == {"re-planned"}


async def test_moved_away_and_back_the_reminder_still_goes(comms):
    appointment = await comms.staff_book(local(THURSDAY, time(8, 30)))
    clock.advance(timedelta(minutes=5))
    await comms.move(appointment, local(FRIDAY, time(8, 30)))
    clock.advance(timedelta(minutes=5))
    await comms.move(appointment, local(THURSDAY, time(8, 30)))  # back to the first slot
    await comms.deliver()
    assert sorted(comms.subjects()) == [CHANGED, CHANGED, CONFIRMED]
    await comms.at(local(TUESDAY, time(20, 30)))
    assert reminders(comms.subjects()) == ["Rappel : votre rendez-vous du jeudi 26 novembre 2026"]
    assert len(await outbox(appointment, kind="reminder", status="pending")) == 0
    await comms.at(local(WEDNESDAY, time(8, 30)))
    assert len(reminders(comms.subjects())) == 2
    assert len(await outbox(appointment, kind="reminder_notice", status="pending")) == 0


async def test_a_cancelled_appointment_gets_its_notice_and_no_reminder(comms):
    appointment = await comms.staff_book(local(THURSDAY, time(8, 30)))
    await comms.deliver()
    await comms.cancel(appointment)
    await comms.deliver()
    assert comms.subjects() == [CONFIRMED, CANCELLED]
    notice = body(comms.emails()[-1])
    assert (
        "Nous avons annulé votre rendez-vous sur place." in notice
        and "jeudi 26 novembre 2026" in notice
    )
    assert "/a/" not in notice  # the details link is dead: nothing to see or confirm
    assert not list(comms.emails()[-1].iter_attachments())
    assert "Nous avons annulé" in comms.texts()[-1]

    await comms.at(local(TUESDAY, time(20, 30)))
    await comms.at(local(THURSDAY, time(8)))
    assert comms.subjects() == [CONFIRMED, CANCELLED] and len(comms.texts()) == 2
    assert {m["status"] for m in await outbox(appointment, kind="reminder")} == {"dropped"}
    assert {m["status"] for m in await outbox(appointment, kind="reminder_notice")} == {"dropped"}


async def test_a_worker_holding_a_reminder_when_the_appointment_is_cancelled_drops_it(comms):
    appointment = await comms.staff_book(local(THURSDAY, time(8, 30)))
    await comms.deliver()
    clock.freeze(local(MONDAY, time(8, 30)))
    claimed = await comms.dispatcher.claim()  # the reminder is in a worker's hands…
    assert len(claimed) == 2
    await comms.cancel(appointment)  # …when reception cancels
    for message_id in claimed:
        await comms.dispatcher.deliver(message_id)
    await comms.deliver()
    assert comms.subjects() == [CONFIRMED, CANCELLED]
    assert {m["status"] for m in await outbox(appointment, kind="reminder")} == {"dropped"}


async def test_the_dispatcher_itself_drops_reminders_of_appointments_changed_behind_its_back(comms):
    # Changes made without re-planning (a fix by hand in the database, say) leave
    # pending reminders; each is checked against the appointment before it goes.
    cancelled = await comms.staff_book(local(THURSDAY, time(8, 30)))
    moved = await comms.staff_book(local(THURSDAY, time(9, 30)), patient="jean")
    await comms.deliver()
    await Appointment.update({Appointment.status: "cancelled"}).where(Appointment.id == cancelled)
    later = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
    await Appointment.update(
        {Appointment.starts_at: later, Appointment.ends_at: later + timedelta(minutes=30)}
    ).where(Appointment.id == moved)
    await comms.at(local(WEDNESDAY, time(12)))
    assert reminders(comms.subjects()) == [] and reminders(comms.subjects(JEAN_EMAIL)) == []
    assert {m["last_error"] for m in await outbox(cancelled, kind="reminder")} == {
        "appointment cancelled"
    }
    assert {m["last_error"] for m in await outbox(moved, kind="reminder")} == {"appointment moved"}


async def test_a_worker_holding_a_reminder_when_the_appointment_moves_sends_the_new_one_only(comms):
    appointment = await comms.staff_book(local(THURSDAY, time(8, 30)))
    await comms.deliver()
    clock.freeze(local(MONDAY, time(8, 30)))
    claimed = await comms.dispatcher.claim()
    await comms.move(appointment, local(FRIDAY, time(8, 30)))
    for message_id in claimed:
        await comms.dispatcher.deliver(message_id)
    await comms.deliver()
    assert reminders(comms.subjects()) == []
    await comms.at(local(TUESDAY, time(8, 30)))
    assert reminders(comms.subjects()) == [
        "Rappel : votre rendez-vous du vendredi 27 novembre 2026"
    ]


async def test_reminders_due_at_night_wait_for_the_morning(comms):
    # A clinic with one reminder 36 h before (today's single reminder, as a schedule).
    await set_schedule(comms.clinic, "36h:confirm")
    # 11:00 Thursday: 36 h before is 23:00 on Tuesday, inside 21:00–08:00.
    await comms.staff_book(local(THURSDAY, time(11)))
    await comms.deliver()
    for moment in (
        local(TUESDAY, time(23)),
        local(WEDNESDAY, time(3)),
        local(WEDNESDAY, time(7, 59)),
    ):
        assert await comms.at(moment) == 0
    await comms.at(local(WEDNESDAY, time(8)))
    assert len(reminders(comms.subjects())) == 1 and len(comms.texts()) == 2


async def test_quiet_hours_are_the_clinics_own(comms):
    await set_clinic(comms.clinic, quiet_hours_start=time(20), quiet_hours_end=time(9, 30))
    await set_schedule(comms.clinic, "36h:confirm")
    await comms.staff_book(local(THURSDAY, time(8, 30)))  # 36 h before: 20:30 Tuesday
    await comms.deliver()
    assert await comms.at(local(TUESDAY, time(20, 30))) == 0
    assert await comms.at(local(WEDNESDAY, time(9, 29))) == 0
    await comms.at(local(WEDNESDAY, time(9, 30)))
    assert len(reminders(comms.subjects())) == 1


async def test_the_week_clocks_go_back_reminders_keep_local_time(comms):
    # Clocks go back at 02:00 on Sunday 1 November 2026 in Montreal (EDT → EST).
    await set_schedule(comms.clinic, "36h:confirm")  # hours are elapsed hours
    clock.freeze(datetime(2026, 10, 29, 16, 0, tzinfo=UTC))  # Thursday, noon EDT
    appointment = await comms.staff_book(local(date(2026, 11, 2), time(9)))  # Monday, 09:00 EST
    await comms.deliver()
    ics = next(comms.emails()[0].iter_attachments()).get_content()
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(
        2026, 11, 2, 9, tzinfo=event.decoded("dtstart").tzinfo
    )
    assert str(event.decoded("dtstart").tzinfo) == "America/Montreal"
    assert "DTSTART;TZID=America/Montreal:20261102T090000" in (
        ics.decode() if isinstance(ics, bytes) else ics
    )

    # 36 h before is 22:00 on Saturday (EDT), in the quiet hours; the reminder waits
    # for 08:00 on Sunday, which is EST by then: 13:00 UTC, not 12:00.
    assert await comms.at(datetime(2026, 11, 1, 12, 59, tzinfo=UTC)) == 0
    await comms.at(datetime(2026, 11, 1, 13, 0, tzinfo=UTC))
    reminder = comms.emails()[-1]
    assert reminder["Subject"] == "Rappel : votre rendez-vous du lundi 2 novembre 2026"
    assert "Heure : 09:00" in body(reminder)
    sent = (await outbox(appointment, kind="reminder", channel="email"))[0]
    assert sent["sent_at"] == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    assert (
        await Appointment.select(Appointment.starts_at).where(Appointment.id == appointment).first()
    )["starts_at"] == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def links_in(text: str) -> list[str]:
    return re.findall(r"http://demo\.localhost:8000/a/\S+", text)


async def test_a_built_in_teleconsultation_leads_to_its_waiting_room_in_every_message(comms):
    video = await comms.activity("Téléconsultation", type_fr="Télémédecine")
    appointment = await comms.staff_book(local(THURSDAY, time(15)), activity=video)
    await comms.deliver()
    ends = (await Appointment.select(Appointment.ends_at).where(Appointment.id == appointment))[0]
    details = "http://demo.localhost:8000" + details_path(
        make_token(comms.settings.secret_key, appointment, ends["ends_at"])
    )
    room = details + "/room"
    # The confirmation: the details page, and the waiting room for the day.
    confirmation = body(comms.emails()[-1])
    assert "Le jour venu, rejoignez la salle d'attente :\n" + room in confirmation
    assert links_in(confirmation) == [details, room]
    assert f'href="{room}"' in body(comms.emails()[-1], "html")
    assert links_in(comms.texts()[-1]) == [room]  # one link in a text: the room's
    # The reminder asking to confirm, 3 days before (Monday 15:00).
    await comms.at(local(MONDAY, time(15)))
    reminder = body(comms.emails()[-1])
    assert "Veuillez confirmer votre présence" in reminder and room in reminder
    assert links_in(comms.texts()[-1]) == [room]
    # The day-before reminder on its own (one batch has no order), then
    # the invitation, 15 minutes before, by email and SMS: the room first.
    await comms.at(local(WEDNESDAY, time(16)))
    await comms.at(local(THURSDAY, time(14, 45)))
    invitation = comms.emails()[-1]
    assert invitation["Subject"] == "Votre téléconsultation commence bientôt"
    assert "Rejoindre la salle d'attente :\n" + room + "\n" in body(invitation)
    assert f'href="{room}"' in body(invitation, "html")
    assert links_in(comms.texts()[-1]) == [room]
    # A cancellation leads nowhere.
    await comms.cancel(appointment)
    await comms.deliver()
    assert links_in(body(comms.emails()[-1])) == [] and links_in(comms.texts()[-1]) == []


async def test_the_invitation_is_in_the_patients_language(comms):
    video = await comms.activity("Téléconsultation", type_fr="Télémédecine")
    await comms.staff_book(local(THURSDAY, time(15)), activity=video, language="en")
    await comms.deliver()
    await comms.at(local(WEDNESDAY, time(16)))  # the day-before reminder first, on its own
    await comms.at(local(THURSDAY, time(14, 45)))
    invitation = comms.emails()[-1]
    assert invitation["Subject"] == "Your teleconsultation starts soon"
    assert "Join the waiting room:\nhttp://demo.localhost:8000/a/" in body(invitation)
    assert "It is almost time for your telemedicine appointment" in comms.texts()[-1]


async def test_a_teleconsultation_on_another_platform_has_no_waiting_room_link(comms):
    elsewhere = await comms.activity(
        "Téléconsultation ailleurs",
        type_fr="Vidéo ailleurs",
        telemedicine=True,
        video_platform="link",
    )
    await comms.staff_book(local(THURSDAY, time(15)), activity=elsewhere)
    await comms.deliver()
    await comms.at(local(THURSDAY, time(14, 45)))
    assert "Votre téléconsultation commence bientôt" in comms.subjects()
    for text in [body(m) for m in comms.emails()] + comms.texts():
        assert "/room" not in text


async def test_no_invitation_after_the_start_nor_for_a_type_without_communication(comms):
    video = await comms.activity("Téléconsultation", type_fr="Télémédecine")
    appointment = await comms.staff_book(local(THURSDAY, time(15)), activity=video)
    await comms.deliver()
    # The worker was down from before the invitation until after the start: it is dropped.
    await comms.at(local(THURSDAY, time(15, 1)))
    assert "Votre téléconsultation commence bientôt" not in comms.subjects()
    dropped = await outbox(appointment, kind="teleconsult_invitation")
    assert [m["status"] for m in dropped] == ["dropped", "dropped"]
    assert {m["last_error"] for m in dropped} == {"appointment already started"}

    quiet = await comms.activity(
        "Téléconsultation discrète",
        type_fr="Télémédecine discrète",
        telemedicine=True,
        video_platform="builtin",
        no_automated_communication=True,
    )
    silent = await comms.staff_book(local(FRIDAY, time(15)), activity=quiet)
    assert await outbox(silent) == []


async def test_a_brief_message_carries_no_waiting_room_link_either(comms):
    """A contact the file does not vouch for gets no link at all (app.messaging.content)."""
    from app.booking.views import appointment_views
    from app.messaging.content import render
    from app.templating import make_environment
    from tenants.tables import Clinic

    video = await comms.activity("Téléconsultation", type_fr="Télémédecine")
    appointment = await comms.staff_book(local(THURSDAY, time(15)), activity=video)
    view = (await appointment_views(clinic_id=comms.clinic, appointment_ids=[appointment]))[
        appointment
    ]
    clinic = await Clinic.select().where(Clinic.id == comms.clinic).first()
    for kind in ("confirmation", "teleconsult_invitation"):
        rendered = render(
            make_environment(),
            kind=kind,
            view=view,
            clinic=clinic,
            language="fr",
            details_url="http://demo.localhost:8000/a/t",
            room_url="http://demo.localhost:8000/a/t/room",
            now=clock.now(),
            brief=True,
        )
        for part in (rendered.text, rendered.html, rendered.sms):
            assert "/a/" not in part
