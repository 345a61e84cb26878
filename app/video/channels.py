"""The channels a call speaks on, named from ids the server checked, never from the
request: one per room (signalling, chat, state), one per clinic for its waiting room.
What travels is JSON; a room's events are RoomEvent.to_json()."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


def room_channel(clinic_id: int, appointment_id: int) -> str:
    return f"room:{clinic_id}:{appointment_id}"


def waiting_channel(clinic_id: int) -> str:
    """Every open staff page of the clinic listens: a patient arrived, left, was let in."""
    return f"waiting:{clinic_id}"


@dataclass(frozen=True)
class RoomEvent:
    """type: "state" (data: RoomStatus.to_dict()), "signal" (data: an SDP description or
    an ICE candidate, relayed as is), "chat" (data: a ChatLine), "file" (data: a
    SharedFile's public fields). `sender`: the socket that sent a signal, so it does not
    hear itself; "" for the server."""

    type: str
    data: dict = field(default_factory=dict)
    sender: str = ""
    side: str = ""  # patient | staff: who a signal comes from

    def to_json(self) -> str:
        # Not asdict(): it deep-copies `data`, and every signal of every call comes here.
        fields = {"type": self.type, "data": self.data, "sender": self.sender, "side": self.side}
        return json.dumps(fields, separators=(",", ":"), default=str)

    @classmethod
    def from_json(cls, raw: bytes | str) -> "RoomEvent | None":
        try:
            data = json.loads(raw)
            return cls(
                type=str(data["type"]),
                data=dict(data.get("data") or {}),
                sender=str(data.get("sender") or ""),
                side=str(data.get("side") or ""),
            )
        except (ValueError, KeyError, TypeError):
            return None
