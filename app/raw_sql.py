"""Hot-path reads written once as SQL.

Piccolo builds a select's SQL anew at every run, and under a booking storm that building
cost more of the app's CPU than running the statements (a storm's profile: the foreign-key
lookups and the where clauses' tree). The few reads every portal request makes are
therefore constant strings, with `{}` for Piccolo's raw() to bind (both databases).
Piccolo's SQLite converters and asyncpg still type the columns (dates, booleans,
timestamps); JSON arrives as text on both."""

from __future__ import annotations

import json
from typing import Any


def select_sql(table: str, columns: list[str], rest: str) -> str:
    """SELECT the columns, by their own names, FROM the table, then `rest` (WHERE …)."""
    listed = ", ".join(f'"{column}"' for column in columns)
    return f'SELECT {listed} FROM "{table}" {rest}'


def placeholders(count: int) -> str:
    """`{}, {}, …` for an IN list of `count` values (at least one)."""
    return ", ".join(["{}"] * count)


def json_value(value: Any) -> Any:
    """A JSON column's value as Python: parsed from its text, or as the driver gave it."""
    return json.loads(value) if isinstance(value, str) else value
