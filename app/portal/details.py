"""The appointment details page (SPEC §7), reached by the signed link in every message.

The link is the credential: it names one appointment of this clinic and expires
after it. Actions outside their window are refused with the time they open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import clock, i18n
from app.booking import self_service
from app.booking.calendar import appointment_ics
from app.booking.links import PREFIX, make_token, pay_path, read_token
from app.booking.services import BookingService, Outcome, OutcomeCode
from app.booking.tables import OPEN_STATUSES, AppointmentStatus
from app.booking.views import AppointmentView, appointment_view
from app.client_address import client_address
from app.events import PATIENT, Actor
from app.form_fields import text_fields
from app.htmx import page_or_fragment
from app.i18n import localized
from app.numbers import MAX_ID, whole_number
from app.payments.tables import PaymentStatus
from app.payments.views import PaymentView, latest_payment
from app.portal.availability import bookable_slots, is_bookable
from app.portal.form_tokens import check_form_token, form_token
from app.portal.guards import clinic_pages_only
from app.reminders.store import confirm_lead
from app.settings import Settings
from app.templating import local_day, local_time
from app.urls import clinic_page_url
from app.video.access import patient_window
from app.video.record import CallRecord, call_record
from app.video.rooms import room_status
from app.video.tables import RoomState
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


def windows(
    appointment: AppointmentView, now, asked_from: timedelta | None = None
) -> dict[str, self_service.Window]:
    """asked_from: when the first reminder asking to confirm goes (confirm_lead)."""
    starts, status, site = appointment.starts_at, appointment.status, appointment.site
    on_site = appointment.modality == "on_site"
    return {
        "cancel": self_service.cancel(
            starts_at=starts, status=status, site_allows=site.patient_can_cancel, now=now
        ),
        "confirm": self_service.confirm(
            starts_at=starts, status=status, now=now, asked_from=asked_from
        ),
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


def video_room(appointment: AppointmentView, now) -> self_service.Window | None:
    """When the built-in video room lets the patient in (the same window as its door,
    app.video.access); None for any other appointment, or a cancelled one."""
    if not appointment.in_video_room or appointment.status == AppointmentStatus.CANCELLED:
        return None
    opens, closes = patient_window(appointment.starts_at, appointment.ends_at)
    if now < opens:
        return self_service.Window(False, opens_at=opens)
    if now > closes:
        return self_service.Window(False, closed_at=closes)
    return self_service.Window(True)


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


@dataclass(frozen=True)
class Visit:
    """What every action of the details page works with: the request, the link and the
    appointment it names."""

    request: Request
    settings: Settings
    clinic: ClinicRef
    token: str
    appointment: AppointmentView
    call: CallRecord | None = None  # what a call in our video room left: chat and files
    payment: PaymentView | None = None  # the latest payment asked in the call, if any
    call_ended: bool = False  # hung up: no more joining, confirming or arriving
    asked_from: timedelta | None = None  # the reminder schedule's first ask to confirm

    @property
    def actor(self) -> Actor:
        return PATIENT.at(client_address(self.request, self.settings.trusted_proxies))

    def form_token(self) -> str:
        return form_token(self.settings.secret_key, f"appointment:{self.appointment.id}")

    def page(self, *, notice=None, error=None, status_code=200) -> Response:
        return page_or_fragment(
            self.request,
            "portal/details.html",
            {
                "appointment": self.appointment,
                "site": self.appointment.site,
                "token": self.token,
                "notice": notice,
                "error": error,
                "windows": windows(self.appointment, clock.now(), self.asked_from),
                "video_room": None
                if self.call_ended
                else video_room(self.appointment, clock.now()),
                "call_ended": self.call_ended,
                "form_token": self.form_token(),
                "call_record": self.call,
                # Kept after the call, as the end-of-consultation message says.
                "pay_url": (
                    pay_path(self.token)
                    if self.payment and self.payment.status is PaymentStatus.REQUESTED
                    else ""
                ),
                "paid": bool(self.payment and self.payment.status is PaymentStatus.PAID),
                # Another platform's link (Zoom, Teams…), while the appointment stands.
                "video_link": (
                    self.appointment.other_platform_link
                    if self.appointment.status != AppointmentStatus.CANCELLED
                    else ""
                ),
            },
            block="details",
            status_code=status_code,
        )

    async def reschedule_page(self, *, error=None, status_code=200) -> Response:
        slots = await bookable_slots(limit=RESCHEDULE_CHOICES, **self.offer())
        return page_or_fragment(
            self.request,
            "portal/reschedule.html",
            {
                "appointment": self.appointment,
                "site": self.appointment.site,
                "token": self.token,
                "slots": slots,
                "error": error,
                "form_token": self.form_token(),
            },
            block="details",
            status_code=status_code,
        )

    def offer(self) -> dict:
        """What the booking could offer this patient: the same service, file and site."""
        appointment = self.appointment
        return {
            "clinic_id": self.clinic.id,
            "service_id": appointment.service_id,
            "patient_id": appointment.patient_id,
            "site_id": appointment.site.id,
        }

    def to_details(self, token: str, done: str) -> Redirect:
        return Redirect(
            self.request.app.route_reverse("portal:appointment", token=token) + f"?done={done}",
            status_code=303,
        )

    async def refused(self, action: str) -> Response | None:
        """A refusal page when the form is stale or the action is out of its window."""
        data = await text_fields(self.request)
        if not check_form_token(
            self.settings.secret_key,
            data.get("form_token", ""),
            f"appointment:{self.appointment.id}",
        ):
            return self.page(
                error=i18n.gettext("This page expired. Please try again."), status_code=422
            )
        window = windows(self.appointment, clock.now(), self.asked_from)[action]
        if not window.open:
            return self.page(error=refusal(window, self.clinic.time_zone), status_code=422)
        return None


async def provide_visit(
    request: Request,
    settings: Settings,
    clinic: ClinicRef,
    token: str,
    appointment: AppointmentView,
) -> Visit:
    call = payment = None
    ended = False
    if appointment.in_video_room:
        call = await call_record(clinic_id=clinic.id, appointment_id=appointment.id)
        payment = await latest_payment(clinic_id=clinic.id, appointment_id=appointment.id)
        room = await room_status(clinic_id=clinic.id, appointment_id=appointment.id)
        ended = room.state is RoomState.ENDED
    asked_from = await confirm_lead(clinic.id, appointment.id)
    return Visit(request, settings, clinic, token, appointment, call, payment, ended, asked_from)


class AppointmentDetails(Controller):
    path = PREFIX + "/{token:str}"
    dependencies = {
        "appointment": Provide(linked_appointment),
        "visit": Provide(provide_visit),
    }
    opt = {"exclude_from_csrf": True}  # the signed link plus a signed form token guard these
    guards = [clinic_pages_only]

    @get("/", name="portal:appointment")
    async def show(self, visit: Visit) -> Response:
        notice = {
            "cancelled": i18n.gettext("Your appointment is cancelled."),
            "confirmed": i18n.gettext("Thank you, your presence is confirmed."),
            "arrived": i18n.gettext("Thank you, the clinic knows you have arrived."),
            "moved": i18n.gettext("Your appointment has been moved."),
        }.get(visit.request.query_params.get("done", ""))
        return visit.page(notice=notice)

    @get("/calendar.ics", name="portal:appointment_ics")
    async def calendar(self, visit: Visit) -> Response:
        appointment, clinic = visit.appointment, visit.clinic
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
            url=clinic_page_url(
                visit.request, visit.settings, clinic, "portal:appointment", token=visit.token
            ),
            stamp=clock.now(),
        )
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="appointment.ics"'},
        )

    @post("/{action:str}", name="portal:appointment_action")
    async def act(self, visit: Visit, action: str, booking: BookingService) -> Response:
        if action not in ACTIONS:
            raise NotFoundException("no such action")
        refused = await visit.refused(action)
        if refused:
            return refused
        outcome = await _act(booking, visit, action)
        if not outcome.ok:
            return visit.page(
                error=i18n.gettext("This could not be done. Please call the clinic."),
                status_code=409,
            )
        return visit.to_details(visit.token, DONE[action])

    @post("/reschedule", name="portal:appointment_move")
    async def move(self, visit: Visit, booking: BookingService) -> Response:
        refused = await visit.refused("reschedule")
        if refused:
            return refused
        slot = whole_number((await text_fields(visit.request)).get("slot", ""), maximum=MAX_ID)
        if slot is None:
            return await visit.reschedule_page(
                error=i18n.gettext("Choose an appointment."), status_code=422
            )
        # Only a slot this patient could have been offered: a forged id is "no longer available".
        offered = await is_bookable(slot, **visit.offer())
        appointment = visit.appointment
        outcome = (
            await booking.move(appointment_id=appointment.id, new_slot_id=slot, actor=visit.actor)
            if offered
            else None
        )
        if outcome is not None and outcome.code is OutcomeCode.MOVE_NOT_SUPPORTED:
            return await visit.reschedule_page(  # an external video platform's (SPEC §9)
                error=i18n.gettext(
                    "This teleconsultation cannot be moved: cancel it, then book a new one."
                ),
                status_code=409,
            )
        if outcome is None or not outcome.ok:
            return await visit.reschedule_page(
                error=i18n.gettext("This appointment is no longer available"), status_code=409
            )
        # A new link: the old one named the appointment at its old time, and is dead now.
        moved = await appointment_view(clinic_id=visit.clinic.id, appointment_id=appointment.id)
        return visit.to_details(
            make_token(visit.settings.secret_key, appointment.id, moved.ends_at), "moved"
        )

    @get("/reschedule", name="portal:appointment_reschedule")
    async def reschedule(self, visit: Visit) -> Response:
        window = windows(visit.appointment, clock.now())["reschedule"]
        if not window.open:
            return visit.page(error=refusal(window, visit.clinic.time_zone), status_code=422)
        return await visit.reschedule_page()


async def _act(booking: BookingService, visit: Visit, action: str) -> Outcome:
    appointment_id = visit.appointment.id
    if action == "cancel":
        return await booking.cancel(appointment_id=appointment_id, actor=visit.actor)
    if action == "confirm":
        status, before = AppointmentStatus.CONFIRMED, (AppointmentStatus.BOOKED,)
    else:
        status, before = AppointmentStatus.ARRIVED, OPEN_STATUSES
    return await booking.set_status(
        appointment_id=appointment_id, status=status, from_statuses=before, actor=visit.actor
    )
