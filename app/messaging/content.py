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
from babel.numbers import format_currency
from jinja2 import Environment

from app import i18n
from app.booking.calendar import appointment_ics
from app.booking.tables import AppointmentStatus
from app.booking.views import AppointmentView
from app.i18n import N_, localized
from app.templating import local_day, local_time

SUBJECTS = {
    "confirmation": N_("Your appointment is confirmed"),
    "change": N_("Your appointment has changed"),
    "cancellation": N_("Your appointment is cancelled"),
    "reminder": N_("Reminder: your appointment on %(day)s"),
    "reminder_notice": N_("Reminder: your appointment on %(day)s"),
    "teleconsult_invitation": N_("Your teleconsultation starts soon"),
    "consultation_end": N_("After your teleconsultation"),
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
    pay_url: str = "",
    amount_cents: int | None = None,
    currency: str = "",
    documents: tuple[tuple[str, str], ...] = (),
    my_url: str = "",
) -> Rendered:
    """room_url: the waiting room of a call on the built-in platform ("" otherwise); the
    confirmation, the change notice, the reminder and the invitation carry it, and the
    link typed for another platform (Zoom, Teams…). The end-of-consultation message
    carries pay_url (with the amount due) and the documents shared: (name, url). my_url:
    the site's "My appointments" (app.booking.links.my_path), one line of every email
    (a text message keeps its one link)."""
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
    video_url = view.other_platform_link if kind != "cancellation" else ""
    if kind == "consultation_end":  # the site's "bring your card" is no use after the call
        facts["patient_message"] = ""
    if brief:
        facts.update(practitioner_name="", patient_message="")
        details_url = room_url = video_url = pay_url = my_url = ""
        documents = ()
    questionnaire = (
        site.questionnaire_url
        if kind in ("reminder", "reminder_notice") and how == "on_site"
        else ""
    )
    subject = i18n.gettext(SUBJECTS[kind], day=facts["day"])
    context = {
        "kind": kind,
        "modality": how,
        "a": facts,
        "details_url": details_url,
        "room_url": room_url,
        "video_url": video_url,
        "pay_url": pay_url,
        "my_url": my_url,
        "amount": _amount(amount_cents, currency, language) if pay_url else "",
        "documents": documents,
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
        sms=_sms(env, context, asks_yes=kind == "reminder" and not brief and _unconfirmed(view)),
        ics=ics,
    )


def _sms(env: Environment, context: dict, *, asks_yes: bool) -> str:
    """The SMS on one line. A reminder of an appointment not yet confirmed asks for a YES
    (app.messaging.sms_replies confirms it when the answer comes)."""
    text = " ".join(env.get_template("emails/sms.txt").render(**context).split())
    if not asks_yes:
        return text
    # Outside an f-string, where the catalog's extractor finds it.
    return text + " " + i18n.gettext("Reply YES to confirm")


def _unconfirmed(view: AppointmentView) -> bool:
    return view.status is AppointmentStatus.BOOKED


def _amount(cents: int | None, currency: str, language: str) -> str:
    """45,00 $ in Canadian French, $45.00 in Canadian English, 45,00 € in euros."""
    if cents is None or not currency:
        return ""
    if currency.lower() == "cad":
        locale = f"{language}_CA"
    else:
        locale = "en_IE" if language == "en" else f"{language}_FR"
    return format_currency(cents / 100, currency.upper(), locale=locale)


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
