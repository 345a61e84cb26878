"""Holds, bookings, cancellations and moves, alone and racing, on the suite's
database (SQLite in one run, PostgreSQL in the other)."""

import asyncio
import random
from collections import Counter
from datetime import time, timedelta

import pytest

from app import clock
from app.booking.search import Criteria, search
from app.booking.services import BookingDetails
from app.booking.tables import Appointment
from app.scheduling.tables import Slot
from tests.integration.engine_fixtures import (
    NOW,
    PATIENT,
    RECEPTION,
    STAFF,
    consistency_problems,
    open_slots,
)

ONLINE = BookingDetails(source="online", contact_email="patient@example.org", reason="fever")
HOLD = timedelta(minutes=5)


@pytest.fixture
async def slots(world) -> list[int]:
    """Six 15-minute slots of Dre Roy on Tuesday morning, 09:00 to 10:30."""
    return await open_slots(
        world.demo,
        who="roy",
        site="centre-ville",
        activity="urgent",
        start=time(9, 0),
        end=time(10, 30),
    )


@pytest.fixture
def booking(world):
    return world.demo.booking(hold_for=HOLD)


async def snapshot(clinic_id: int) -> tuple[list[dict], list[dict]]:
    return (
        await Slot.select().where(Slot.clinic == clinic_id).order_by(Slot.id),
        await Appointment.select().where(Appointment.clinic == clinic_id).order_by(Appointment.id),
    )


async def slot(slot_id: int) -> dict:
    return await Slot.select().where(Slot.id == slot_id).first()


async def appointment(appointment_id: int) -> dict:
    return await Appointment.select().where(Appointment.id == appointment_id).first()


async def visible(world, token: str | None = None) -> list[int]:
    demo = world.demo
    found = await search(
        clinic_id=demo.id,
        criteria=Criteria(activity_ids=(demo.activities["urgent"],), holder=token),
        limit=50,
    )
    return [r.slot_id for r in found]


# -- races ---------------------------------------------------------------------------------


async def test_one_hundred_patients_reviewing_one_slot_one_wins(booking, slots):
    target = slots[0]
    outcomes = await asyncio.gather(
        *[booking.hold(slot_id=target, token=f"patient-{n}") for n in range(100)]
    )
    codes = Counter(o.code for o in outcomes)
    assert codes == {"held": 1, "no_longer_available": 99}
    winner = next(n for n, o in enumerate(outcomes) if o.code == "held")
    row = await slot(target)
    assert (row["hold_token"], row["hold_until"], row["state"]) == (
        f"patient-{winner}",
        NOW + HOLD,
        "open",
    )
    # And only the winner can turn it into an appointment.
    loser = (winner + 1) % 100
    assert (
        await booking.book(actor=PATIENT, slot_id=target, token=f"patient-{loser}", details=ONLINE)
    ).code == "no_longer_available"
    assert (
        await booking.book(actor=PATIENT, slot_id=target, token=f"patient-{winner}", details=ONLINE)
    ).code == "booked"


async def test_one_hundred_patients_and_staff_racing_to_book_one_slot(booking, slots):
    target = slots[1]

    async def patient(n: int) -> str:
        held = await booking.hold(slot_id=target, token=f"p{n}")
        if not held.ok:
            return held.code
        return (
            await booking.book(actor=PATIENT, slot_id=target, token=f"p{n}", details=ONLINE)
        ).code

    staff = [booking.staff_book(actor=RECEPTION, slot_id=target, details=STAFF) for _ in range(10)]
    results = await asyncio.gather(*[patient(n) for n in range(90)], *staff)
    codes = [r if isinstance(r, str) else r.code for r in results]
    assert codes.count("booked") == 1
    assert set(codes) == {"booked", "no_longer_available"}
    assert await consistency_problems(slots) == []


async def test_concurrent_mixes_keep_one_active_appointment_per_slot(world, booking, slots):
    rng = random.Random(20260601)
    appointments = [
        (await booking.staff_book(actor=RECEPTION, slot_id=s, details=STAFF)).appointment_id
        for s in slots[:3]
    ]

    async def hold_and_book(token: str, slot_id: int):
        if (await booking.hold(slot_id=slot_id, token=token)).ok:
            await booking.book(actor=PATIENT, slot_id=slot_id, token=token, details=ONLINE)

    for round_ in range(4):
        operations = []
        for _ in range(30):
            kind = rng.choice(("staff_book", "cancel", "move", "patient"))
            target = rng.choice(slots)
            if kind == "staff_book":
                operations.append(
                    booking.staff_book(actor=RECEPTION, slot_id=target, details=STAFF)
                )
            elif kind == "cancel":
                operations.append(
                    booking.cancel(actor=RECEPTION, appointment_id=rng.choice(appointments))
                )
            elif kind == "move":
                operations.append(
                    booking.move(
                        actor=RECEPTION, appointment_id=rng.choice(appointments), new_slot_id=target
                    )
                )
            else:
                operations.append(hold_and_book(f"r{round_}-{rng.randrange(5)}", target))
        await asyncio.gather(*operations)
        assert await consistency_problems(slots) == [], f"round {round_}"
        appointments = [
            row["id"]
            for row in await Appointment.select(Appointment.id).where(
                Appointment.clinic == world.demo.id
            )
        ]
        clock.advance(timedelta(minutes=3))  # some holds lapse between rounds


async def test_moves_of_one_appointment_racing_each_other_and_a_cancel(booking, slots):
    for _ in range(5):
        taken = (
            await Slot.select(Slot.id).where(Slot.id.is_in(slots) & (Slot.state == "open")).first()
        )
        appointment_id = (
            await booking.staff_book(actor=RECEPTION, slot_id=taken["id"], details=STAFF)
        ).appointment_id
        others = [s for s in slots if s != taken["id"]]
        outcomes = await asyncio.gather(
            *[
                booking.move(actor=RECEPTION, appointment_id=appointment_id, new_slot_id=s)
                for s in others
            ],
            booking.cancel(actor=RECEPTION, appointment_id=appointment_id),
        )
        assert outcomes[-1].code == "cancelled"
        assert await consistency_problems(slots) == []
        assert await Slot.count().where(Slot.id.is_in(slots) & (Slot.state == "booked")) == 0


async def test_one_patient_racing_for_several_slots_ends_with_one_hold(booking, slots):
    outcomes = await asyncio.gather(
        *[booking.hold(slot_id=s, token="same-patient") for s in slots for _ in range(3)]
    )
    assert any(o.code == "held" for o in outcomes)
    assert await Slot.count().where(Slot.hold_token == "same-patient") == 1


# -- holds ---------------------------------------------------------------------------------


async def test_a_hold_does_not_wait_for_a_transaction_holding_the_slots_row(booking, slots):
    """PostgreSQL: a hold racing another transaction on the slot (another hold, mostly)
    has lost the race. It is refused at once, not once that transaction has ended, which
    under a storm kept a pooled connection from everyone else; and the slot can be held
    once that transaction is over."""
    from app import db

    if not db.is_postgres():
        pytest.skip("SQLite's writers take turns: no row is ever locked by another")
    import asyncpg

    other = await asyncpg.connect(db.engine().config["dsn"])
    try:
        async with other.transaction():
            await other.execute('SELECT 1 FROM "slot" WHERE "id" = $1 FOR UPDATE', slots[0])
            refused = await asyncio.wait_for(booking.hold(slot_id=slots[0], token="bob"), 2)
            assert refused.code == "no_longer_available"
        assert (await booking.hold(slot_id=slots[0], token="bob")).code == "held"
    finally:
        await other.close()


async def test_the_first_to_review_wins_and_others_are_told(world, booking, slots):
    first = await booking.hold(slot_id=slots[0], token="alice")
    assert (first.code, first.hold_until) == ("held", NOW + HOLD)
    assert (await booking.hold(slot_id=slots[0], token="bob")).code == "no_longer_available"
    assert (
        await booking.book(actor=PATIENT, slot_id=slots[0], token="bob", details=ONLINE)
    ).code == "no_longer_available"
    assert slots[0] not in await visible(world, "bob")
    assert slots[0] in await visible(world, "alice")
    booked = await booking.book(actor=PATIENT, slot_id=slots[0], token="alice", details=ONLINE)
    assert booked.code == "booked"
    row = await appointment(booked.appointment_id)
    assert (row["slot"], row["status"], row["source"], row["contact_email"], row["reason"]) == (
        slots[0],
        "booked",
        "online",
        "patient@example.org",
        "fever",
    )
    taken = await slot(slots[0])
    assert (taken["state"], taken["hold_token"], taken["hold_until"]) == ("booked", None, None)
    assert slots[0] not in await visible(world, "alice")


async def test_holding_again_extends_ones_own_hold(booking, slots):
    await booking.hold(slot_id=slots[0], token="alice")
    clock.advance(timedelta(minutes=4))
    again = await booking.hold(slot_id=slots[0], token="alice")
    assert (again.code, again.hold_until) == ("held", NOW + timedelta(minutes=4) + HOLD)


async def test_staff_respect_a_live_hold_and_book_once_it_lapses(booking, slots):
    assert (await booking.hold(slot_id=slots[2], token="alice")).code == "held"
    assert (
        await booking.staff_book(actor=RECEPTION, slot_id=slots[2], details=STAFF)
    ).code == "no_longer_available"
    clock.advance(HOLD)  # its last instant: still alice's
    assert (
        await booking.staff_book(actor=RECEPTION, slot_id=slots[2], details=STAFF)
    ).code == "no_longer_available"
    clock.advance(timedelta(seconds=1))
    assert (
        await booking.staff_book(actor=RECEPTION, slot_id=slots[2], details=STAFF)
    ).code == "booked"
    assert (
        await booking.book(actor=PATIENT, slot_id=slots[2], token="alice", details=ONLINE)
    ).code == "no_longer_available"
    assert await consistency_problems(slots) == []


async def test_a_patient_holds_at_most_one_slot(world, booking, slots):
    assert (await booking.hold(slot_id=slots[0], token="alice")).code == "held"
    assert (await booking.hold(slot_id=slots[1], token="alice")).code == "held"
    assert [row["id"] for row in await Slot.select(Slot.id).where(Slot.hold_token == "alice")] == [
        slots[1]
    ]
    assert slots[0] in await visible(world)
    assert (await booking.hold(slot_id=slots[0], token="bob")).code == "held"
    # Losing a race keeps the hold one already has.
    assert (await booking.hold(slot_id=slots[0], token="alice")).code == "no_longer_available"
    assert (await slot(slots[1]))["hold_token"] == "alice"


async def test_release_frees_the_hold(world, booking, slots):
    await booking.hold(slot_id=slots[0], token="alice")
    await booking.release(token="alice")
    assert (await booking.hold(slot_id=slots[0], token="bob")).code == "held"


async def test_booking_after_the_hold_lapsed_says_hold_expired(booking, slots):
    await booking.hold(slot_id=slots[0], token="alice")
    clock.advance(HOLD + timedelta(seconds=1))
    assert (
        await booking.book(actor=PATIENT, slot_id=slots[0], token="alice", details=ONLINE)
    ).code == "hold_expired"
    assert (await slot(slots[0]))["state"] == "open"
    assert await Appointment.count() == 0
    # Nobody took it meanwhile: holding again works.
    assert (await booking.hold(slot_id=slots[0], token="alice")).code == "held"
    assert (
        await booking.book(actor=PATIENT, slot_id=slots[0], token="alice", details=ONLINE)
    ).code == "booked"


async def test_booking_after_someone_else_took_the_lapsed_slot_says_no_longer_available(
    booking, slots
):
    await booking.hold(slot_id=slots[0], token="alice")
    clock.advance(HOLD + timedelta(seconds=1))
    assert (await booking.hold(slot_id=slots[0], token="bob")).code == "held"
    assert (
        await booking.book(actor=PATIENT, slot_id=slots[0], token="alice", details=ONLINE)
    ).code == "no_longer_available"
    assert (
        await booking.book(actor=PATIENT, slot_id=slots[0], token="bob", details=ONLINE)
    ).code == "booked"


async def test_booking_without_a_hold_is_refused(booking, slots):
    assert (
        await booking.book(actor=PATIENT, slot_id=slots[0], token="alice", details=ONLINE)
    ).code == "no_longer_available"
    assert await Appointment.count() == 0


# -- cancel and move -----------------------------------------------------------------------


async def test_cancel_frees_the_slot_and_a_second_cancel_says_so(world, booking, slots):
    booked = await booking.staff_book(actor=RECEPTION, slot_id=slots[0], details=STAFF)
    assert slots[0] not in await visible(world)
    clock.advance(timedelta(minutes=10))
    cancelled = await booking.cancel(actor=RECEPTION, appointment_id=booked.appointment_id)
    assert (cancelled.code, cancelled.appointment_id) == ("cancelled", booked.appointment_id)
    row = await appointment(booked.appointment_id)
    assert (row["status"], row["cancelled_at"]) == ("cancelled", NOW + timedelta(minutes=10))
    assert (await slot(slots[0]))["state"] == "open"
    assert slots[0] in await visible(world)
    assert (
        await booking.cancel(actor=RECEPTION, appointment_id=booked.appointment_id)
    ).code == "already_cancelled"
    # The freed slot can be booked again; the cancelled appointment stays on record.
    assert (
        await booking.staff_book(actor=RECEPTION, slot_id=slots[0], details=STAFF)
    ).code == "booked"
    assert await Appointment.count().where(Appointment.slot == slots[0]) == 2
    assert await consistency_problems(slots) == []


async def test_move_takes_the_new_slot_and_frees_the_old(world, booking, slots):
    gagnon = await open_slots(
        world.demo,
        who="gagnon",
        site="laval",
        activity="followup",
        start=time(14, 0),
        end=time(14, 30),
    )
    booked = await booking.staff_book(actor=RECEPTION, slot_id=slots[0], details=STAFF)
    clock.advance(timedelta(minutes=1))
    moved = await booking.move(
        actor=RECEPTION, appointment_id=booked.appointment_id, new_slot_id=gagnon[0]
    )
    assert (moved.code, moved.appointment_id) == ("moved", booked.appointment_id)
    new = await slot(gagnon[0])
    row = await appointment(booked.appointment_id)
    assert (
        row["slot"],
        row["starts_at"],
        row["ends_at"],
        row["practitioner"],
        row["site"],
        row["activity"],
    ) == (
        gagnon[0],
        new["starts_at"],
        new["ends_at"],
        world.demo.practitioners["gagnon"],
        world.demo.sites["laval"],
        world.demo.activities["followup"],
    )
    assert row["updated_at"] == NOW + timedelta(minutes=1)
    assert ((await slot(slots[0]))["state"], new["state"]) == ("open", "booked")
    assert await consistency_problems(slots + gagnon) == []
    # Moving onto the slot it already has changes nothing.
    assert (
        await booking.move(
            actor=RECEPTION, appointment_id=booked.appointment_id, new_slot_id=gagnon[0]
        )
    ).code == "moved"


async def test_a_move_onto_a_taken_slot_changes_nothing(world, booking, slots):
    mine = await booking.staff_book(actor=RECEPTION, slot_id=slots[0], details=STAFF)
    await booking.staff_book(actor=RECEPTION, slot_id=slots[1], details=STAFF)
    await booking.hold(slot_id=slots[2], token="bob")
    before = await snapshot(world.demo.id)
    clock.advance(timedelta(minutes=1))
    assert (
        await booking.move(
            actor=RECEPTION, appointment_id=mine.appointment_id, new_slot_id=slots[1]
        )
    ).code == "no_longer_available"
    assert (
        await booking.move(
            actor=RECEPTION, appointment_id=mine.appointment_id, new_slot_id=slots[2]
        )
    ).code == "no_longer_available"
    assert (
        await booking.move(actor=RECEPTION, appointment_id=mine.appointment_id, new_slot_id=999_999)
    ).code == "no_longer_available"
    assert await snapshot(world.demo.id) == before


async def test_a_patient_moves_onto_the_slot_they_hold(booking, slots):
    mine = await booking.staff_book(actor=RECEPTION, slot_id=slots[0], details=STAFF)
    await booking.hold(slot_id=slots[3], token="alice")
    assert (
        await booking.move(
            actor=RECEPTION, appointment_id=mine.appointment_id, new_slot_id=slots[3], token="alice"
        )
    ).code == "moved"
    assert (await slot(slots[3]))["hold_token"] is None
    assert await consistency_problems(slots) == []


async def test_a_cancelled_appointment_cannot_be_moved(booking, slots):
    mine = await booking.staff_book(actor=RECEPTION, slot_id=slots[0], details=STAFF)
    await booking.cancel(actor=RECEPTION, appointment_id=mine.appointment_id)
    assert (
        await booking.move(
            actor=RECEPTION, appointment_id=mine.appointment_id, new_slot_id=slots[1]
        )
    ).code == "not_found"
    assert (await slot(slots[1]))["state"] == "open"


# -- tenant isolation and the database's own guard -----------------------------------------


async def test_another_clinics_ids_change_nothing(world, booking, slots):
    theirs = await open_slots(world.autre, who="martin", site="principal", activity="consult")
    mine = await booking.staff_book(actor=RECEPTION, slot_id=slots[0], details=STAFF)
    other_clinic = world.autre.booking()
    their_appointment = await other_clinic.staff_book(
        actor=RECEPTION, slot_id=theirs[0], details=STAFF
    )
    before = (await snapshot(world.demo.id), await snapshot(world.autre.id))
    assert (await other_clinic.hold(slot_id=slots[1], token="eve")).code == "no_longer_available"
    assert (
        await other_clinic.book(actor=PATIENT, slot_id=slots[1], token="eve", details=ONLINE)
    ).code == "no_longer_available"
    assert (
        await other_clinic.staff_book(actor=RECEPTION, slot_id=slots[1], details=STAFF)
    ).code == "no_longer_available"
    assert (
        await other_clinic.cancel(actor=RECEPTION, appointment_id=mine.appointment_id)
    ).code == "not_found"
    assert (
        await other_clinic.move(
            actor=RECEPTION, appointment_id=mine.appointment_id, new_slot_id=theirs[1]
        )
    ).code == "not_found"
    assert (
        await booking.move(
            actor=RECEPTION, appointment_id=mine.appointment_id, new_slot_id=theirs[1]
        )
    ).code == "no_longer_available"
    assert (
        await booking.cancel(actor=RECEPTION, appointment_id=their_appointment.appointment_id)
    ).code == "not_found"
    await other_clinic.release(token="alice")
    assert (await snapshot(world.demo.id), await snapshot(world.autre.id)) == before


async def test_a_release_never_touches_another_clinics_holds(world, booking, slots):
    await booking.hold(slot_id=slots[0], token="shared-token")
    await world.autre.booking().release(token="shared-token")
    assert (await slot(slots[0]))["hold_token"] == "shared-token"


async def test_the_database_refuses_a_second_active_appointment_on_a_slot(world, booking, slots):
    booked = await booking.staff_book(actor=RECEPTION, slot_id=slots[0], details=STAFF)
    original = await appointment(booked.appointment_id)
    copy = {key: value for key, value in original.items() if key != "id"}
    with pytest.raises(Exception) as refused:
        await Appointment.insert(Appointment(**copy))
    assert "unique" in str(refused.value).lower()
    assert await Appointment.count().where(Appointment.slot == slots[0]) == 1
    # A cancelled one beside it is allowed: only active appointments are unique.
    await Appointment.insert(Appointment(**{**copy, "status": "cancelled"}))
    assert await Appointment.count().where(Appointment.slot == slots[0]) == 2
