"""The catalogue's forms (activities, appointment types, practitioners): each a list of
typed fields, read from posted text into column values or a message per field.

One small engine for the three, so each form's bad input behaves alike: the message next
to its field, the typed text shown again, nothing saved."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.i18n import N_
from app.i18n import gettext as _
from app.scheduling.tables import PRACTITIONER_KINDS


class FieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    SELECT = "select"  # one of `options`, or none when not required
    RADIO = "radio"  # one of `options` (the modality)
    CHECKBOX = "checkbox"  # a yes/no column
    CHECKS = "checks"  # several of `options`, one checkbox each (`<name>-<id>`)


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # msgid, translated where shown
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    hint: str = ""  # msgid
    maximum: int = 200  # characters, or the largest number
    minimum: int = 0
    options: tuple[Option, ...] = ()  # fixed options; loaded ones come with the form
    default: str | None = None  # a SELECT's value when none is posted


@dataclass(frozen=True)
class Catalogue:
    """One kind of the catalogue: its fields, how an administrator names it."""

    key: str  # audit prefix and route stem: activity, appointment_type, practitioner
    title: str
    new_title: str
    edit_title: str
    fields: tuple[Field, ...]
    notice: str = ""  # msgid shown on its editor (the duration's rule)


# -- the appointment type's modality: three exclusive statuses (SPEC §8) --------------
MODALITIES = ("on_site", "telemedicine", "telephone")
NO_MODALITY = "none"
BUILTIN_VIDEO = "builtin"  # app.scheduling.tables.VideoPlatform.BUILTIN
EXTERNAL_VIDEO = "external"  # an integrated platform, Reacts-style
LINK_VIDEO = "link"  # another platform (Zoom, Teams…): its link typed on each appointment
VIDEO_PLATFORMS = (BUILTIN_VIDEO, EXTERNAL_VIDEO, LINK_VIDEO)  # each for telemedicine only

ACTIVITY = Catalogue(
    key="activity",
    title=N_("Activities"),
    new_title=N_("New activity"),
    edit_title=N_("Edit the activity"),
    fields=(
        Field("name_fr", N_("Name (French)"), required=True),
        Field("name_en", N_("Name (English)"), required=True),
        Field(
            "duration_minutes",
            N_("Duration (minutes)"),
            FieldKind.NUMBER,
            required=True,
            minimum=5,
            maximum=480,
            hint=N_("The length of each slot opened for it from now on."),
        ),
        Field("appointment_type", N_("Default appointment type"), FieldKind.SELECT),
        Field("active", N_("Active"), FieldKind.CHECKBOX),
    ),
    notice=N_(
        "Changing the duration does not change the slots already opened: they keep their "
        "length. Only schedules opened from now on use the new duration."
    ),
)

APPOINTMENT_TYPE = Catalogue(
    key="appointment_type",
    title=N_("Appointment types"),
    new_title=N_("New appointment type"),
    edit_title=N_("Edit the appointment type"),
    fields=(
        Field("name_fr", N_("Name (French)"), required=True),
        Field("name_en", N_("Name (English)"), required=True),
        Field(
            "modality",
            N_("Modality"),
            FieldKind.RADIO,
            required=True,
            hint=N_(
                "One at most: messages say on site, telemedicine or telephone, else"
                " “an appointment”."
            ),
            options=(
                Option("on_site", N_("On site")),
                Option("telemedicine", N_("Telemedicine")),
                Option("telephone", N_("Telephone")),
                Option(NO_MODALITY, N_("Not said")),
            ),
        ),
        Field(
            "video_platform",
            N_("Video platform"),
            FieldKind.SELECT,
            hint=N_(
                "For a telemedicine type: built-in video opens a video room with its waiting"
                " room for each appointment; the integrated platform invites the patient"
                " itself; another platform takes the link typed on each appointment."
            ),
            options=(
                Option("none", N_("None")),
                Option(BUILTIN_VIDEO, N_("Built-in video")),
                Option(EXTERNAL_VIDEO, N_("Integrated platform")),
                Option(LINK_VIDEO, N_("Another platform (link typed on the appointment)")),
            ),
            default="none",
        ),
        Field(
            "no_automated_communication",
            N_("No automated communication"),
            FieldKind.CHECKBOX,
            hint=N_(
                "No confirmation, reminder or notice is sent by itself; staff may still send one."
            ),
        ),
        Field(
            "no_communication",
            N_("No automated or manual communication"),
            FieldKind.CHECKBOX,
            hint=N_("Nothing is ever sent to the patient, not even by staff."),
        ),
        Field(
            "hidden_from_portal",
            N_("No communication and hidden from the patient portal"),
            FieldKind.CHECKBOX,
            hint=N_("Nothing is sent, and the patient never sees these appointments online."),
        ),
        Field(
            "active",
            N_("Active"),
            FieldKind.CHECKBOX,
            hint=N_("An inactive type cannot be used for new appointments."),
        ),
    ),
)

KIND_LABELS = {
    "gp": N_("General practitioner"),
    "specialist": N_("Specialist"),
    "nurse_practitioner": N_("Nurse practitioner"),
    "nurse": N_("Nurse"),
    "resident": N_("Resident"),
    "extern": N_("Extern"),
}

PRACTITIONER = Catalogue(
    key="practitioner",
    title=N_("Practitioners"),
    new_title=N_("New practitioner"),
    edit_title=N_("Edit the practitioner"),
    fields=(
        Field("name", N_("Name"), required=True),
        Field(
            "kind",
            N_("Kind"),
            FieldKind.SELECT,
            required=True,
            options=tuple(Option(k, KIND_LABELS[k]) for k in PRACTITIONER_KINDS),
        ),
        Field("sites", N_("Work sites"), FieldKind.CHECKS, hint=N_("Where they work.")),
        Field("is_family_doctor", N_("Takes patients as their family doctor"), FieldKind.CHECKBOX),
        Field(
            "active",
            N_("Active"),
            FieldKind.CHECKBOX,
            hint=N_("An inactive practitioner is offered nowhere, and counts as no family doctor."),
        ),
    ),
)


def parse(
    catalogue: Catalogue, data: dict[str, str], loaded: dict[str, tuple[Option, ...]]
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """`loaded`: the options read from the clinic (types, sites), by field name."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in catalogue.fields:
        options = loaded.get(f.name, f.options)
        raw = data.get(f.name, "").strip()
        if f.kind is FieldKind.TEXT:
            if f.required and not raw:
                errors[f.name] = _("Enter the name.")
            elif len(raw) > f.maximum:
                errors[f.name] = _("At most %(max)d characters.", max=f.maximum)
            values[f.name] = raw
        elif f.kind is FieldKind.NUMBER:
            number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else None
            if number is None or not f.minimum <= number <= f.maximum:
                errors[f.name] = _(
                    "Enter a whole number from %(min)d to %(max)d.", min=f.minimum, max=f.maximum
                )
            values[f.name] = number
        elif f.kind in (FieldKind.SELECT, FieldKind.RADIO):
            allowed = {o.value for o in options}
            if raw and raw not in allowed or (f.required and not raw):
                errors[f.name] = _("Choose one of the options.")
            values[f.name] = raw or f.default
        elif f.kind is FieldKind.CHECKBOX:
            values[f.name] = data.get(f.name) == "on"
        else:  # CHECKS: unknown ids (another clinic's) are never among the options
            values[f.name] = frozenset(
                int(o.value) for o in options if data.get(f"{f.name}-{o.value}") == "on"
            )
    if values.get("video_platform") in VIDEO_PLATFORMS and values.get("modality") != "telemedicine":
        errors["video_platform"] = (
            _("Built-in video is for a telemedicine type.")
            if values["video_platform"] == BUILTIN_VIDEO
            else _("Another video platform is for a telemedicine type.")
        )
    return (None, errors) if errors else (values, {})


def shown_values(catalogue: Catalogue, row: dict[str, Any]) -> dict[str, str]:
    """A saved row as the form's fields."""
    out: dict[str, str] = {}
    for f in catalogue.fields:
        value = row.get(f.name)
        if f.kind is FieldKind.CHECKBOX:
            if value:
                out[f.name] = "on"
        elif f.kind is FieldKind.CHECKS:
            out.update({f"{f.name}-{i}": "on" for i in value or ()})
        else:
            out[f.name] = "" if value is None else str(value)
    return out


def as_text(
    catalogue: Catalogue, values: dict[str, Any] | None, loaded: dict[str, tuple[Option, ...]]
) -> dict[str, str]:
    """Each audited field as an administrator reads it (labels, not ids)."""
    if values is None:
        return {}
    out = {}
    for f in catalogue.fields:
        value = values.get(f.name)
        labels = {o.value: o.label for o in loaded.get(f.name, f.options)}
        if f.kind is FieldKind.CHECKBOX:
            out[f.name] = "true" if value else "false"
        elif f.kind is FieldKind.CHECKS:
            out[f.name] = ", ".join(sorted(labels.get(str(i), str(i)) for i in value or ()))
        elif f.kind in (FieldKind.SELECT, FieldKind.RADIO):
            out[f.name] = "" if value is None else str(labels.get(str(value), value))
        else:
            out[f.name] = "" if value is None else str(value)
    return out
