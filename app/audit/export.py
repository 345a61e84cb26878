"""The audit log as CSV, for a spreadsheet. A cell that starts with = + - @, a tab or a
carriage return would be read as a formula by Excel or LibreOffice (a patient can type
their own name, a staff member a setting): such cells are prefixed with a quote."""

from __future__ import annotations

import csv
import io

from app import i18n
from app.audit.viewer import EntryView

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(views: list[EntryView], rows: list[dict]) -> str:
    """One line per row: the readable columns of the viewer, then the raw record."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            i18n.gettext("When"),
            i18n.gettext("Actor kind"),
            i18n.gettext("Who"),
            i18n.gettext("Staff account"),
            i18n.gettext("Action"),
            i18n.gettext("Entity"),
            i18n.gettext("Patient file"),
            i18n.gettext("Appointment"),
            i18n.gettext("Changes"),
            i18n.gettext("Client address"),
            "action",
            "before",
            "after",
            "seq",
            "hash",
        ]
    )
    for view, row in zip(views, rows):
        changed = "; ".join(f"{c.field}: {c.before} → {c.after}" for c in view.changes)
        writer.writerow(
            [
                cell(value)
                for value in (
                    view.at.isoformat(timespec="seconds"),
                    view.actor_kind,
                    view.who,
                    row["actor_account"],
                    view.action,
                    view.entity,
                    row["patient_id"],
                    row["appointment_id"],
                    changed,
                    view.client,
                    row["action"],
                    row["before"],
                    row["after"],
                    row["seq"],
                    row["hash"],
                )
            ]
        )
    return out.getvalue()
