"""The front desk adds, corrects, removes and confirms a file's contacts. A contact staff
type or confirm is one the file vouches for (verified); a phone is stored in E.164 (read
with the clinic's country), an email lower-cased, as the portal stores them. Each change
renumbers the positions 1..n and emits PatientChanged(CONTACTS), before and after, inside
its transaction. Only an active file of this clinic changes: anything else is False."""

from __future__ import annotations

from typing import Mapping

from app.db import write_transaction
from app.events import Actor, EventBus
from app.i18n import N_
from app.i18n import gettext as _
from app.patients import normalise
from app.patients.contacts import Contact
from app.patients.events import PatientChange, PatientChanged
from app.patients.snapshot import file_snapshot
from app.patients.tables import ContactDetail, Patient

FIELDS = ("kind", "value")
KINDS = {"cell": N_("Cell phone"), "home": N_("Home phone"), "email": N_("Email")}
MAX_CONTACTS = 10
VALUE_MAX = 254


def parse_contact(
    data: Mapping[str, str], *, country: str
) -> tuple[Contact | None, dict[str, str]]:
    kind = (data.get("kind") or "").strip()
    raw = (data.get("value") or "").strip()
    errors: dict[str, str] = {}
    if kind not in KINDS:
        errors["kind"] = _("Choose the kind of contact.")
    if not raw:
        errors["value"] = _("Enter the email or the phone number.")
    elif len(raw) > VALUE_MAX:
        errors["value"] = _("Keep this under %(n)s characters.", n=VALUE_MAX)
    if errors:
        return None, errors
    if kind == "email":
        value = normalise.email(raw)
        if value is None:
            errors["value"] = _("Enter a valid email address, e.g. name@example.com.")
    else:
        value = normalise.phone_e164(raw, region=country)
        if value is None:
            errors["value"] = _(
                "Enter a valid phone number, e.g. %(example)s.",
                example=normalise.example_cell(country),
            )
        elif kind == "cell" and not normalise.can_receive_texts(value):
            errors["value"] = _(
                "This number cannot receive text messages: choose Home phone or enter a cell "
                "phone number."
            )
    return (None, errors) if errors else (Contact(kind, value), {})


async def _contact_ids(clinic_id: int, patient_id: int) -> list[int]:
    rows = await (
        ContactDetail.select(ContactDetail.id)
        .where((ContactDetail.clinic == clinic_id) & (ContactDetail.patient == patient_id))
        .order_by(ContactDetail.position, ContactDetail.id)
    )
    return [row["id"] for row in rows]


async def _renumber(clinic_id: int, ids: list[int]) -> None:
    for position, row_id in enumerate(ids, start=1):
        await ContactDetail.update({ContactDetail.position: position}).where(
            (ContactDetail.id == row_id) & (ContactDetail.clinic == clinic_id)
        )


async def _taken(clinic_id: int, patient_id: int, value: str, *, other_than: int | None) -> bool:
    """Whether another contact of the file has this value (emails on file without case)."""
    rows = await ContactDetail.select(ContactDetail.id, ContactDetail.value).where(
        (ContactDetail.clinic == clinic_id) & (ContactDetail.patient == patient_id)
    )
    return any(row["value"].lower() == value.lower() and row["id"] != other_than for row in rows)


async def _active(clinic_id: int, patient_id: int) -> bool:
    return await Patient.exists().where(
        (Patient.clinic == clinic_id) & (Patient.id == patient_id) & (Patient.status == "active")
    )


class _Change:
    """One contact change: the file's contacts in order, the snapshot before, the event
    after."""

    def __init__(self, clinic_id: int, patient_id: int, actor: Actor, bus: EventBus):
        self.clinic_id, self.patient_id, self.actor, self.bus = clinic_id, patient_id, actor, bus
        self.ids: list[int] = []

    async def done(self) -> None:
        after = await file_snapshot(self.clinic_id, self.patient_id)
        if after != self.before:
            await self.bus.emit(
                PatientChanged(
                    self.clinic_id,
                    self.patient_id,
                    self.actor,
                    PatientChange.CONTACTS,
                    self.before,
                    after,
                )
            )


async def _begin(
    clinic_id: int, patient_id: int, actor: Actor, bus: EventBus, contact_id: int | None = None
) -> _Change | None:
    """Inside the caller's transaction: None unless the file is this clinic's and active
    (and the contact, when one is named, is the file's)."""
    if not await _active(clinic_id, patient_id):
        return None
    change = _Change(clinic_id, patient_id, actor, bus)
    change.ids = await _contact_ids(clinic_id, patient_id)
    if contact_id is not None and contact_id not in change.ids:
        return None
    change.before = await file_snapshot(clinic_id, patient_id)
    return change


async def add(
    *, clinic_id: int, patient_id: int, contact: Contact, actor: Actor, bus: EventBus
) -> dict[str, str] | None:
    """The contact joins the file last. None when the file is not this clinic's active
    file; else the errors ({} when added)."""
    async with write_transaction():
        change = await _begin(clinic_id, patient_id, actor, bus)
        if change is None:
            return None
        if len(change.ids) >= MAX_CONTACTS:
            return {
                "value": _("A file keeps at most %(n)s contacts: remove one first.", n=MAX_CONTACTS)
            }
        if await _taken(clinic_id, patient_id, contact.value, other_than=None):
            return {"value": _("This contact is already on the file.")}
        await ContactDetail.insert(
            ContactDetail(
                clinic=clinic_id,
                patient=patient_id,
                kind=contact.kind,
                value=contact.value,
                position=len(change.ids) + 1,
                verified=True,
            )
        )
        await change.done()
        return {}


async def correct(
    *,
    clinic_id: int,
    patient_id: int,
    contact_id: int,
    contact: Contact,
    actor: Actor,
    bus: EventBus,
) -> dict[str, str] | None:
    """The contact takes the typed kind and value, in place, and is now vouched for. None
    when the contact is not one of this clinic's active file's; else the errors."""
    async with write_transaction():
        change = await _begin(clinic_id, patient_id, actor, bus, contact_id)
        if change is None:
            return None
        if await _taken(clinic_id, patient_id, contact.value, other_than=contact_id):
            return {"value": _("This contact is already on the file.")}
        await ContactDetail.update(
            {
                ContactDetail.kind: contact.kind,
                ContactDetail.value: contact.value,
                ContactDetail.verified: True,
            }
        ).where((ContactDetail.clinic == clinic_id) & (ContactDetail.id == contact_id))
        await change.done()
        return {}


async def remove(
    *, clinic_id: int, patient_id: int, contact_id: int, actor: Actor, bus: EventBus
) -> bool:
    async with write_transaction():
        change = await _begin(clinic_id, patient_id, actor, bus, contact_id)
        if change is None:
            return False
        await ContactDetail.delete().where(
            (ContactDetail.clinic == clinic_id) & (ContactDetail.id == contact_id)
        )
        change.ids.remove(contact_id)
        await _renumber(clinic_id, change.ids)
        await change.done()
        return True


async def confirm(
    *, clinic_id: int, patient_id: int, contact_id: int, actor: Actor, bus: EventBus
) -> bool:
    """Staff vouch for a pending contact (the patient confirmed it at the desk or on the
    phone): it now receives the file's messages."""
    async with write_transaction():
        change = await _begin(clinic_id, patient_id, actor, bus, contact_id)
        if change is None:
            return False
        await ContactDetail.update({ContactDetail.verified: True}).where(
            (ContactDetail.clinic == clinic_id) & (ContactDetail.id == contact_id)
        )
        await change.done()
        return True


async def move(
    *, clinic_id: int, patient_id: int, contact_id: int, up: bool, actor: Actor, bus: EventBus
) -> bool:
    """Swap a contact with its neighbour above or below."""
    async with write_transaction():
        change = await _begin(clinic_id, patient_id, actor, bus, contact_id)
        if change is None:
            return False
        ids = change.ids
        at = ids.index(contact_id)
        to = at - 1 if up else at + 1
        if 0 <= to < len(ids):
            ids[at], ids[to] = ids[to], ids[at]
            await _renumber(clinic_id, ids)
            await change.done()
        return True
