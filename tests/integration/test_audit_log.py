"""The audit log: every kind of change leaves one row, with who, before and after, written
in the change's own transaction; rows cannot be rewritten; `audit verify` passes on a
clean chain and names the first row of a broken one; concurrent writers keep one chain."""

from __future__ import annotations

import asyncio
from datetime import date, time, timedelta

import pytest

from app.audit.chain import verify
from app.audit.tables import AuditEntry
from app.booking.tables import AppointmentStatus
from app.db import is_postgres, write_transaction
from app.events import Actor
from app.listeners import make_bus
from app.patients.events import PatientChange, PatientChanged, PatientSnapshot
from app.staff.events import AccountChange, AccountChanged, AccountSnapshot
from app.staff.tables import StaffAccount
from tenants.events import SettingChanged
from tests.integration.audit_helpers import audit_verify, entries, tamper
from tests.integration.demo_lookup import clinic_id, patient_id
from tests.integration.engine_fixtures import STAFF, TUESDAY, open_slots
from tests.integration.portal_helpers import book_marie_follow_up, open_follow_ups
from tests.integration.staff_helpers import csrf, sign_in
from tests.moments import freeze


async def staff_actor(email: str = "admin@demo.localhost") -> Actor:
    account = await StaffAccount.select().where(StaffAccount.email == email).first()
    return Actor.staff(account["id"], account["name"]).at("203.0.113.7")


# -- each kind of change leaves its row -------------------------------------------------------


async def test_a_portal_booking_is_recorded_as_the_patient_with_the_appointment(demo):
    freeze()
    await open_follow_ups(days=1)
    await book_marie_follow_up(demo)
    demo_id = await clinic_id("demo")
    [row] = await entries(demo_id, "appointment.created")
    assert row["actor_kind"] == "patient" and row["actor_account"] is None
    assert row["appointment_id"] and row["entity_id"] == str(row["appointment_id"])
    assert row["patient_id"] == await patient_id(demo_id, "Tremblay")
    assert row["before"] is None
    assert row["after"]["status"] == "booked" and row["after"]["source"] == "online"
    assert row["client"]  # the address the booking came from


async def test_staff_cancel_move_and_status_leave_rows_with_before_and_after(world):
    demo = world.demo
    slots = await open_slots(demo, who="roy", site="centre-ville", activity="urgent")
    actor = await staff_actor()
    booking = demo.booking()
    booked = await booking.staff_book(slot_id=slots[0], details=STAFF, actor=actor)
    appointment = booked.appointment_id
    await booking.move(appointment_id=appointment, new_slot_id=slots[1], actor=actor)
    await booking.set_status(
        appointment_id=appointment,
        status=AppointmentStatus.ARRIVED,
        from_statuses=(AppointmentStatus.BOOKED,),
        actor=actor,
    )
    await booking.cancel(appointment_id=appointment, actor=actor)

    rows = [r for r in await entries(demo.id) if r["entity_kind"] == "appointment"]
    assert [r["action"] for r in rows] == [
        "appointment.created",
        "appointment.moved",
        "appointment.status",
        "appointment.cancelled",
    ]
    for row in rows:
        assert (row["actor_kind"], row["actor_account"]) == ("staff", actor.account_id)
        assert row["actor_label"] == actor.label and row["client"] == "203.0.113.7"
        assert row["appointment_id"] == appointment
    created, moved, status, cancelled = rows
    assert (moved["before"]["slot_id"], moved["after"]["slot_id"]) == (slots[0], slots[1])
    assert moved["before"]["starts_at"] != moved["after"]["starts_at"]
    assert (status["before"]["status"], status["after"]["status"]) == ("booked", "arrived")
    assert (cancelled["before"]["status"], cancelled["after"]["status"]) == (
        "arrived",
        "cancelled",
    )


async def test_opening_a_schedule_is_recorded(world):
    demo = world.demo
    slots = await open_slots(demo, who="roy", site="centre-ville", activity="urgent")
    [row] = await entries(demo.id, "schedule.opened")
    assert row["entity_kind"] == "schedule"
    assert (row["actor_kind"], row["actor_label"]) == ("system", "reception")
    assert row["before"] is None
    assert row["after"]["slot_count"] == len(slots) == 4
    assert row["after"]["first_day"] == TUESDAY.isoformat()
    assert row["after"]["practitioner_id"] == demo.practitioners["roy"]


async def test_sign_in_and_failed_sign_in_are_recorded(demo):
    demo_id = await clinic_id("demo")
    failed = await sign_in(demo, "admin@demo.localhost", password="wrong-password")
    assert failed.status_code == 422
    unknown = await sign_in(demo, "nobody@demo.localhost", password="wrong-password")
    assert unknown.status_code == 422
    ok = await sign_in(demo, "admin@demo.localhost")
    assert ok.status_code == 303
    rows = [r for r in await entries(demo_id) if r["action"].startswith("sign_in.")]
    assert [r["action"] for r in rows] == ["sign_in.failed", "sign_in.failed", "sign_in.signed_in"]
    wrong, nobody, signed = rows
    admin = await StaffAccount.select().where(StaffAccount.email == "admin@demo.localhost").first()
    assert wrong["actor_kind"] == "system" and wrong["entity_id"] == str(admin["id"])
    assert wrong["after"] == {
        "email": "admin@demo.localhost",
        "method": "password",
        "outcome": "failed",
    }
    assert nobody["entity_id"] == "" and nobody["after"]["email"] == "nobody@demo.localhost"
    assert (signed["actor_kind"], signed["actor_account"]) == ("staff", admin["id"])
    assert all(r["client"] for r in rows)
    # Signing out is recorded too.
    page = await demo.get("/staff/")
    await demo.post("/staff/sign-out", data={"_csrf_token": csrf(page.text)})
    assert (await entries(demo_id))[-1]["action"] == "sign_in.signed_out"


async def test_patient_setting_and_account_events_are_recorded(demo_id):
    bus, actor = make_bus(), await staff_actor()
    marie = await patient_id(demo_id, "Tremblay")
    before = PatientSnapshot("Marie", "Tremblay", date(1985, 4, 12), "F", None, None, ("email:a",))
    after = PatientSnapshot("Marie", "Tremblay-Roy", date(1985, 4, 12), "F", None, "F-12", ())
    account = AccountSnapshot("a@demo.localhost", "A", "secretary", None, True, False, None, None)
    async with write_transaction():
        await bus.emit(PatientChanged(demo_id, marie, actor, PatientChange.UPDATED, before, after))
        await bus.emit(SettingChanged(demo_id, actor, "require_two_factor", "off", "on"))
        await bus.emit(
            AccountChanged(
                demo_id,
                actor.account_id,
                actor,
                AccountChange.TWO_FACTOR,
                account,
                AccountSnapshot(**{**account.__dict__, "two_factor": True}),
            )
        )
    patient, setting, two_factor = await entries(demo_id)
    assert (patient["action"], patient["patient_id"]) == ("patient.updated", marie)
    assert patient["before"]["last_name"] == "Tremblay"
    assert patient["after"]["last_name"] == "Tremblay-Roy"
    assert patient["before"]["birth_date"] == "1985-04-12"
    assert patient["before"]["contacts"] == ["email:a"] and patient["after"]["contacts"] == []
    assert (setting["entity_kind"], setting["entity_id"]) == ("setting", "require_two_factor")
    assert (setting["before"], setting["after"]) == (
        {"require_two_factor": "off"},
        {"require_two_factor": "on"},
    )
    assert two_factor["action"] == "account.two_factor"
    assert (two_factor["before"]["two_factor"], two_factor["after"]["two_factor"]) == (False, True)
    assert (await verify(demo_id)).ok


async def test_a_change_that_rolls_back_leaves_no_row(demo_id):
    bus, actor = make_bus(), await staff_actor()
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await bus.emit(SettingChanged(demo_id, actor, "phone", "1", "2"))
            raise RuntimeError("the change failed after its event")
    assert await entries(demo_id) == []


async def test_a_refused_booking_leaves_no_row(world):
    demo = world.demo
    [slot, *_] = await open_slots(demo, who="roy", site="centre-ville", activity="urgent")
    actor = await staff_actor()
    await demo.booking().staff_book(slot_id=slot, details=STAFF, actor=actor)
    again = await demo.booking().staff_book(slot_id=slot, details=STAFF, actor=actor)
    assert not again.ok
    assert len(await entries(demo.id, "appointment.created")) == 1


# -- insert only -----------------------------------------------------------------------------


async def test_the_database_refuses_to_update_or_delete_a_row(demo_id):
    async with write_transaction():
        await make_bus().emit(SettingChanged(demo_id, await staff_actor(), "phone", "1", "2"))
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.update({AuditEntry.after: '{"phone":"3"}'}, force=True)
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.delete(force=True)
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.raw("DELETE FROM audit_entry WHERE clinic = {}", demo_id)
    [row] = await entries(demo_id)
    assert row["after"] == {"phone": "2"}


# -- the chain ---------------------------------------------------------------------------------


async def _five_rows(clinic: int) -> list[dict]:
    bus, actor = make_bus(), await staff_actor()
    for n in range(5):
        async with write_transaction():
            await bus.emit(SettingChanged(clinic, actor, "phone", str(n), str(n + 1)))
    return await entries(clinic)


async def test_audit_verify_passes_on_a_clean_chain(demo_id):
    rows = await _five_rows(demo_id)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["prev_hash"] == "" and rows[1]["prev_hash"] == rows[0]["hash"]
    code, output = audit_verify()
    assert code == 0, output
    assert "demo: OK, 5 rows" in output and "autre: OK, 0 rows" in output


async def test_audit_verify_detects_an_edited_row(demo_id):
    rows = await _five_rows(demo_id)
    await tamper(
        "UPDATE audit_entry SET after = {} WHERE id = {}", '{"phone":"999"}', rows[2]["id"]
    )
    code, output = audit_verify()
    assert code == 1
    assert f"demo: BROKEN at row {rows[2]['id']} (position 3" in output
    assert "was edited" in output
    assert "autre: OK" in output  # another clinic's chain is not affected


async def test_audit_verify_detects_a_deleted_row(demo_id):
    rows = await _five_rows(demo_id)
    await tamper("DELETE FROM audit_entry WHERE id = {}", rows[1]["id"])
    code, output = audit_verify()
    assert code == 1
    assert f"demo: BROKEN at row {rows[2]['id']} (position 3" in output
    assert "a row is missing" in output


async def test_audit_verify_detects_reordered_rows(demo_id):
    rows = await _five_rows(demo_id)
    # Swap positions 2 and 4 (through a free position so the unique index allows it).
    a, b = rows[1]["id"], rows[3]["id"]
    await tamper("UPDATE audit_entry SET seq = 1000 WHERE id = {}", a)
    await tamper("UPDATE audit_entry SET seq = 2 WHERE id = {}", b)
    await tamper("UPDATE audit_entry SET seq = 4 WHERE id = {}", a)
    code, output = audit_verify()
    assert code == 1
    assert f"demo: BROKEN at row {b} (position 2" in output
    assert "removed or reordered" in output


async def test_verify_detects_an_edit_of_the_newest_row_too(demo_id):
    rows = await _five_rows(demo_id)
    await tamper("UPDATE audit_entry SET client = {} WHERE id = {}", "10.0.0.1", rows[-1]["id"])
    report = await verify(demo_id)
    assert not report.ok and report.broken.entry_id == rows[-1]["id"] and report.count == 4


async def test_concurrent_bookings_keep_one_linear_chain(world):
    demo = world.demo
    slots = []
    for hour in (8, 10, 12, 14):
        slots += await open_slots(
            demo,
            who="roy",
            site="centre-ville",
            activity="urgent",
            day=TUESDAY + timedelta(days=7),
            start=time(hour),
            end=time(hour + 2),
        )
    actor = await staff_actor()
    outcomes = await asyncio.gather(
        *[
            demo.booking().staff_book(slot_id=slot, details=STAFF, actor=actor)
            for slot in slots  # 32 writers at once
        ]
    )
    assert all(o.ok for o in outcomes)
    rows = await entries(demo.id)
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert len([r for r in rows if r["action"] == "appointment.created"]) == len(slots)
    assert len({r["prev_hash"] for r in rows}) == len(rows)  # no two rows follow the same one
    report = await verify(demo.id)
    assert report.ok and report.count == len(rows), report
    if is_postgres():
        assert len(slots) == 32


async def test_a_lockout_is_recorded_and_every_failure_before_it(demo):
    demo_id = await clinic_id("demo")
    for _ in range(5):
        assert (await sign_in(demo, "admin@demo.localhost", password="nope")).status_code == 422
    locked = await sign_in(demo, "admin@demo.localhost")  # the right password, too late
    assert locked.status_code == 429
    actions = [r["action"] for r in await entries(demo_id)]
    assert actions == ["sign_in.failed"] * 5 + ["sign_in.locked"]
    assert (await verify(demo_id)).ok


async def test_retention_keeps_the_audit_log(demo_id):
    from app import clock, retention

    async with write_transaction():
        await make_bus().emit(SettingChanged(demo_id, await staff_actor(), "phone", "1", "2"))
    clock.advance(timedelta(days=3650))  # ten years on: everything else has expired
    await retention.purge(staff_idle=timedelta(hours=12))
    assert len(await entries(demo_id)) == 1
    assert (await verify(demo_id)).ok


async def test_closings_and_templates_are_recorded_as_emitted(demo_id):
    from app.scheduling.events import ScheduleChange, ScheduleChanged, ScheduleSnapshot

    bus, actor = make_bus(), await staff_actor()
    saved = ScheduleSnapshot(
        None, None, None, None, "template", template_id=9, name="Lundi", blocks=("0 09:00-12:00 3",)
    )
    closed = ScheduleSnapshot(5, 1, date(2026, 12, 7), date(2026, 12, 11), "closing", slot_count=12)
    async with write_transaction():
        await bus.emit(
            ScheduleChanged(demo_id, actor, ScheduleChange.TEMPLATE_SAVED, 9, None, saved)
        )
        await bus.emit(
            ScheduleChanged(demo_id, actor, ScheduleChange.TEMPLATE_DELETED, 9, saved, None)
        )
        await bus.emit(ScheduleChanged(demo_id, actor, ScheduleChange.CLOSED, 31, None, closed))
    template_saved, template_deleted, closing = await entries(demo_id)
    assert (template_saved["entity_kind"], template_saved["entity_id"]) == (
        "schedule_template",
        "9",
    )
    assert template_saved["after"]["blocks"] == ["0 09:00-12:00 3"]
    assert template_deleted["before"]["name"] == "Lundi" and template_deleted["after"] is None
    assert (closing["action"], closing["entity_kind"]) == ("schedule.closed", "schedule")
    assert closing["after"]["slot_count"] == 12 and closing["after"]["last_day"] == "2026-12-11"
