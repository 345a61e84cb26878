"""The appointment details page (SPEC §7), reached by the signed link in every message.

The link is the credential: it names one appointment of this clinic and expires
after it. Actions outside their window are refused with the time they open."""

from __future__ import annotations


from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import clock, i18n
from app.booking import self_service
from app.booking.calendar import appointment_ics
from app.booking.links import make_token, read_token
from app.booking.services import BookingService
from app.booking.views import appointment_view, site_of
from app.form_fields import text_fields
from app.htmx import page_or_fragment
from app.numbers import MAX_ID, whole_number
from app.portal.availability import bookable_slots, is_bookable
from app.portal.guard import check_form_token, clinic_pages_only, form_token
from app.templating import local_day, local_time
from app.urls import clinic_page_url
from tenants.resolution import ClinicRef
from tenants.sites import localized

RESCHEDULE_CHOICES = 10


class AppointmentLinkInvalid(NotFoundException):
    """A malformed, tampered or expired link: one clear page, whatever the cause."""


def windows(view: dict, now) -> dict[str, self_service.Window]:
    starts, status = view["starts_at"], view["status"]
    on_site = bool(view["type_on_site"]) and not view["type_telemedicine"] and not view["type_telephone"]
    return {
        "cancel": self_service.cancel(starts_at=starts, status=status, site_allows=view["site_patient_can_cancel"], now=now),
        "confirm": self_service.confirm(starts_at=starts, status=status, now=now),
        "arrive": self_service.arrive(starts_at=starts, status=status, site_allows=view["site_patient_can_check_in"], on_site=on_site, now=now),
        "reschedule": self_service.reschedule(starts_at=starts, status=status, online_service=view["service"] is not None, now=now),
        "questionnaire": self_service.Window(on_site and bool(view["site_questionnaire_url"]) and status in self_service.OPEN_STATUSES),
    }


def refusal(window: self_service.Window, time_zone: str) -> str:
    """Why an action is refused, and when it will be possible, in the patient's words."""
    if window.opens_at:
        return i18n.gettext(
            "This is possible from %(day)s at %(time)s.",
            day=local_day(window.opens_at, time_zone), time=local_time(window.opens_at, time_zone),
        )
    if window.closed_at:
        return i18n.gettext(
            "This was possible until %(day)s at %(time)s. Please call the clinic.",
            day=local_day(window.closed_at, time_zone), time=local_time(window.closed_at, time_zone),
        )
    return i18n.gettext("This is not possible for this appointment. Please call the clinic.")


class AppointmentDetails(Controller):
    path = "/a/{token:str}"
    opt = {"exclude_from_csrf": True}  # the signed link plus a signed form token guard these
    guards = [clinic_pages_only]

    @get("/", name="appointment_details")
    async def show(self, request: Request, clinic: ClinicRef, token: str) -> Response:
        view = await self._appointment(request, clinic, token)
        notice = {"cancelled": i18n.gettext("Your appointment is cancelled."),
                  "confirmed": i18n.gettext("Thank you, your presence is confirmed."),
                  "arrived": i18n.gettext("Thank you, the clinic knows you have arrived."),
                  "moved": i18n.gettext("Your appointment has been moved.")}.get(request.query_params.get("done", ""))
        return self._page(request, clinic, token, view, notice=notice)

    @get("/calendar.ics", name="appointment_ics")
    async def calendar(self, request: Request, clinic: ClinicRef, token: str) -> Response:
        view = await self._appointment(request, clinic, token)
        site = site_of(view)
        locale = i18n.current()
        body = appointment_ics(
            uid=f"appointment-{view['id']}@{clinic.slug}",
            starts_at=view["starts_at"], ends_at=view["ends_at"], time_zone=clinic.time_zone,
            summary=f"{localized(view, 'activity_name', locale)} · {clinic.name}",
            location=f"{localized(site, 'name', locale)}, {site['address']}",
            description=f"{view['practitioner_name']}\n{localized(site, 'patient_message', locale)}",
            url=clinic_page_url(request, clinic, "appointment_details", token=token),
            stamp=clock.now(),
        )
        return Response(body, media_type="text/calendar; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="appointment.ics"'})

    @post("/{action:str}", name="appointment_action")
    async def act(self, request: Request, clinic: ClinicRef, token: str, action: str) -> Response:
        if action not in ("cancel", "confirm", "arrive"):
            raise NotFoundException("no such action")
        view, refused = await self._checked(request, clinic, token, action)
        if refused:
            return refused
        booking = BookingService(clinic_id=clinic.id)
        if action == "cancel":
            outcome = await booking.cancel(appointment_id=view["id"])
        elif action == "confirm":
            outcome = await booking.set_status(appointment_id=view["id"], status="confirmed", from_statuses=("booked",))
        else:
            outcome = await booking.set_status(appointment_id=view["id"], status="arrived", from_statuses=("booked", "confirmed"))
        if not outcome.ok:
            return self._page(request, clinic, token, view, error=i18n.gettext("This could not be done. Please call the clinic."), status_code=409)
        done = {"cancel": "cancelled", "confirm": "confirmed", "arrive": "arrived"}[action]
        return Redirect(request.app.route_reverse("appointment_details", token=token) + f"?done={done}", status_code=303)

    @post("/reschedule", name="appointment_move")
    async def move(self, request: Request, clinic: ClinicRef, token: str) -> Response:
        view, refused = await self._checked(request, clinic, token, "reschedule")
        if refused:
            return refused
        slot = whole_number((await text_fields(request)).get("slot", ""), maximum=MAX_ID)
        if slot is None:
            return await self._reschedule_page(request, clinic, token, view, error=i18n.gettext("Choose an appointment."), status_code=422)
        # Only a slot this patient could have been offered: a forged id is "no longer available".
        offered = await is_bookable(slot, **self._offer(clinic, view))
        booking = BookingService(clinic_id=clinic.id)
        outcome = await booking.move(appointment_id=view["id"], new_slot_id=slot) if offered else None
        if outcome is None or not outcome.ok:
            return await self._reschedule_page(request, clinic, token, view, error=i18n.gettext("This appointment is no longer available"), status_code=409)
        # A new link: the old one names the same appointment, but expires with the old time.
        moved = await appointment_view(clinic_id=clinic.id, appointment_id=view["id"])
        new_token = make_token(request.app.state.settings.secret_key, view["id"], moved["ends_at"])
        return Redirect(request.app.route_reverse("appointment_details", token=new_token) + "?done=moved", status_code=303)

    @get("/reschedule", name="appointment_reschedule")
    async def reschedule(self, request: Request, clinic: ClinicRef, token: str) -> Response:
        view = await self._appointment(request, clinic, token)
        window = windows(view, clock.now())["reschedule"]
        if not window.open:
            return self._page(request, clinic, token, view, error=refusal(window, clinic.time_zone), status_code=422)
        return await self._reschedule_page(request, clinic, token, view)

    # -- helpers ----------------------------------------------------------------------

    async def _checked(self, request: Request, clinic: ClinicRef, token: str, action: str) -> tuple[dict, Response | None]:
        """The appointment, and a refusal page when the form is stale or the action is out of its window."""
        view = await self._appointment(request, clinic, token)
        data = await text_fields(request)
        if not check_form_token(request, data.get("form_token", ""), f"appointment:{view['id']}"):
            return view, self._page(request, clinic, token, view, error=i18n.gettext("This page expired. Please try again."), status_code=422)
        window = windows(view, clock.now())[action]
        if not window.open:
            return view, self._page(request, clinic, token, view, error=refusal(window, clinic.time_zone), status_code=422)
        return view, None

    async def _appointment(self, request: Request, clinic: ClinicRef, token: str) -> dict:
        link = read_token(request.app.state.settings.secret_key, token)
        view = None
        if link:
            view = await appointment_view(clinic_id=clinic.id, appointment_id=link.appointment_id)
        if view is None or not link.made_for(view["ends_at"]):
            raise AppointmentLinkInvalid("invalid appointment link")
        return view

    def _page(self, request, clinic, token, view, *, notice=None, error=None, status_code=200) -> Response:
        return page_or_fragment(request, "portal/details.html", {
            "appointment": view, "site": site_of(view), "token": token, "notice": notice, "error": error,
            "windows": windows(view, clock.now()), "form_token": form_token(request, f"appointment:{view['id']}"),
        }, block="details", status_code=status_code)

    @staticmethod
    def _offer(clinic: ClinicRef, view: dict) -> dict:
        return {"clinic_id": clinic.id, "service_id": view["service"], "patient_id": view["patient"], "site_id": view["site"]}

    async def _reschedule_page(self, request, clinic, token, view, *, error=None, status_code=200) -> Response:
        slots = await bookable_slots(limit=RESCHEDULE_CHOICES, **self._offer(clinic, view))
        return page_or_fragment(request, "portal/reschedule.html", {
            "appointment": view, "site": site_of(view), "token": token, "slots": slots, "error": error,
            "form_token": form_token(request, f"appointment:{view['id']}"),
        }, block="details", status_code=status_code)

