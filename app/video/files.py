"""Files shared in a call: PDF, PNG or JPEG, told by their first bytes (a name or a
declared type is whatever the sender's machine says), at most MAX_BYTES. Kept with the
appointment, each under an unguessable key, and served only as an attachment (see
app.video.chat_routes). Every shared file is audited (CallChanged FILE_SHARED) in the
transaction that stores it."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import quote

from app import clock
from app.db import write_transaction
from app.events import Actor, EventBus
from app.video.access import RoomPass
from app.video.events import CallChange, CallChanged
from app.video.tables import CallFile

MAX_BYTES = 10 * 1024 * 1024
MAX_NAME = 120  # characters of the display name (the column holds 200)
# (first bytes, media type, the extension a download gets, others accepted in a name)
KINDS = (
    (b"%PDF-", "application/pdf", ".pdf", ()),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png", ()),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg", (".jpeg",)),
)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')  # controls, quotes, path and header marks


class FileRefusal(StrEnum):
    MISSING = "missing"  # no file chosen, or an empty one
    TOO_BIG = "too_big"
    WRONG_TYPE = "wrong_type"


@dataclass(frozen=True)
class SharedFile:
    """A shared file without its content: what lists and events carry."""

    id: int
    key: str
    side: str
    author: str
    name: str
    media_type: str
    size: int
    shared_at: datetime

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "key": self.key,
            "side": self.side,
            "author": self.author,
            "name": self.name,
            "media_type": self.media_type,
            "size": self.size,
            "shared_at": self.shared_at.isoformat(),
        }


def media_type_of(content: bytes) -> str | None:
    for magic, media_type, _ext, _others in KINDS:
        if content.startswith(magic):
            return media_type
    return None


def display_name(name: str, media_type: str) -> str:
    """The name as the sender's machine gave it, made safe for a header and a page: its
    last path part, no control or reserved characters, at most MAX_NAME characters, and
    the extension of what the content really is (a PNG sent as "scan.pdf" downloads as
    "scan.png")."""
    _magic, _type, extension, others = next(k for k in KINDS if k[1] == media_type)
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name or ""))[-1]
    base = " ".join(_UNSAFE.sub(" ", base).split()).strip(" .")
    stem, dot, ext = base.rpartition(".")
    if dot and f".{ext.lower()}" in (extension, *others):
        base, extension = stem, f".{ext.lower()}"
    elif dot and ext.lower() in ("pdf", "png", "jpg", "jpeg"):
        base = stem  # another kind's extension: the true one replaces it
    base = base.strip(" .")[: MAX_NAME - len(extension)] or "file"
    return base + extension


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback for old clients, the real name in filename*."""
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "", fallback).strip()
    if not fallback or fallback.startswith("."):  # nothing of the name was ASCII
        fallback = "file" + fallback
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def check(content: bytes) -> str | FileRefusal:
    """The media type of an acceptable file, or why it is refused."""
    if not content:
        return FileRefusal.MISSING
    if len(content) > MAX_BYTES:
        return FileRefusal.TOO_BIG
    return media_type_of(content) or FileRefusal.WRONG_TYPE


_LISTED = (
    CallFile.id,
    CallFile.key,
    CallFile.side,
    CallFile.author,
    CallFile.name,
    CallFile.media_type,
    CallFile.size,
    CallFile.shared_at,
)


def _shared(row: dict) -> SharedFile:
    return SharedFile(
        row["id"],
        row["key"],
        row["side"],
        row["author"],
        row["name"],
        row["media_type"],
        row["size"],
        row["shared_at"],
    )


async def share(
    room: RoomPass, *, name: str, content: bytes, actor: Actor, bus: EventBus
) -> SharedFile | FileRefusal:
    media_type = check(content)
    if isinstance(media_type, FileRefusal):
        return media_type
    clean_name = display_name(name, media_type)
    async with write_transaction():
        row = (
            await CallFile.insert(
                CallFile(
                    clinic=room.clinic_id,
                    appointment=room.appointment_id,
                    side=room.side.value,
                    author=room.name[:200],
                    name=clean_name,
                    media_type=media_type,
                    size=len(content),
                    content=content,
                    key=secrets.token_urlsafe(32),
                    shared_at=clock.now(),
                )
            ).returning(*_LISTED)
        )[0]
        await bus.emit(
            CallChanged(
                room.clinic_id,
                room.appointment_id,
                room.patient_id,
                actor,
                CallChange.FILE_SHARED,
                {"name": clean_name, "type": media_type, "size": len(content)},
            )
        )
    return _shared(row)


async def shared_files(*, clinic_id: int, appointment_id: int) -> list[SharedFile]:
    rows = await (
        CallFile.select(*_LISTED)
        .where((CallFile.clinic == clinic_id) & (CallFile.appointment == appointment_id))
        .order_by(CallFile.shared_at)
        .order_by(CallFile.id)
    )
    return [_shared(row) for row in rows]


async def download(
    *, clinic_id: int, appointment_id: int, key: str
) -> tuple[SharedFile, bytes] | None:
    """The file and its content, if the key is one of this appointment's at this clinic."""
    if not 0 < len(key) <= 43:
        return None
    row = await (
        CallFile.select(*_LISTED, CallFile.content)
        .where(
            (CallFile.clinic == clinic_id)
            & (CallFile.appointment == appointment_id)
            & (CallFile.key == key)
        )
        .first()
    )
    if row is None:
        return None
    return _shared(row), bytes(row["content"])
