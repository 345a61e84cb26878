"""The administration's reminder schedule form: rows of amount + unit + "asks to
confirm", read and checked here (pure). A blank amount leaves its row out; every
refusal is said next to the field it is about."""

from __future__ import annotations

from dataclasses import dataclass

from app import i18n
from app.numbers import whole_number
from app.reminders.schedule import (
    MAX_ENTRIES,
    MAX_HOURS,
    UNITS,
    Entry,
    Schedule,
    ordered,
    parse,
)

ROWS = MAX_ENTRIES


@dataclass(frozen=True)
class Read:
    schedule: Schedule | None  # None when refused
    typed: list[dict]  # per row: amount, unit, confirm, as typed (to show again)
    errors: dict[str, str]  # field name → message


def rows_of(schedule: Schedule) -> list[dict]:
    """The form's rows for a stored schedule, blank rows after it."""
    rows = [
        {"amount": str(e.amount), "unit": e.unit, "confirm": e.confirm} for e in schedule.entries
    ]
    return rows + [{"amount": "", "unit": "days", "confirm": False}] * (ROWS - len(rows))


def read(data: dict[str, str]) -> Read:
    typed, errors, entries, seen = [], {}, [], {}
    for row in range(1, ROWS + 1):
        amount = data.get(f"amount_{row}", "").strip()
        unit = data.get(f"unit_{row}", "days")
        confirm = data.get(f"confirm_{row}", "") != ""
        typed.append(
            {"amount": amount[:20], "unit": unit if unit in UNITS else "", "confirm": confirm}
        )
        if unit not in UNITS:
            errors[f"unit_{row}"] = i18n.gettext("Choose hours or days.")
            continue
        if not amount:
            if confirm:
                errors[f"amount_{row}"] = i18n.gettext(
                    "Enter how long before the appointment this reminder goes."
                )
            continue
        value = whole_number(amount, maximum=99_999)
        if not value:
            errors[f"amount_{row}"] = i18n.gettext("Enter a whole number, 1 or more.")
            continue
        entry = Entry(value, unit, confirm)
        if entry.hours > MAX_HOURS:
            errors[f"amount_{row}"] = i18n.gettext(
                "At most %(days)d days before the appointment.", days=MAX_HOURS // 24
            )
            continue
        if entry.hours in seen:
            errors[f"amount_{row}"] = i18n.gettext(
                "Reminder %(row)d already goes at this time.", row=seen[entry.hours]
            )
            continue
        seen[entry.hours] = row
        entries.append(entry)
    if not entries and not errors:
        errors["amount_1"] = i18n.gettext("Keep at least one reminder.")
    return Read(None if errors else ordered(entries), typed, errors)


def describe(schedule: Schedule) -> list[str]:
    """Each reminder in words, earliest first: "3 days before, asks to confirm"."""
    out = []
    for entry in schedule.entries:
        lead = (
            i18n.ngettext("%(num)d day before", "%(num)d days before", entry.amount)
            if entry.unit == "days"
            else i18n.ngettext("%(num)d hour before", "%(num)d hours before", entry.amount)
        )
        out.append(i18n.gettext("%(lead)s, asks to confirm", lead=lead) if entry.confirm else lead)
    return out


def label(text: str) -> str:
    """A schedule's stored text in words, for the no-show rate ("" for none recorded)."""
    return "; ".join(describe(parse(text))) if text else ""
