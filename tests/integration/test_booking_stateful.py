"""A hypothesis state machine over hold / book / staff book / cancel / move / clock
advance on three slots and two patients. A plain model predicts every outcome;
after each step the database must agree with it and keep the invariants: at most
one active appointment per slot, a slot booked iff it has one, nobody books a slot
someone else holds, and a lapsed hold frees the slot.

The database pool lives on the session's event loop, so the machine runs in a
worker thread and hands each call to that loop (run_coroutine_threadsafe)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from app import clock
from app.booking.search import Criteria, search
from app.booking.services import BookingDetails
from app.booking.tables import Appointment
from app.scheduling.tables import Slot
from tests.integration.engine_fixtures import (
    PATIENT,
    RECEPTION,
    STAFF,
    TUESDAY,
    Tenant,
    consistency_problems,
    open_slots,
)
from tests.moments import freeze

HOLD = timedelta(minutes=5)
TOKENS = ("alice", "bob")
ONLINE = BookingDetails(source="online", contact_email="patient@example.org")


@dataclass
class Hold:
    token: str
    until: datetime

    def live(self) -> bool:
        return self.until >= clock.now()


@dataclass
class Booked:
    id: int
    slot: int  # index into the machine's slots
    active: bool = True


def machine_for(tenant: Tenant, loop: asyncio.AbstractEventLoop) -> type[RuleBasedStateMachine]:
    booking = tenant.booking(hold_for=HOLD)
    days = itertools.count()

    def run(awaitable):
        async def wait():  # a Piccolo query is awaitable but not a coroutine
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wait(), loop).result(timeout=60)

    class BookingMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            freeze()
            # Each run gets slots of its own on a day of its own; earlier runs' rows stay.
            self.day = TUESDAY + timedelta(days=next(days))
            self.slots: list[int] = run(
                open_slots(
                    tenant,
                    who="roy",
                    site="centre-ville",
                    activity="followup",
                    day=self.day,
                    start=time(9, 0),
                    end=time(10, 30),
                )
            )
            self.holds: dict[int, Hold] = {}  # slot index → its hold, live or lapsed
            self.booked: dict[int, Booked] = {}  # slot index → its active appointment
            self.appointments: list[Booked] = []

        # -- what the model expects ------------------------------------------------------

        def _free_for(self, index: int, token: str | None) -> bool:
            hold = self.holds.get(index)
            return index not in self.booked and (
                hold is None or not hold.live() or hold.token == token
            )

        def _take(self, index: int, appointment: Booked) -> None:
            self.holds.pop(index, None)
            self.booked[index] = appointment

        # -- rules ---------------------------------------------------------------------

        @rule(index=st.integers(0, 2), token=st.sampled_from(TOKENS))
        def hold(self, index: int, token: str) -> None:
            expected = "held" if self._free_for(index, token) else "no_longer_available"
            outcome = run(booking.hold(slot_id=self.slots[index], token=token))
            assert outcome.code == expected
            if expected == "held":
                for other in [i for i, h in self.holds.items() if h.token == token]:
                    del self.holds[other]
                self.holds[index] = Hold(token, clock.now() + HOLD)

        def _held_by(self, token: str | None, otherwise: int) -> int:
            """The slot this patient holds (live or lapsed), as a patient would pick it."""
            return next((i for i, h in self.holds.items() if h.token == token), otherwise)

        @rule(index=st.integers(0, 2), token=st.sampled_from(TOKENS), own=st.booleans())
        def book(self, index: int, token: str, own: bool) -> None:
            if own:
                index = self._held_by(token, index)
            hold = self.holds.get(index)
            ours = hold is not None and hold.token == token
            outcome = run(
                booking.book(actor=PATIENT, slot_id=self.slots[index], token=token, details=ONLINE)
            )
            if ours and hold.live() and index not in self.booked:
                assert outcome.code == "booked"
                appointment = Booked(outcome.appointment_id, index)
                self.appointments.append(appointment)
                self._take(index, appointment)
            else:
                assert outcome.code == ("hold_expired" if ours else "no_longer_available")

        @rule(index=st.integers(0, 2))
        def staff_book(self, index: int) -> None:
            expected = "booked" if self._free_for(index, None) else "no_longer_available"
            outcome = run(
                booking.staff_book(actor=RECEPTION, slot_id=self.slots[index], details=STAFF)
            )
            assert outcome.code == expected, "staff must respect a live hold"
            if expected == "booked":
                appointment = Booked(outcome.appointment_id, index)
                self.appointments.append(appointment)
                self._take(index, appointment)

        @precondition(lambda self: self.appointments)
        @rule(pick=st.integers(0, 50))
        def cancel(self, pick: int) -> None:
            appointment = self.appointments[pick % len(self.appointments)]
            outcome = run(booking.cancel(actor=RECEPTION, appointment_id=appointment.id))
            if appointment.active:
                assert outcome.code == "cancelled"
                appointment.active = False
                del self.booked[appointment.slot]
            else:
                assert outcome.code == "already_cancelled"

        @precondition(lambda self: self.appointments)
        @rule(
            pick=st.integers(0, 50),
            index=st.integers(0, 2),
            token=st.sampled_from((None, *TOKENS)),
            own=st.booleans(),
        )
        def move(self, pick: int, index: int, token: str | None, own: bool) -> None:
            if own:
                index = self._held_by(token, index)
            appointment = self.appointments[pick % len(self.appointments)]
            outcome = run(
                booking.move(
                    actor=RECEPTION,
                    appointment_id=appointment.id,
                    new_slot_id=self.slots[index],
                    token=token,
                )
            )
            if not appointment.active:
                assert outcome.code == "not_found"
            elif appointment.slot == index:
                assert outcome.code == "moved"
            elif self._free_for(index, token):
                assert outcome.code == "moved"
                del self.booked[appointment.slot]
                appointment.slot = index
                self._take(index, appointment)
            else:
                assert outcome.code == "no_longer_available"

        # Time only matters to live holds; without one, waiting would waste the budget.
        @precondition(lambda self: any(hold.live() for hold in self.holds.values()))
        @rule(minutes=st.sampled_from((6, 1)))
        def advance(self, minutes: int) -> None:
            clock.advance(timedelta(minutes=minutes))

        # -- invariants, read from the database ------------------------------------------

        @invariant()
        def database_keeps_the_invariants(self) -> None:
            assert run(consistency_problems(self.slots)) == []

        @invariant()
        def database_agrees_with_the_model(self) -> None:
            rows = {r["id"]: r for r in run(Slot.select().where(Slot.id.is_in(self.slots)))}
            for index, slot_id in enumerate(self.slots):
                row, hold = rows[slot_id], self.holds.get(index)
                assert row["state"] == ("booked" if index in self.booked else "open")
                assert (row["hold_token"], row["hold_until"]) == (
                    (hold.token, hold.until) if hold else (None, None)
                )
            active = run(
                Appointment.select(Appointment.id, Appointment.slot).where(
                    Appointment.slot.is_in(self.slots) & (Appointment.status != "cancelled")
                )
            )
            assert {(r["id"], r["slot"]) for r in active} == {
                (a.id, self.slots[i]) for i, a in self.booked.items()
            }

        @invariant()
        def lapsed_holds_free_their_slots(self) -> None:
            # What a patient without a hold sees: every slot neither booked nor held live.
            found = run(
                search(
                    clinic_id=tenant.id,
                    criteria=Criteria(
                        activity_ids=(tenant.activities["followup"],), from_date=self.day
                    ),
                    limit=50,
                )
            )
            expected = [
                slot_id
                for index, slot_id in enumerate(self.slots)
                if index not in self.booked
                and not (index in self.holds and self.holds[index].live())
            ]
            assert [r.slot_id for r in found] == expected

    return BookingMachine


async def test_booking_state_machine_keeps_the_invariants(world):
    machine = machine_for(world.demo, asyncio.get_running_loop())
    bounded = settings(
        max_examples=30,
        stateful_step_count=20,
        deadline=None,
        database=None,  # nothing written into the work tree
        suppress_health_check=[HealthCheck.too_slow],
    )
    await asyncio.to_thread(run_state_machine_as_test, machine, settings=bounded)
