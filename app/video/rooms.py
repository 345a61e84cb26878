"""A room's state and its waiting room, in the database so that every app instance and
every reconnecting browser agrees: a refresh keeps the patient's place (arrived_at is the
first arrival), and nobody talks before "Accept" (only a WAITING room can be accepted,
only an IN_CALL room relays signals). Each change commits with its audit row
(CallChanged); the caller then tells the room and the waiting room (app.video.notify)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app import clock
from app.db import write_transaction
from app.events import Actor, EventBus
from app.video.access import RoomPass
from app.video.events import CallChange, CallChanged
from app.video.tables import CallRoom, RoomState

MAX_LATE_MINUTES = 120


@dataclass(frozen=True)
class RoomStatus:
    appointment_id: int
    state: RoomState
    arrived_at: datetime | None
    present: bool
    ready: bool
    late_minutes: int | None

    def to_dict(self) -> dict:
        return {
            "appointment_id": self.appointment_id,
            "state": self.state.value,
            "arrived_at": self.arrived_at.isoformat() if self.arrived_at else None,
            "present": self.present,
            "ready": self.ready,
            "late_minutes": self.late_minutes,
        }


def _status(appointment_id: int, row: dict | None) -> RoomStatus:
    if row is None:
        return RoomStatus(appointment_id, RoomState.EMPTY, None, False, False, None)
    return RoomStatus(
        appointment_id=appointment_id,
        state=RoomState(row["state"]),
        arrived_at=row["arrived_at"],
        present=row["present"],
        ready=row["ready"],
        late_minutes=row["late_minutes"],
    )


async def _row(clinic_id: int, appointment_id: int) -> dict | None:
    return await (
        CallRoom.select()
        .where((CallRoom.clinic == clinic_id) & (CallRoom.appointment == appointment_id))
        .first()
    )


async def room_status(*, clinic_id: int, appointment_id: int) -> RoomStatus:
    return _status(appointment_id, await _row(clinic_id, appointment_id))


async def _ensure(clinic_id: int, appointment_id: int) -> dict:
    row = await _row(clinic_id, appointment_id)
    if row is None:
        # Two first arrivals racing: the unique appointment column keeps one row.
        await CallRoom.insert(CallRoom(clinic=clinic_id, appointment=appointment_id)).on_conflict(
            action="DO NOTHING"
        )
        row = await _row(clinic_id, appointment_id)
    return row


async def _set(clinic_id: int, appointment_id: int, values: dict) -> None:
    await CallRoom.update(values).where(
        (CallRoom.clinic == clinic_id) & (CallRoom.appointment == appointment_id)
    )


async def _emit(bus: EventBus, room: RoomPass, actor: Actor, kind: CallChange, **detail) -> None:
    await bus.emit(
        CallChanged(room.clinic_id, room.appointment_id, room.patient_id, actor, kind, detail)
    )


async def patient_arrived(room: RoomPass, *, actor: Actor, bus: EventBus) -> RoomStatus:
    """The patient's socket opened: into the waiting room the first time, present again
    after a refresh (same place in the queue), nothing new once ended."""
    async with write_transaction():
        row = await _ensure(room.clinic_id, room.appointment_id)
        if row["state"] == RoomState.EMPTY:
            await _set(
                room.clinic_id,
                room.appointment_id,
                {CallRoom.state: RoomState.WAITING.value, CallRoom.arrived_at: clock.now()},
            )
            await _emit(bus, room, actor, CallChange.STARTED)
        if row["state"] != RoomState.ENDED:
            await _set(room.clinic_id, room.appointment_id, {CallRoom.present: True})
        return await room_status(clinic_id=room.clinic_id, appointment_id=room.appointment_id)


async def patient_left(room: RoomPass) -> RoomStatus:
    """The patient's last socket closed (the place in the queue is kept)."""
    async with write_transaction():
        await _set(room.clinic_id, room.appointment_id, {CallRoom.present: False})
        return await room_status(clinic_id=room.clinic_id, appointment_id=room.appointment_id)


async def accept(room: RoomPass, *, actor: Actor, bus: EventBus) -> RoomStatus | None:
    """Let the waiting patient in. None unless the pass may join and the patient waits."""
    if not room.may_join:
        return None
    async with write_transaction():
        row = await _row(room.clinic_id, room.appointment_id)
        if row is None or row["state"] != RoomState.WAITING:
            return None
        await _set(
            room.clinic_id,
            room.appointment_id,
            {
                CallRoom.state: RoomState.IN_CALL.value,
                CallRoom.accepted_at: clock.now(),
                CallRoom.accepted_by: room.account_id,
            },
        )
        await _emit(bus, room, actor, CallChange.ACCEPTED)
        return await room_status(clinic_id=room.clinic_id, appointment_id=room.appointment_id)


async def end(room: RoomPass, *, actor: Actor, bus: EventBus) -> RoomStatus | None:
    """Hang up, for both. None when there is no call to end."""
    if not room.may_join:
        return None
    async with write_transaction():
        row = await _row(room.clinic_id, room.appointment_id)
        if row is None or row["state"] != RoomState.IN_CALL:
            return None
        await _set(
            room.clinic_id,
            room.appointment_id,
            {CallRoom.state: RoomState.ENDED.value, CallRoom.ended_at: clock.now()},
        )
        await _emit(bus, room, actor, CallChange.ENDED)
        return await room_status(clinic_id=room.clinic_id, appointment_id=room.appointment_id)


async def mark_ready(room: RoomPass, *, actor: Actor, bus: EventBus) -> RoomStatus | None:
    """A secretary (or anyone of the staff) checked the waiting patient by phone."""
    async with write_transaction():
        row = await _row(room.clinic_id, room.appointment_id)
        if row is None or row["state"] != RoomState.WAITING:
            return None
        await _set(room.clinic_id, room.appointment_id, {CallRoom.ready: True})
        await _emit(bus, room, actor, CallChange.READY)
        return await room_status(clinic_id=room.clinic_id, appointment_id=room.appointment_id)


async def running_late(
    room: RoomPass, minutes: int, *, actor: Actor, bus: EventBus
) -> RoomStatus | None:
    if not room.may_join or not 0 < minutes <= MAX_LATE_MINUTES:
        return None
    async with write_transaction():
        row = await _row(room.clinic_id, room.appointment_id)
        if row is None or row["state"] != RoomState.WAITING:
            return None
        await _set(room.clinic_id, room.appointment_id, {CallRoom.late_minutes: minutes})
        await _emit(bus, room, actor, CallChange.LATE, minutes=minutes)
        return await room_status(clinic_id=room.clinic_id, appointment_id=room.appointment_id)
