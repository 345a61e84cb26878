"""Typed events, who caused them, and the bus that carries them to listeners.

A domain does not call the domains that react to its changes (messages planned, an
audit row written, open agendas told): it emits a frozen event and the listeners that
create_app registers receive it (ARCHITECTURE, "Reacting to changes"). A listener
registered for the transaction runs inside the emitter's write transaction, so a change
and its consequences commit together or not at all; one registered after the commit
runs once the transaction has committed (a push to open pages), and never for a change
that rolled back. A new reaction is a new listener, not an edit of the engine."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial
from typing import Any, Awaitable, Callable

from app import db

Listener = Callable[[Any], Awaitable[None]]


class ActorKind(StrEnum):
    STAFF = "staff"
    PATIENT = "patient"  # through the portal or a link in a message
    SYSTEM = "system"  # the platform itself: a job, the demo seed


@dataclass(frozen=True)
class Actor:
    """Who caused a change. A staff member is named by their account; a patient by the
    appointment or file the event is about; the system by what it was doing."""

    kind: ActorKind
    account_id: int | None = None  # the staff account, for kind staff
    label: str = ""  # the staff member's name, or what the system was doing
    client: str = ""  # the address the change came from (app.client_address), if any

    @classmethod
    def staff(cls, account_id: int, name: str) -> "Actor":
        return cls(ActorKind.STAFF, account_id, name)

    @classmethod
    def system(cls, doing: str) -> "Actor":
        return cls(ActorKind.SYSTEM, label=doing)

    def at(self, client: str) -> "Actor":
        """The same actor, acting from this address."""
        return replace(self, client=client)

    def key(self) -> str:
        """A short stable text for a column that records who did something."""
        if self.kind is ActorKind.STAFF:
            return f"staff:{self.account_id}"
        if self.kind is ActorKind.SYSTEM:
            return f"system:{self.label}" if self.label else "system"
        return "patient"


PATIENT = Actor(ActorKind.PATIENT)


class EventBus:
    """Listeners by event type, each run in the transaction or after its commit."""

    def __init__(self) -> None:
        self._in_transaction: dict[type, list[Listener]] = defaultdict(list)
        self._after_commit: dict[type, list[Listener]] = defaultdict(list)

    def on(self, event_type: type, listener: Listener, *, after_commit: bool = False) -> None:
        (self._after_commit if after_commit else self._in_transaction)[event_type].append(listener)

    async def emit(self, event: object) -> None:
        """Call inside the write transaction that made the change."""
        for listener in self._in_transaction[type(event)]:
            await listener(event)
        for listener in self._after_commit[type(event)]:
            await db.after_commit(partial(listener, event))
