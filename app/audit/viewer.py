"""Reading the audit log for an administrator: the rows of one clinic that match the
filters, newest first, and each made readable (who, when, what, on what, and the fields
that changed, before → after, with names instead of ids where the clinic has them).

Every query names the clinic: an administrator never sees another clinic's rows, even by
typing its ids into the filters."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app import i18n
from app.audit.filters import Filters
from app.audit.tables import AuditEntry
from app.booking.tables import STATUS_LABELS
from app.db import is_postgres
from app.i18n import N_
from app.patients.tables import Patient
from app.scheduling.tables import Activity, AppointmentType, Practitioner
from app.staff.tables import ROLE_LABELS, StaffAccount
from tenants.tables import WorkSite

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000  # rows in one CSV; narrow the dates for more
NAME_MATCHES = 500  # files a name may stand for in one search

ACTION_LABELS = {
    "appointment.created": N_("Appointment booked"),
    "appointment.moved": N_("Appointment moved"),
    "appointment.cancelled": N_("Appointment cancelled"),
    "appointment.status": N_("Appointment status changed"),
    "appointment.attached": N_("Appointment attached to a file"),
    "appointment.video_link": N_("Video link changed"),
    "schedule.opened": N_("Schedule opened"),
    "schedule.closed": N_("Free slots closed"),
    "schedule.template_saved": N_("Schedule template saved"),
    "schedule.template_deleted": N_("Schedule template deleted"),
    "patient.created": N_("Patient file created"),
    "patient.updated": N_("Patient file edited"),
    "patient.contacts": N_("Patient contacts changed"),
    "patient.merged": N_("Patient files merged"),
    "patient.dependants": N_("Dependants changed"),
    "setting.changed": N_("Setting changed"),
    "account.created": N_("Account created"),
    "account.updated": N_("Account edited"),
    "account.deactivated": N_("Account deactivated"),
    "account.two_factor": N_("Two-factor authentication changed"),
    "account.linked": N_("Account linked to the identity provider"),
    "sign_in.signed_in": N_("Signed in"),
    "sign_in.failed": N_("Failed sign-in"),
    "sign_in.locked": N_("Sign-in refused: too many attempts"),
    "sign_in.signed_out": N_("Signed out"),
    "call.started": N_("Patient in the waiting room"),
    "call.ready": N_("Patient marked ready"),
    "call.accepted": N_("Patient let into the call"),
    "call.late": N_("Running late message sent"),
    "call.ended": N_("Call ended"),
    "call.file_shared": N_("File shared in the call"),
    "payment.requested": N_("Payment requested"),
    "payment.paid": N_("Payment received"),
    "payment.expired": N_("Payment request expired"),
    "payment.webhook_refused": N_("Payment notice refused"),
}
ENTITY_LABELS = {
    "appointment": N_("Appointment #%(id)s"),
    "schedule": N_("Schedule opening #%(id)s"),
    "schedule_template": N_("Schedule template #%(id)s"),
    "patient": N_("Patient file #%(id)s"),
    "setting": N_("Setting %(id)s"),
    "account": N_("Account #%(id)s"),
}
FIELD_LABELS = {
    "status": N_("Status"),
    "starts_at": N_("Starts"),
    "ends_at": N_("Ends"),
    "patient_id": N_("Patient"),
    "practitioner_id": N_("Practitioner"),
    "site_id": N_("Site"),
    "activity_id": N_("Activity"),
    "appointment_type_id": N_("Appointment type"),
    "slot_id": N_("Slot"),
    "source": N_("Source"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "birth_date": N_("Date of birth"),
    "sex": N_("Sex"),
    "hin": N_("Health insurance number"),
    "file_number": N_("File number"),
    "contacts": N_("Contacts"),
    "first_day": N_("First day"),
    "last_day": N_("Last day"),
    "origin": N_("Origin"),
    "slot_count": N_("Slots"),
    "publish_at": N_("Publication"),
    "rule": N_("Recurrence"),
    "template_id": N_("Template"),
    "name": N_("Name"),
    "blocks": N_("Blocks"),
    "email": N_("Email"),
    "role": N_("Role"),
    "active": N_("Active"),
    "two_factor": N_("Two-factor authentication"),
    "oidc_issuer": N_("Identity provider"),
    "oidc_subject": N_("Provider subject"),
    "method": N_("Method"),
    "outcome": N_("Outcome"),
}
SOURCE_LABELS = {"online": N_("Online booking"), "staff": N_("Staff")}
ACTOR_KINDS = {"staff": N_("Staff"), "patient": N_("Patient"), "system": N_("System")}
_EMPTY = (None, "", [], {})
_SAID_BY_THE_ACTION = {"outcome"}  # a sign-in's outcome is its action
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(\+00:00|Z)")


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class EntryView:
    id: int
    seq: int
    at: datetime
    actor_kind: str  # translated: Staff, Patient, System
    who: str
    action: str
    entity: str
    changes: tuple[Change, ...]
    client: str
    # The filters one click narrows to: this staff member's, this file's, this appointment's.
    actor_filter: str = ""
    patient_id: int | None = None
    patient_name: str = ""
    appointment_id: int | None = None


@dataclass(frozen=True)
class Names:
    """The clinic's names for the ids that snapshots carry."""

    practitioners: dict[int, str]
    sites: dict[int, str]
    activities: dict[int, str]
    types: dict[int, str]
    patients: dict[int, str]


async def actor_choices(clinic_id: int) -> list[tuple[str, str]]:
    """The actor filter's options: patients, the system, then every staff account."""
    accounts = (
        await StaffAccount.select(StaffAccount.id, StaffAccount.name, StaffAccount.email)
        .where(StaffAccount.clinic == clinic_id)
        .order_by(StaffAccount.name)
    )
    return [
        ("patient", i18n.gettext("A patient")),
        ("system", i18n.gettext("The system")),
        *((f"staff:{a['id']}", f"{a['name']} ({a['email']})") for a in accounts),
    ]


async def _condition(clinic_id: int, filters: Filters, time_zone: str):
    """The filters as a where clause, or None when they can match no row."""
    zone = ZoneInfo(time_zone)
    where = AuditEntry.clinic == clinic_id
    if filters.first_day:
        where &= AuditEntry.at >= datetime.combine(filters.first_day, time(), zone)
    if filters.last_day:
        end = datetime.combine(filters.last_day + timedelta(days=1), time(), zone)
        where &= AuditEntry.at < end
    if filters.actor == "patient":
        where &= AuditEntry.actor_kind == "patient"
    elif filters.actor == "system":
        where &= AuditEntry.actor_kind == "system"
    elif filters.actor.startswith("staff:"):
        where &= (AuditEntry.actor_kind == "staff") & (
            AuditEntry.actor_account == int(filters.actor.removeprefix("staff:"))
        )
    if filters.patient_id is not None:
        where &= AuditEntry.patient_id == filters.patient_id
    elif filters.patient_name:
        ids = await _patients_named(clinic_id, filters.patient_name)
        if not ids:
            return None
        where &= AuditEntry.patient_id.is_in(ids)
    if filters.appointment_id is not None:
        where &= AuditEntry.appointment_id == filters.appointment_id
    return where


async def _patients_named(clinic_id: int, name: str) -> list[int]:
    """The clinic's files whose first or last name contains every word typed."""
    query = Patient.select(Patient.id).where(Patient.clinic == clinic_id)
    # SQLite's LIKE already ignores case (for ASCII letters); PostgreSQL needs ILIKE.
    match = "ilike" if is_postgres() else "like"
    for word in name.split():
        pattern = f"%{word}%"
        query = query.where(
            getattr(Patient.first_name, match)(pattern) | getattr(Patient.last_name, match)(pattern)
        )
    return [row["id"] for row in await query.limit(NAME_MATCHES)]


async def page(clinic_id: int, filters: Filters, time_zone: str) -> tuple[list[EntryView], bool]:
    """One page of rows, newest first, and whether older ones follow."""
    rows = await rows_matching(
        clinic_id, filters, time_zone, limit=PAGE_SIZE + 1, offset=(filters.page - 1) * PAGE_SIZE
    )
    views = await present(clinic_id, rows[:PAGE_SIZE], time_zone)
    return views, len(rows) > PAGE_SIZE


async def rows_matching(
    clinic_id: int, filters: Filters, time_zone: str, *, limit: int, offset: int = 0
) -> list[dict]:
    where = await _condition(clinic_id, filters, time_zone)
    if where is None:
        return []
    return (
        await AuditEntry.select()
        .where(where)
        .order_by(AuditEntry.seq, ascending=False)
        .limit(limit)
        .offset(offset)
    )


async def _names(clinic_id: int, rows: list[dict]) -> Names:
    locale_name = "name_en" if i18n.current() == "en" else "name_fr"

    async def named(table, column: str = "name") -> dict[int, str]:
        found = await table.select(table.id, getattr(table, column)).where(
            table.clinic == clinic_id
        )
        return {r["id"]: r[column] for r in found}

    patient_ids = {r["patient_id"] for r in rows if r["patient_id"] is not None}
    patients = {}
    if patient_ids:
        found = await Patient.select(Patient.id, Patient.first_name, Patient.last_name).where(
            (Patient.clinic == clinic_id) & Patient.id.is_in(sorted(patient_ids))
        )
        patients = {r["id"]: f"{r['first_name']} {r['last_name']}" for r in found}
    return Names(
        practitioners=await named(Practitioner),
        sites=await named(WorkSite, locale_name),
        activities=await named(Activity, locale_name),
        types=await named(AppointmentType, locale_name),
        patients=patients,
    )


async def present(clinic_id: int, rows: list[dict], time_zone: str) -> list[EntryView]:
    names = await _names(clinic_id, rows)
    zone = ZoneInfo(time_zone)
    return [_view(row, names, zone) for row in rows]


def _view(row: dict, names: Names, zone: ZoneInfo) -> EntryView:
    kind = row["actor_kind"]
    if kind == "patient":
        who = names.patients.get(row["patient_id"]) or i18n.gettext("Patient")
    else:
        who = row["actor_label"] or (
            f"#{row['actor_account']}" if row["actor_account"] else i18n.gettext("System")
        )
    action = ACTION_LABELS.get(row["action"])
    entity_label = ENTITY_LABELS.get(row["entity_kind"])
    entity = i18n.gettext(entity_label, id=row["entity_id"]) if entity_label else row["entity_kind"]
    if row["action"].startswith("sign_in.") and not row["entity_id"]:
        # No account was looked up (a lockout) or none has this email: the email typed.
        entity = (_loads(row["after"]) or {}).get("email") or i18n.gettext("No account")
    return EntryView(
        id=row["id"],
        seq=row["seq"],
        at=row["at"].astimezone(zone),
        actor_kind=i18n.gettext(ACTOR_KINDS.get(kind, kind)),
        who=who,
        action=i18n.gettext(action) if action else row["action"],
        entity=entity,
        changes=tuple(changes(_loads(row["before"]), _loads(row["after"]), names, zone)),
        client=row["client"],
        actor_filter=f"staff:{row['actor_account']}" if kind == "staff" else kind,
        patient_id=row["patient_id"],
        patient_name=names.patients.get(row["patient_id"], ""),
        appointment_id=row["appointment_id"],
    )


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def changes(before: Any, after: Any, names: Names, zone: ZoneInfo) -> list[Change]:
    """The fields that differ, before → after; every field of a creation or deletion."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    # In the order an administrator reads them (FIELD_LABELS'), not the JSON's sorted one.
    order = {key: index for index, key in enumerate(FIELD_LABELS)}
    keys = sorted({*new, *old}, key=lambda k: (order.get(k, len(order)), k))
    found = []
    for key in keys:
        if before is not None and after is not None and old.get(key) == new.get(key):
            continue
        if (before is None or after is None) and old.get(key) in _EMPTY and new.get(key) in _EMPTY:
            continue  # a creation's or deletion's empty fields say nothing
        if key in _SAID_BY_THE_ACTION:
            continue
        label = FIELD_LABELS.get(key)
        found.append(
            Change(
                field=i18n.gettext(label) if label else key,
                before=shown(key, old.get(key), names, zone) if before is not None else "",
                after=shown(key, new.get(key), names, zone) if after is not None else "",
            )
        )
    return found


def shown(key: str, value: Any, names: Names, zone: ZoneInfo) -> str:
    """A snapshot's value as an administrator reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return i18n.gettext("Yes") if value else i18n.gettext("No")
    lookups = {
        "practitioner_id": names.practitioners,
        "site_id": names.sites,
        "activity_id": names.activities,
        "appointment_type_id": names.types,
        "patient_id": names.patients,
    }
    if key in lookups and isinstance(value, int):
        name = lookups[key].get(value)
        return f"{name} (#{value})" if name else f"#{value}"
    if key == "source" and value in SOURCE_LABELS:
        return i18n.gettext(SOURCE_LABELS[value])
    if key == "status" and value in STATUS_LABELS:
        return i18n.gettext(STATUS_LABELS[value])
    if key == "role" and value in ROLE_LABELS:
        return i18n.gettext(ROLE_LABELS[value])
    if isinstance(value, str) and _INSTANT.fullmatch(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone)
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
