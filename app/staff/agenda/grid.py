"""Slots laid out as a table of time rows, columns side by side (a site's practitioners,
or a practitioner's days): every start or end of a slot is a row boundary, and a slot
spans the rows it covers (rowspan). A table keeps the time column sticky and the
columns aligned without any inline style (the page's CSP allows none), and reads
row by row to a screen reader. Pure: no database, no request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Hashable, Iterable, Sequence

from app.staff.agenda.views import SlotCell


@dataclass(frozen=True, slots=True)
class Cell:
    """A column's entry starting on a row: its slot (or, should two overlap, slots)."""

    slots: tuple[SlotCell, ...]
    span: int  # rows covered


EMPTY = None  # nothing in this column on this row


@dataclass(frozen=True, slots=True)
class Row:
    start: time
    end: time
    entries: tuple[Cell | None, ...]  # one per column not covered by an earlier cell
    gap: bool = False  # no slot in any column starts here or runs through: a pause


@dataclass(frozen=True)
class Grid:
    columns: tuple[Hashable, ...]
    rows: tuple[Row, ...]

    @property
    def empty(self) -> bool:
        return not self.rows


def _end(slot: SlotCell) -> time:
    # A slot running past midnight ends, on its day's grid, at the day's end.
    return slot.end if slot.end > slot.start else time.max


def build(columns: Sequence[Hashable], slots_of: dict[Hashable, Iterable[SlotCell]]) -> Grid:
    """`slots_of[column]` are that column's slots (any order)."""
    by_column = {
        column: sorted(slots_of.get(column, ()), key=lambda s: (s.start, s.id))
        for column in columns
    }
    boundaries = sorted(
        {moment for slots in by_column.values() for s in slots for moment in (s.start, _end(s))}
    )
    if len(boundaries) < 2:
        return Grid(tuple(columns), ())
    index = {moment: i for i, moment in enumerate(boundaries)}
    row_count = len(boundaries) - 1
    # starts[column][row] = the cell starting there; covered[column] = rows under a cell.
    starts: dict[Hashable, dict[int, Cell]] = {}
    covered: dict[Hashable, set[int]] = {}
    for column, slots in by_column.items():
        cells: dict[int, list] = {}  # row -> [slots, span]
        under: set[int] = set()
        until, opened_at = -1, -1
        for slot in slots:
            first, last = index[slot.start], index[_end(slot)]
            if first < until:
                # Overlapping slots (the engine refuses them; be safe): one cell holds both.
                cells[opened_at][0].append(slot)
                if last > until:
                    cells[opened_at][1] = last - opened_at
                    under.update(range(until, last))
                    until = last
                continue
            cells[first] = [[slot], last - first]
            under.update(range(first + 1, last))
            until, opened_at = last, first
        starts[column] = {row: Cell(tuple(found), span) for row, (found, span) in cells.items()}
        covered[column] = under
    rows = []
    for i in range(row_count):
        entries = tuple(
            starts[column].get(i, EMPTY) for column in columns if i not in covered[column]
        )
        gap = len(entries) == len(columns) and all(entry is EMPTY for entry in entries)
        rows.append(Row(boundaries[i], boundaries[i + 1], entries, gap))
    return Grid(tuple(columns), tuple(rows))
