"""The audit log's JSON: any frozen snapshot, generically, and always the same text for
the same facts (the hash chain depends on it)."""

from datetime import UTC, date, datetime, timedelta, timezone

from app.audit.chain import row_hash
from app.audit.serialise import canonical, plain
from app.booking.events import AppointmentSnapshot
from app.booking.tables import AppointmentStatus
from app.scheduling.events import ScheduleSnapshot


def test_a_snapshot_becomes_plain_json_with_dates_enums_and_tuples():
    montreal = timezone(timedelta(hours=-5))
    snapshot = AppointmentSnapshot(
        status=AppointmentStatus.ARRIVED,
        slot_id=7,
        starts_at=datetime(2026, 12, 7, 9, 0, tzinfo=montreal),
        ends_at=datetime(2026, 12, 7, 9, 15, tzinfo=montreal),
        practitioner_id=1,
        site_id=2,
        activity_id=3,
        appointment_type_id=None,
        patient_id=4,
        source="staff",
    )
    value = plain(snapshot)
    assert value["status"] == "arrived"
    assert value["starts_at"] == "2026-12-07T14:00:00+00:00"  # in UTC, whatever the zone
    assert value["appointment_type_id"] is None
    template = ScheduleSnapshot(None, None, date(2026, 12, 7), None, "template", blocks=("a", "b"))
    assert plain(template)["blocks"] == ["a", "b"]
    assert plain(template)["first_day"] == "2026-12-07"


def test_the_same_facts_give_the_same_text_and_hash():
    assert canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
    row = {
        "clinic": 1,
        "seq": 1,
        "at": datetime(2026, 12, 7, 14, 0, tzinfo=UTC),
        "actor_kind": "staff",
        "actor_account": 3,
        "actor_label": "Admin",
        "action": "setting.changed",
        "entity_kind": "setting",
        "entity_id": "phone",
        "patient_id": None,
        "appointment_id": None,
        "before": '{"phone":"1"}',
        "after": '{"phone":"2"}',
        "client": "203.0.113.7",
        "prev_hash": "",
    }
    same_instant = {**row, "at": datetime(2026, 12, 7, 9, 0, tzinfo=timezone(timedelta(hours=-5)))}
    assert row_hash(row) == row_hash(same_instant)
    assert row_hash(row) != row_hash({**row, "after": '{"phone":"3"}'})
    assert row_hash(row) != row_hash({**row, "prev_hash": "0" * 64})
