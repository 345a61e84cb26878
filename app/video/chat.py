"""The call's chat: short text lines kept with the appointment, for both sides to read
during the call and afterwards. A line is trimmed, not empty, at most MAX_CHARS
characters, and holds no NUL (no keyboard types one; PostgreSQL refuses to store it):
anything else is refused with its reason, and nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app import clock
from app.db import write_transaction
from app.video.access import RoomPass
from app.video.tables import CallMessage

MAX_CHARS = 2000


class ChatRefusal(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NUL = "nul"


@dataclass(frozen=True)
class ChatLine:
    id: int
    side: str  # app.video.tables.Side
    author: str
    body: str
    sent_at: datetime

    def to_dict(self) -> dict:
        """What a RoomEvent("chat") carries to the other side's browser."""
        return {
            "id": self.id,
            "side": self.side,
            "author": self.author,
            "body": self.body,
            "sent_at": self.sent_at.isoformat(),
        }


def clean(text: str) -> str | ChatRefusal:
    if "\x00" in text:
        return ChatRefusal.NUL
    text = text.strip()
    if not text:
        return ChatRefusal.EMPTY
    if len(text) > MAX_CHARS:
        return ChatRefusal.TOO_LONG
    return text


def _line(row: dict) -> ChatLine:
    return ChatLine(row["id"], row["side"], row["author"], row["body"], row["sent_at"])


async def post(room: RoomPass, text: str) -> ChatLine | ChatRefusal:
    body = clean(text)
    if isinstance(body, ChatRefusal):
        return body
    async with write_transaction():
        row = (
            await CallMessage.insert(
                CallMessage(
                    clinic=room.clinic_id,
                    appointment=room.appointment_id,
                    side=room.side.value,
                    author=room.name[:200],
                    body=body,
                    sent_at=clock.now(),
                )
            ).returning(*CallMessage.all_columns())
        )[0]
    return _line(row)


async def lines(*, clinic_id: int, appointment_id: int) -> list[ChatLine]:
    rows = await (
        CallMessage.select()
        .where((CallMessage.clinic == clinic_id) & (CallMessage.appointment == appointment_id))
        .order_by(CallMessage.sent_at)
        .order_by(CallMessage.id)
    )
    return [_line(row) for row in rows]
