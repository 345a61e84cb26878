"""Whole numbers read from outside (forms, query strings, links, settings): the one way
to turn text into an int.

`str.isdigit()` accepts "²" and other Unicode digits that `int()` then refuses, and
`int()` refuses text longer than 4,300 digits; either would be a 500. Only ASCII
digits pass here, and no more of them than the largest value allowed has."""

from __future__ import annotations

MAX_ID = 2**31 - 1  # a row id: PostgreSQL's serial is a 32-bit integer


def whole_number(text: str, *, maximum: int) -> int | None:
    """The value `text` spells in ASCII digits, from 0 to `maximum`; None for anything else."""
    if not 0 < len(text) <= len(str(maximum)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= maximum else None
