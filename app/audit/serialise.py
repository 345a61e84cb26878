"""Events' frozen snapshots as JSON, generically: a dataclass becomes an object of its
fields, dates and times ISO 8601 (times in UTC), enums their value, tuples lists. The
text is canonical (sorted keys, no spaces), so the same snapshot always hashes the same."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any


def plain(value: Any) -> Any:
    """A value made of dicts, lists, strings, numbers, booleans and None only."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def canonical(value: Any) -> str:
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def as_json(value: Any) -> str | None:
    """The column's text for a snapshot, None for none."""
    return None if value is None else canonical(value)
