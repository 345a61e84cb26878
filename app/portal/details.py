"""The appointment details page (SPEC §7), reached by the signed link in every message.

The link is the credential: it names one appointment of this clinic and expires
after it. Actions outside their window are refused with the time they open."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import clock, i18n
from app.booking import self_service
from app.booking.calendar import appointment_ics
from app.booking.links import PREFIX, make_token, read_token
from app.booking.services import BookingService, Outcome
from app.booking.tables import OPEN_STATUSES, AppointmentStatus
from app.booking.views import AppointmentView, appointment_view
from app.events import PATIENT
from app.form_fields import text_fields
from app.htmx import page_or_fragment
from app.i18n import localized
from app.numbers import MAX_ID, whole_number
from app.portal.availability import bookable_slots, is_bookable
from app.portal.form_tokens import check_form_token, form_token
from app.portal.guards import clinic_pages_only
from app.settings import Settings
from app.templating import local_day, local_time
from app.urls import clinic_page_url
from tenants.resolution import ClinicRef

RESCHEDULE_CHOICES = 10
ACTIONS = ("cancel", "confirm", "arrive")
DONE = {"cancel": "cancelled", "confirm": "confirmed", "arrive": "arrived"}


class AppointmentLinkInvalid(NotFoundException):
    """A malformed, tampered or expired link: one clear page, whatever the cause."""


async def linked_appointment(settings: Settings, clinic: ClinicRef, token: str) -> AppointmentView:
    """The appointment the link names, if it is this clinic's and the link was made for it
    as it is now (a move kills older links)."""
    link = read_token(settings.secret_key, token)
    appointment = (
        await appointment_view(clinic_id=clinic.id, appointment_id=link.appointment_id)
        if link
        else None
    )
    if appointment is None or not link.made_for(appointment.ends_at):
        raise AppointmentLinkInvalid("invalid appointment link")
    return appointment


def windows(appointment: AppointmentView, now) -> dict[str, self_service.Window]:
    starts, status, site = appointment.starts_at, appointment.status, appointment.site
    on_site = appointment.modality == "on_site"
    return {
        "cancel": self_service.cancel(
            starts_at=starts, status=status, site_allows=site.patient_can_cancel, now=now
        ),
        "confirm": self_service.confirm(starts_at=starts, status=status, now=now),
        "arrive": self_service.arrive(
            starts_at=starts,
            status=status,
            site_allows=site.patient_can_check_in,
            on_site=on_site,
            now=now,
        ),
        "reschedule": self_service.reschedule(
            starts_at=starts,
            status=status,
            online_service=appointment.service_id is not None,
            now=now,
        ),
        "questionnaire": self_service.Window(
            on_site and bool(site.questionnaire_url) and status in OPEN_STATUSES
        ),
    }


def refusal(window: self_service.Window, time_zone: str) -> str:
    """Why an action is refused, and when it will be possible, in the patient's words."""
    if window.opens_at:
        return i18n.gettext(
            "This is possible from %(day)s at %(time)s.",
            day=local_day(window.opens_at, time_zone),
            time=local_time(window.opens_at, time_zone),
        )
    if window.closed_at:
        return i18n.gettext(
            "This was possible until %(day)s at %(time)s. Please call the clinic.",
            day=local_day(window.closed_at, time_zone),
            time=local_time(window.closed_at, time_zone),
        )
    return i18n.gettext("This is not possible for this appointment. Please call the clinic.")


class AppointmentDetails(Controller):
    path = PREFIX + "/{token:str}"
    dependencies = {"appointment": Provide(linked_appointment)}
    opt = {"exclude_from_csrf": True}  # the signed link plus a signed form token guard these
    guards = [clinic_pages_only]

    @get("/", name="portal:appointment")
    async def show(
        self,
        request: Request,
        settings: Settings,
        clinic: ClinicRef,
        token: str,
        appointment: AppointmentView,
    ) -> Response:
        notice = {
            "cancelled": i18n.gettext("Your appointment is cancelled."),
            "confirmed": i18n.gettext("Thank you, your presence is confirmed."),
            "arrived": i18n.gettext("Thank you, the clinic knows you have arrived."),
            "moved": i18n.gettext("Your appointment has been moved."),
        }.get(request.query_params.get("done", ""))
        return _page(request, settings, clinic, token, appointment, notice=notice)

    @get("/calendar.ics", name="portal:appointment_ics")
    async def calendar(
        self,
        request: Request,
        settings: Settings,
        clinic: ClinicRef,
        token: str,
        appointment: AppointmentView,
    ) -> Response:
        site, locale = appointment.site, i18n.current()
        message = localized(site, "patient_message", locale)
        body = appointment_ics(
            uid=f"appointment-{appointment.id}@{clinic.slug}",
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            time_zone=clinic.time_zone,
            summary=f"{localized(appointment, 'activity_name', locale)} · {clinic.name}",
            location=f"{localized(site, 'name', locale)}, {site.address}",
            description=f"{appointment.practitioner_name}\n{message}",
            url=clinic_page_url(request, settings, clinic, "portal:appointment", token=token),
            stamp=clock.now(),
        )
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="appointment.ics"'},
        )

    @post("/{action:str}", name="portal:appointment_action")
    async def act(
        self,
        request: Request,
        settings: Settings,
        clinic: ClinicRef,
        token: str,
        action: str,
        appointment: AppointmentView,
        booking: BookingService,
    ) -> Response:
        if action not in ACTIONS:
            raise NotFoundException("no such action")
        refused = await _refused(request, settings, clinic, token, appointment, action)
        if refused:
            return refused
        outcome = await _act(booking, appointment, action)
        if not outcome.ok:
            return _page(
                request,
                settings,
                clinic,
                token,
                appointment,
                error=i18n.gettext("This could not be done. Please call the clinic."),
                status_code=409,
            )
        return Redirect(
            request.app.route_reverse("portal:appointment", token=token) + f"?done={DONE[action]}",
            status_code=303,
        )

    @post("/reschedule", name="portal:appointment_move")
    async def move(
        self,
        request: Request,
        settings: Settings,
        clinic: ClinicRef,
        token: str,
        appointment: AppointmentView,
        booking: BookingService,
    ) -> Response:
        refused = await _refused(request, settings, clinic, token, appointment, "reschedule")
        if refused:
            return refused
        slot = whole_number((await text_fields(request)).get("slot", ""), maximum=MAX_ID)
        if slot is None:
            return await _reschedule_page(
                request,
                settings,
                clinic,
                token,
                appointment,
                error=i18n.gettext("Choose an appointment."),
                status_code=422,
            )
        # Only a slot this patient could have been offered: a forged id is "no longer available".
        offered = await is_bookable(slot, **_offer(clinic, appointment))
        outcome = (
            await booking.move(appointment_id=appointment.id, new_slot_id=slot, actor=PATIENT)
            if offered
            else None
        )
        if outcome is None or not outcome.ok:
            return await _reschedule_page(
                request,
                settings,
                clinic,
                token,
                appointment,
                error=i18n.gettext("This appointment is no longer available"),
                status_code=409,
            )
        # A new link: the old one named the appointment at its old time, and is dead now.
        moved = await appointment_view(clinic_id=clinic.id, appointment_id=appointment.id)
        new_token = make_token(settings.secret_key, appointment.id, moved.ends_at)
        return Redirect(
            request.app.route_reverse("portal:appointment", token=new_token) + "?done=moved",
            status_code=303,
        )

    @get("/reschedule", name="portal:appointment_reschedule")
    async def reschedule(
        self,
        request: Request,
        settings: Settings,
        clinic: ClinicRef,
        token: str,
        appointment: AppointmentView,
    ) -> Response:
        window = windows(appointment, clock.now())["reschedule"]
        if not window.open:
            return _page(
                request,
                settings,
                clinic,
                token,
                appointment,
                error=refusal(window, clinic.time_zone),
                status_code=422,
            )
        return await _reschedule_page(request, settings, clinic, token, appointment)


async def _act(booking: BookingService, appointment: AppointmentView, action: str) -> Outcome:
    if action == "cancel":
        return await booking.cancel(appointment_id=appointment.id, actor=PATIENT)
    if action == "confirm":
        status, before = AppointmentStatus.CONFIRMED, (AppointmentStatus.BOOKED,)
    else:
        status, before = AppointmentStatus.ARRIVED, OPEN_STATUSES
    return await booking.set_status(
        appointment_id=appointment.id, status=status, from_statuses=before, actor=PATIENT
    )


async def _refused(request, settings, clinic, token, appointment, action: str) -> Response | None:
    """A refusal page when the form is stale or the action is out of its window."""
    data = await text_fields(request)
    if not check_form_token(
        settings.secret_key, data.get("form_token", ""), f"appointment:{appointment.id}"
    ):
        return _page(
            request,
            settings,
            clinic,
            token,
            appointment,
            error=i18n.gettext("This page expired. Please try again."),
            status_code=422,
        )
    window = windows(appointment, clock.now())[action]
    if not window.open:
        return _page(
            request,
            settings,
            clinic,
            token,
            appointment,
            error=refusal(window, clinic.time_zone),
            status_code=422,
        )
    return None


def _page(
    request, settings, clinic, token, appointment, *, notice=None, error=None, status_code=200
) -> Response:
    return page_or_fragment(
        request,
        "portal/details.html",
        {
            "appointment": appointment,
            "site": appointment.site,
            "token": token,
            "notice": notice,
            "error": error,
            "windows": windows(appointment, clock.now()),
            "form_token": form_token(settings.secret_key, f"appointment:{appointment.id}"),
        },
        block="details",
        status_code=status_code,
    )


def _offer(clinic: ClinicRef, appointment: AppointmentView) -> dict:
    return {
        "clinic_id": clinic.id,
        "service_id": appointment.service_id,
        "patient_id": appointment.patient_id,
        "site_id": appointment.site.id,
    }


async def _reschedule_page(
    request, settings, clinic, token, appointment, *, error=None, status_code=200
) -> Response:
    slots = await bookable_slots(limit=RESCHEDULE_CHOICES, **_offer(clinic, appointment))
    return page_or_fragment(
        request,
        "portal/reschedule.html",
        {
            "appointment": appointment,
            "site": appointment.site,
            "token": token,
            "slots": slots,
            "error": error,
            "form_token": form_token(settings.secret_key, f"appointment:{appointment.id}"),
        },
        block="details",
        status_code=status_code,
    )
