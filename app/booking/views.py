"""Read models for pages and messages: a slot or an appointment with the names to show,
as frozen dataclasses (templates, messages and the dispatcher read the same shape)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.booking.tables import Appointment, AppointmentStatus
from app.scheduling.tables import Slot
from tenants.sites import SiteView


@dataclass(frozen=True)
class SlotView:
    id: int
    starts_at: datetime
    ends_at: datetime
    practitioner_name: str
    activity_name_fr: str
    activity_name_en: str
    site: SiteView
    hold_token: str | None
    hold_until: datetime | None

    def held_by(self, token: str, now: datetime) -> bool:
        return self.hold_token == token and self.hold_until is not None and self.hold_until > now


@dataclass(frozen=True)
class AppointmentView:
    id: int
    status: AppointmentStatus
    starts_at: datetime
    ends_at: datetime
    practitioner_name: str
    activity_name_fr: str
    activity_name_en: str
    site: SiteView
    patient_id: int | None
    service_id: int | None  # the online service it was booked through, for rescheduling
    language: str
    # The appointment type's modality (SPEC §8): all False for "an appointment".
    on_site: bool
    telemedicine: bool
    telephone: bool
    video_platform: str = "none"  # app.scheduling.tables.VideoPlatform
    video_link: str = ""  # typed by staff for another platform (app.booking.video_links)

    @property
    def other_platform_link(self) -> str:
        """The link typed for a call on another platform (Zoom, Teams…), else ''."""
        return self.video_link if self.telemedicine and self.video_platform == "link" else ""

    @property
    def in_video_room(self) -> bool:
        """Held in our own video room (the built-in platform)."""
        return self.telemedicine and self.video_platform == "builtin"

    @property
    def modality(self) -> str:
        """telemedicine, telephone, on_site, or '' for "an appointment"."""
        if self.telemedicine:
            return "telemedicine"
        if self.telephone:
            return "telephone"
        return "on_site" if self.on_site else ""


def _names(table) -> list:
    return [
        table.practitioner.name.as_alias("practitioner_name"),
        table.activity.name_fr.as_alias("activity_name_fr"),
        table.activity.name_en.as_alias("activity_name_en"),
        *SiteView.columns(table.site),
    ]


async def slot_view(*, clinic_id: int, slot_id: int) -> SlotView | None:
    row = (
        await Slot.select(
            Slot.id, Slot.starts_at, Slot.ends_at, Slot.hold_token, Slot.hold_until, *_names(Slot)
        )
        .where((Slot.id == slot_id) & (Slot.clinic == clinic_id))
        .first()
    )
    if row is None:
        return None
    return SlotView(
        id=row["id"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        practitioner_name=row["practitioner_name"],
        activity_name_fr=row["activity_name_fr"],
        activity_name_en=row["activity_name_en"],
        site=SiteView.from_row(row),
        hold_token=row["hold_token"],
        hold_until=row["hold_until"],
    )


def appointment_select():
    """The columns an AppointmentView is made of (appointment_of), to filter further."""
    kind = Appointment.appointment_type
    return Appointment.select(
        Appointment.id,
        Appointment.status,
        Appointment.starts_at,
        Appointment.ends_at,
        Appointment.patient,
        Appointment.service,
        Appointment.language,
        *_names(Appointment),
        kind.on_site.as_alias("on_site"),
        kind.telemedicine.as_alias("telemedicine"),
        kind.telephone.as_alias("telephone"),
        kind.video_platform.as_alias("video_platform"),
        Appointment.video_link,
    )


def appointment_of(row: dict) -> AppointmentView:
    return AppointmentView(
        id=row["id"],
        status=AppointmentStatus(row["status"]),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        practitioner_name=row["practitioner_name"],
        activity_name_fr=row["activity_name_fr"],
        activity_name_en=row["activity_name_en"],
        site=SiteView.from_row(row),
        patient_id=row["patient"],
        service_id=row["service"],
        language=row["language"],
        # An appointment without a type (none given, none on its activity) is "an appointment".
        on_site=bool(row["on_site"]),
        telemedicine=bool(row["telemedicine"]),
        telephone=bool(row["telephone"]),
        video_platform=row["video_platform"] or "none",
        video_link=row["video_link"] or "",
    )


async def appointment_view(*, clinic_id: int, appointment_id: int) -> AppointmentView | None:
    row = (
        await appointment_select()
        .where((Appointment.id == appointment_id) & (Appointment.clinic == clinic_id))
        .first()
    )
    return appointment_of(row) if row else None


async def appointment_views(
    *, clinic_id: int, appointment_ids: list[int]
) -> dict[int, AppointmentView]:
    """Several appointments' views in one query, by id (the outbox sends messages in batches)."""
    rows = await appointment_select().where(
        Appointment.id.is_in(list(appointment_ids)) & (Appointment.clinic == clinic_id)
    )
    return {row["id"]: appointment_of(row) for row in rows}
