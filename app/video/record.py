"""What a call left on the appointment: its chat lines and shared files, in the order
they came, for the chat panel, the patient's details page and the staff's view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.video.chat import ChatLine, lines
from app.video.files import SharedFile, shared_files


@dataclass(frozen=True)
class Entry:
    at: datetime
    line: ChatLine | None = None
    file: SharedFile | None = None


@dataclass(frozen=True)
class CallRecord:
    lines: list[ChatLine]
    files: list[SharedFile]

    @property
    def entries(self) -> list[Entry]:
        merged = [Entry(line.sent_at, line=line) for line in self.lines] + [
            Entry(file.shared_at, file=file) for file in self.files
        ]
        return sorted(merged, key=lambda entry: entry.at)

    def __bool__(self) -> bool:
        return bool(self.lines or self.files)


async def call_record(*, clinic_id: int, appointment_id: int) -> CallRecord:
    return CallRecord(
        lines=await lines(clinic_id=clinic_id, appointment_id=appointment_id),
        files=await shared_files(clinic_id=clinic_id, appointment_id=appointment_id),
    )
