"""Read models for pages and messages: a slot or an appointment with the names to show."""

from __future__ import annotations

from app.booking.tables import Appointment
from app.scheduling.tables import Slot

_SITE = ("slug", "name_fr", "name_en", "address", "phone", "contact_details",
         "patient_message_fr", "patient_message_en", "patient_can_cancel",
         "patient_can_check_in", "questionnaire_url")


def _with_names(table):
    columns = [
        table.practitioner.name.as_alias("practitioner_name"),
        table.activity.name_fr.as_alias("activity_name_fr"),
        table.activity.name_en.as_alias("activity_name_en"),
    ]
    columns += [getattr(table.site, field).as_alias(f"site_{field}") for field in _SITE]
    return columns


async def slot_view(*, clinic_id: int, slot_id: int) -> dict | None:
    return (
        await Slot.select(Slot.all_columns(), *_with_names(Slot))
        .where((Slot.id == slot_id) & (Slot.clinic == clinic_id))
        .first()
    )


def _appointment_select():
    kind = Appointment.appointment_type
    return Appointment.select(
        Appointment.all_columns(),
        *_with_names(Appointment),
        kind.on_site.as_alias("type_on_site"),
        kind.telemedicine.as_alias("type_telemedicine"),
        kind.telephone.as_alias("type_telephone"),
    )


async def appointment_view(*, clinic_id: int, appointment_id: int) -> dict | None:
    return await _appointment_select().where(
        (Appointment.id == appointment_id) & (Appointment.clinic == clinic_id)
    ).first()


async def appointment_views(*, clinic_id: int, appointment_ids: list[int]) -> dict[int, dict]:
    """Several appointments' views in one query, by id (the outbox sends messages in batches)."""
    rows = await _appointment_select().where(
        Appointment.id.is_in(list(appointment_ids)) & (Appointment.clinic == clinic_id)
    )
    return {row["id"]: row for row in rows}


def site_of(view: dict) -> dict:
    """The site fields of a view, under their own names, for the site templates."""
    return {field: view[f"site_{field}"] for field in _SITE}
