"""What a change tells the open agendas: practitioners, sites and days in the clinic's
time zone, from before and after; nothing for a change no agenda shows."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.booking.events import AppointmentChange, AppointmentChanged, AppointmentSnapshot
from app.booking.tables import AppointmentStatus
from app.events import PATIENT, Actor
from app.live.channels import redis_prefix
from app.live.touch import of_appointment, of_schedule
from app.scheduling.events import ScheduleChange, ScheduleChanged, ScheduleSnapshot

MONTREAL = ZoneInfo("America/Montreal")


def snapshot(starts_at: datetime, practitioner: int, site: int) -> AppointmentSnapshot:
    return AppointmentSnapshot(
        status=AppointmentStatus.BOOKED,
        slot_id=1,
        starts_at=starts_at,
        ends_at=starts_at.replace(minute=30),
        practitioner_id=practitioner,
        site_id=site,
        activity_id=1,
        appointment_type_id=None,
        patient_id=42,
        source="online",
    )


def test_an_evening_appointment_is_on_its_day_in_the_clinics_time_zone():
    # 01:00 UTC on Wednesday is 20:00 on Tuesday in Montreal.
    event = AppointmentChanged(
        1,
        7,
        PATIENT,
        AppointmentChange.CREATED,
        None,
        snapshot(datetime(2026, 12, 9, 1, tzinfo=UTC), 3, 1),
    )
    assert of_appointment(event, MONTREAL).as_event() == {
        "practitioners": [3],
        "sites": [1],
        "days": ["2026-12-08"],
    }


def test_a_move_touches_the_day_practitioner_and_site_it_left_and_the_ones_it_reached():
    before = snapshot(datetime(2026, 12, 8, 15, tzinfo=UTC), 3, 1)
    after = snapshot(datetime(2026, 12, 10, 15, tzinfo=UTC), 4, 2)
    event = AppointmentChanged(1, 7, PATIENT, AppointmentChange.MOVED, before, after)
    data = of_appointment(event, MONTREAL).as_event()
    assert data == {"practitioners": [3, 4], "sites": [1, 2], "days": ["2026-12-08", "2026-12-10"]}
    assert "42" not in str(data)  # the patient is nowhere in it


def test_an_opening_touches_each_day_of_its_range_and_a_template_nothing():
    opened = ScheduleChanged(
        1,
        Actor.system("test"),
        ScheduleChange.OPENED,
        5,
        None,
        ScheduleSnapshot(3, 1, date(2026, 12, 7), date(2026, 12, 9), "recurrence"),
    )
    assert of_schedule(opened).as_event()["days"] == ["2026-12-07", "2026-12-08", "2026-12-09"]
    template = ScheduleChanged(
        1,
        Actor.system("test"),
        ScheduleChange.TEMPLATE_SAVED,
        5,
        None,
        ScheduleSnapshot(None, None, None, None, "template", name="Semaine"),
    )
    assert of_schedule(template) is None


def test_redis_channels_are_kept_apart_per_database():
    assert redis_prefix("redis://127.0.0.1:6379/6") == "db6:"
    assert redis_prefix("redis://127.0.0.1:6379") == "db0:"
