"""What the engine knows of external integrated platforms (SPEC §9): an appointment of
such a type needs the patient's email (the platform invites them by email), and cannot
be moved (the platform cannot change a session: cancel and book again). The platform
itself lives higher up (app.platforms), behind its listener."""

from __future__ import annotations

from app.i18n import N_
from app.patients.tables import ContactDetail
from app.scheduling.tables import Activity, AppointmentType, Slot, VideoPlatform

# SPEC §9's words, wherever such a booking is refused (staff dialog, portal).
EMAIL_REQUIRED_MESSAGE = N_("This patient has no email address. Add one in the patient's file.")
MOVE_REFUSED_MESSAGE = N_(
    "This appointment's video platform cannot change its time: cancel it and book a new "
    'one in one step with "Cancel and rebook".'
)


async def is_external(*, clinic_id: int, type_id: int | None) -> bool:
    if type_id is None:
        return False
    return await AppointmentType.exists().where(
        (AppointmentType.id == type_id)
        & (AppointmentType.clinic == clinic_id)
        & (AppointmentType.telemedicine == True)  # noqa: E712 - SQL
        & (AppointmentType.video_platform == VideoPlatform.EXTERNAL.value)
    )


async def type_of_slot(*, clinic_id: int, slot_id: int) -> int | None:
    """The activity's default type: what a booking without a chosen type gets."""
    row = await (
        Slot.select(Slot.activity.appointment_type.as_alias("type_id"))
        .where((Slot.id == slot_id) & (Slot.clinic == clinic_id))
        .first()
    )
    return row["type_id"] if row else None


async def type_of_activity(*, clinic_id: int, activity_id: int) -> int | None:
    row = await (
        Activity.select(Activity.appointment_type)
        .where((Activity.id == activity_id) & (Activity.clinic == clinic_id))
        .first()
    )
    return row["appointment_type"] if row else None


async def patient_email(
    *, clinic_id: int, patient_id: int | None, contact_email: str | None
) -> str | None:
    """The email typed for this booking, else the file's first verified one."""
    if contact_email and contact_email.strip():
        return contact_email.strip()
    if patient_id is None:
        return None
    row = await (
        ContactDetail.select(ContactDetail.value)
        .where(
            (ContactDetail.clinic == clinic_id)
            & (ContactDetail.patient == patient_id)
            & (ContactDetail.kind == "email")
            & (ContactDetail.verified == True)  # noqa: E712 - SQL
        )
        .order_by(ContactDetail.position, ContactDetail.id)
        .first()
    )
    return row["value"] if row else None
