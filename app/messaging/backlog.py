"""How far behind the outbox is: the messages due and not yet sent, and how long the
oldest of them has waited. /healthz and /metrics read it; it is the one sign, across
every worker, that delivery has stopped (no worker, Redis gone, a provider down)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app import clock
from app.messaging.tables import Message


@dataclass(frozen=True)
class Backlog:
    due: int  # unsent messages whose time has come
    oldest_wait: timedelta  # since the oldest of them fell due; zero when none


async def backlog() -> Backlog:
    now = clock.now()
    # A message waiting for its retry (next_attempt_at ahead) is not late yet.
    due = Message.status.is_in(["pending", "sending"]) & (Message.next_attempt_at <= now)
    count = await Message.count().where(due)
    oldest = (
        await Message.select(Message.next_attempt_at)
        .where(due)
        .order_by(Message.next_attempt_at)
        .first()
    )
    wait = now - oldest["next_attempt_at"] if oldest else timedelta(0)
    return Backlog(due=count, oldest_wait=max(wait, timedelta(0)))
