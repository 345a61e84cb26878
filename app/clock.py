"""The single source of time. Tests move it; nothing else calls datetime.now().

`CLOCK_OFFSET_SECONDS` (test-only, read once at import) shifts the whole process's
clock from the machine's. The test suite gives the same value to itself and to the
servers it starts, so they all see one time, which begins at a fixed instant and flows
as usual (holds still lapse). `reset()` returns to that shifted, flowing clock."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from app.settings import clock_offset

_base = clock_offset(os.environ)
_offset = _base
_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(timezone.utc) + _offset


def freeze(at: datetime) -> None:
    global _frozen
    _frozen = at.astimezone(timezone.utc)


def advance(delta: timedelta) -> None:
    global _offset, _frozen
    if _frozen is not None:
        _frozen += delta
    else:
        _offset += delta


def reset() -> None:
    global _offset, _frozen
    _offset, _frozen = _base, None
