"""What a message says, in the patient's language and for the appointment's modality.

Only the date, time, place and practitioner appear: no reason, activity or other
health detail goes into an email or an SMS. A brief message (a confirmation sent to a
contact the patient file does not vouch for, see app.patients.contacts) says only the
date, time and place: no practitioner, no site message, no link, and a calendar file
without one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from jinja2 import Environment

from app import i18n
from app.booking.calendar import appointment_ics
from app.booking.views import AppointmentView
from app.i18n import N_, localized
from app.templating import local_day, local_time

SUBJECTS = {
    "confirmation": N_("Your appointment is confirmed"),
    "change": N_("Your appointment has changed"),
    "cancellation": N_("Your appointment is cancelled"),
    "reminder": N_("Reminder: your appointment on %(day)s"),
    "teleconsult_invitation": N_("Your teleconsultation starts soon"),
    "one_time_code": N_("Your verification code"),
}
WITH_CALENDAR = ("confirmation", "change")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str
    ics: bytes | None


def render(
    env: Environment,
    *,
    kind: str,
    view: AppointmentView,
    clinic: dict,
    language: str,
    details_url: str,
    now: datetime,
    brief: bool = False,
    room_url: str = "",
) -> Rendered:
    """room_url: the waiting room of a call on the built-in platform ("" otherwise); the
    confirmation, the change notice, the reminder and the invitation carry it."""
    i18n.activate(language)
    zone = clinic["time_zone"]
    how = view.modality
    site = view.site
    facts = {
        "day": local_day(view.starts_at, zone),
        "day_short": format_date(
            view.starts_at.astimezone(ZoneInfo(zone)).date(), format="medium", locale=language
        ),
        "time": local_time(view.starts_at, zone),
        "practitioner_name": view.practitioner_name,
        "site_name": localized(site, "name", language),
        "site_address": site.address,
        "site_phone": site.phone,
        "patient_message": localized(site, "patient_message", language),
        "clinic_name": clinic["name"],
    }
    if brief:
        facts.update(practitioner_name="", patient_message="")
        details_url = room_url = ""
    questionnaire = site.questionnaire_url if kind == "reminder" and how == "on_site" else ""
    subject = i18n.gettext(SUBJECTS[kind], day=facts["day"])
    context = {
        "kind": kind,
        "modality": how,
        "a": facts,
        "details_url": details_url,
        "room_url": room_url,
        "brief": brief,
        "questionnaire_url": questionnaire,
        "language": language,
        "subject": subject,
    }
    ics = None
    if kind in WITH_CALENDAR:
        ics = appointment_ics(
            uid=f"appointment-{view.id}@{clinic['slug']}",
            starts_at=view.starts_at,
            ends_at=view.ends_at,
            time_zone=zone,
            summary=" · ".join(filter(None, (clinic["name"], facts["practitioner_name"]))),
            location=facts["site_name"] if how in ("on_site", "") else "",
            description=details_url,
            url=details_url,
            stamp=now,
        )
    return Rendered(
        subject=subject,
        text=env.get_template("emails/message.txt").render(**context),
        html=env.get_template("emails/message.html").render(**context),
        sms=" ".join(env.get_template("emails/sms.txt").render(**context).split()),
        ics=ics,
    )


def render_code(
    env: Environment, *, code: str, clinic: dict, language: str, minutes: int
) -> Rendered:
    """The message that carries a one-time code (app.messaging.one_time_codes)."""
    i18n.activate(language)
    kind = "one_time_code"
    subject = i18n.gettext(SUBJECTS[kind])
    context = {
        "code": code,
        "minutes": minutes,
        "clinic": clinic,
        "language": language,
        "subject": subject,
    }
    return Rendered(
        subject=subject,
        text=env.get_template("emails/code.txt").render(**context),
        html=env.get_template("emails/code.html").render(**context),
        sms=i18n.gettext(
            "%(clinic)s: your verification code is %(code)s. It is valid for %(minutes)s minutes.",
            clinic=clinic["name"],
            code=code,
            minutes=minutes,
        ),
        ics=None,
    )
