"""The booking wizard (SPEC §6): identify → service → availabilities → review → done.

Every step has its own URL and works as a plain page; with HTMX the step's block is
swapped in place and the address bar follows (HX-Push-Url). The wizard's state is a
BookingSession row whose unguessable token is in the URL: no cookie is needed, so it
works inside a third-party iframe. Forms carry a token signed for that session (or,
on step 1, for the site and the hour), checked on every POST."""

from __future__ import annotations

import math
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import clock, i18n
from app.booking import sessions
from app.booking.links import make_token
from app.booking.search import MAX_RESULTS, results_for_page
from app.booking.services import BookingDetails, BookingService
from app.booking.views import appointment_view, slot_view
from app.client_address import client_address, limit_key
from app.db import write_transaction
from app.form_fields import text_fields
from app.htmx import page_or_fragment
from app.messaging import one_time_codes
from app.numbers import MAX_ID, whole_number
from app.online_services.services import eligible_services
from app.patients.contacts import add_missing_contacts, masked, pending_among, verifier, verify
from app.patients.forms import parse_identity
from app.patients.identification import identify, identity_key
from app.portal.availability import bookable_slots
from app.portal.forms import parse_service_step
from app.portal.guard import check_form_token, clinic_pages_only, form_token, portal_site
from tenants.resolution import ClinicRef

STEPS = ("identify", "service", "slots", "review", "done")


class BookingSessionGone(NotFoundException):
    """The token names no live session here: expired (after two hours), or never was."""

    def __init__(self, site: dict) -> None:
        super().__init__("no such booking session")
        self.site = site


def session_gone(request: Request, exc: BookingSessionGone) -> Response:
    # A page that says what happened and how to go on, rather than a bare "not found".
    return page_or_fragment(request, "portal/session_expired.html", {"site": exc.site}, status_code=404)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return page_or_fragment(request, template, context, block="step", status_code=status_code)


def _asked_for_more(request: Request) -> int | None:
    """How many availabilities "See more" asked for (?shown=), if it did."""
    return whole_number(request.query_params.get("shown", ""), maximum=MAX_RESULTS)


def step_url(request: Request, name: str, site: dict, token: str, **query: Any) -> str:
    url = request.app.route_reverse(name, site_slug=site["slug"], token=token)
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def go(request: Request, name: str, site: dict, token: str, **query: Any) -> Redirect:
    return Redirect(step_url(request, name, site, token, **query), status_code=303)


def _code_subject(session: dict) -> str:
    """What a code asked for on the contacts step proves: this session's hold on its file."""
    return f"contacts:session:{session['id']}"


class Wizard(Controller):
    path = "/{site_slug:str}"
    dependencies = {"site": Provide(portal_site)}
    opt = {"exclude_from_csrf": True}  # forms carry their own signed token (see guard.py)
    guards = [clinic_pages_only]
    exception_handlers = {BookingSessionGone: session_gone}

    # -- step 1: identify -----------------------------------------------------------

    @get("/", name="identify")
    async def identify_form(self, request: Request, clinic: ClinicRef, site: dict) -> Response:
        return self._identify_page(request, clinic, site, values={}, errors={})

    @post("/", name="identify_submit")
    async def identify_submit(self, request: Request, clinic: ClinicRef, site: dict) -> Response:
        data = await text_fields(request)
        if not check_form_token(request, data.get("form_token", ""), f"identify:{site['id']}"):
            return self._identify_page(request, clinic, site, data, {"form": i18n.gettext("This page expired. Please try again.")}, 422)
        form, errors = parse_identity(data, country=clinic.country, hin_format=clinic.hin_format)
        if form is None:
            return self._identify_page(request, clinic, site, data, errors, 422)
        address = client_address(request)
        found = await identify(clinic_id=clinic.id, form=form, client_key=address)
        if found.status == "rate_limited":
            message = i18n.gettext("Too many attempts. Please try again in a few minutes, or call us at %(phone)s.", phone=clinic.phone)
            return self._identify_page(request, clinic, site, data, {"form": message}, 429)
        services = await eligible_services(clinic_id=clinic.id, patient_id=found.patient_id)
        if not services:
            # The form comes back filled in, for the patient to check for a typo.
            return self._identify_page(request, clinic, site, data, {}, template="portal/not_eligible.html")
        identity = {key: data.get(key, "") for key in ("first_name", "last_name", "date_of_birth", "sex", "health_insurance_number", "cell_phone", "email")}
        identity["normalised"] = {"cell_phone": form.cell_phone, "email": form.email}
        session = await sessions.start(
            clinic_id=clinic.id, site_id=site["id"], identity=identity,
            patient_id=found.patient_id, language=i18n.current(),
            visitor=sessions.Visitor(client_key=limit_key(address), identity_key=identity_key(form)),
        )
        if session is None:
            message = i18n.gettext(
                "You already have several bookings under way. Finish one of them, or try again in a while. You can also call us at %(phone)s.",
                phone=clinic.phone,
            )
            return self._identify_page(request, clinic, site, data, {"form": message}, 429)
        if found.patient_id:
            # Contacts typed on the form that the file lacks join it, pending, after the others.
            await add_missing_contacts(clinic_id=clinic.id, patient_id=found.patient_id, form=form)
        return go(request, "service", site, session["token"])

    def _identify_page(self, request, clinic, site, values, errors, status_code=200, template="portal/identify.html") -> Response:
        return render(request, template, {
            "site": site, "values": values, "errors": errors, "steps": STEPS, "step": "identify",
            "form_token": form_token(request, f"identify:{site['id']}"),
        }, status_code)

    # -- step 1b: confirm new contacts --------------------------------------------------
    # A contact typed here that the file lacks is pending (see app.patients.contacts). The
    # patient may prove they hold the file with a code sent to a contact it vouches for;
    # or go on, and the clinic confirms it later.

    @get("/b/{token:str}/contacts", name="contacts")
    async def contacts_form(self, request: Request, clinic: ClinicRef, site: dict, token: str) -> Response:
        session = await self._session(request, clinic, site, token)
        return await self._contacts_page(request, clinic, site, session, {})

    @post("/b/{token:str}/contacts", name="contacts_submit")
    async def contacts_submit(self, request: Request, clinic: ClinicRef, site: dict, token: str) -> Response:
        session = await self._session(request, clinic, site, token)
        data = await text_fields(request)
        if not check_form_token(request, data.get("form_token", ""), session["token"]):
            return await self._contacts_page(request, clinic, site, session, {"form": i18n.gettext("This page expired. Please try again.")}, 422)
        pending = await self._pending(clinic, session)
        destination = pending and await verifier(clinic_id=clinic.id, patient_id=session["patient"])
        if not destination:
            return go(request, "service", site, token)
        subject = _code_subject(session)
        if data.get("action") == "send":
            sent = await one_time_codes.send(
                clinic_id=clinic.id, subject=subject, channel="email" if destination.kind == "email" else "sms",
                address=destination.value, language=session["language"],
            )
            if sent is None:
                message = i18n.gettext("Too many codes were sent to this contact. Please try again in an hour, or go on without confirming.")
                return await self._contacts_page(request, clinic, site, session, {"form": message}, 429)
            return go(request, "contacts", site, token)
        code, errors = one_time_codes.parse_code(data)
        typed = {"code": str(data.get("code", ""))}
        if code is None:
            return await self._contacts_page(request, clinic, site, session, errors, 422, typed)
        async with write_transaction():
            checked = await one_time_codes.check(clinic_id=clinic.id, subject=subject, typed=code, secret_key=request.app.state.settings.secret_key)
            if checked.outcome == "right":
                await verify(clinic_id=clinic.id, patient_id=session["patient"], values=[c.value for c in pending])
        if checked.outcome == "right":
            return go(request, "service", site, token, confirmed=1)
        if checked.tries_left:
            message = i18n.ngettext("This code is not right. You have %(num)s more try.", "This code is not right. You have %(num)s more tries.", checked.tries_left)
            return await self._contacts_page(request, clinic, site, session, {"code": message}, 422, typed)
        message = i18n.gettext("This code is no longer valid. Ask for a new code.")
        return await self._contacts_page(request, clinic, site, session, {"form": message}, 422)

    async def _pending(self, clinic, session) -> list:
        """The contacts typed in this session that the patient's file does not vouch for yet."""
        if not session["patient"]:
            return []
        typed = [v for v in (session["identity"] or {}).get("normalised", {}).values() if v]
        return await pending_among(clinic_id=clinic.id, patient_id=session["patient"], values=typed)

    async def _contacts_page(self, request, clinic, site, session, errors, status_code=200, values=None) -> Response:
        pending = await self._pending(clinic, session)
        if not pending:
            return go(request, "service", site, session["token"])
        destination = await verifier(clinic_id=clinic.id, patient_id=session["patient"])
        challenge = destination and await one_time_codes.live(clinic_id=clinic.id, subject=_code_subject(session))
        return render(request, "portal/contacts.html", {
            "site": site, "session": session, "pending": pending, "destination": destination,
            "shown": masked(destination) if destination else "", "challenge": challenge,
            "digits": one_time_codes.LENGTH, "values": values or {}, "errors": errors,
            "steps": STEPS, "step": "identify", "form_token": form_token(request, session["token"]),
        }, status_code)

    # -- step 2: service ------------------------------------------------------------

    @get("/b/{token:str}/service", name="service")
    async def service_form(self, request: Request, clinic: ClinicRef, site: dict, token: str) -> Response:
        session = await self._session(request, clinic, site, token)
        values = {
            "service": str(session["service"] or ""), "reason": session["reason"], "details": session["details"],
            "preference": session["preference"], "from_date": session["from_date"].isoformat() if session["from_date"] else "",
            "day_part": session["day_part"] or "",
        }
        return await self._service_page(request, clinic, site, session, values, {})

    @post("/b/{token:str}/service", name="service_submit")
    async def service_submit(self, request: Request, clinic: ClinicRef, site: dict, token: str) -> Response:
        session = await self._session(request, clinic, site, token)
        data = await text_fields(request)
        if not check_form_token(request, data.get("form_token", ""), session["token"]):
            return await self._service_page(request, clinic, site, session, data, {"form": i18n.gettext("This page expired. Please try again.")}, 422)
        offers = await eligible_services(clinic_id=clinic.id, patient_id=session["patient"])
        today = clock.now().astimezone(ZoneInfo(clinic.time_zone)).date()
        choice, errors = parse_service_step(data, service_ids={o.id for o in offers}, today=today)
        if choice is None:
            return await self._service_page(request, clinic, site, session, data, errors, 422)
        await sessions.update(
            clinic_id=clinic.id, session_id=session["id"], service=choice.service_id, reason=choice.reason,
            details=choice.details, preference=choice.preference, from_date=choice.from_date,
            day_part=choice.day_part, shown=results_for_page(1),
        )
        return go(request, "service", site, token, saved=1)

    async def _service_page(self, request, clinic, site, session, values, errors, status_code=200) -> Response:
        offers = await eligible_services(clinic_id=clinic.id, patient_id=session["patient"])
        pending = await self._pending(clinic, session)
        chosen = next((o for o in offers if o.id == session["service"]), None)
        saved = request.query_params.get("saved") == "1" and chosen is not None and not errors
        return render(request, "portal/service.html", {
            "site": site, "session": session, "offers": offers, "chosen": chosen, "saved": saved,
            "pending": pending, "confirmed": request.query_params.get("confirmed") == "1" and not pending,
            "values": values, "errors": errors, "steps": STEPS, "step": "service",
            "form_token": form_token(request, session["token"]),
        }, status_code)

    # -- step 3: availabilities -----------------------------------------------------

    @get("/b/{token:str}/slots", name="slots")
    async def slots(self, request: Request, clinic: ClinicRef, site: dict, token: str) -> Response:
        session = await self._session(request, clinic, site, token)
        if session["service"] is None:
            return go(request, "service", site, token)
        more = _asked_for_more(request)
        if more is not None:
            shown = results_for_page(more // 5)
            await sessions.update(clinic_id=clinic.id, session_id=session["id"], shown=shown)
            session["shown"] = shown
        return await self._slots_page(request, clinic, site, session, error=request.query_params.get("error"))

    @post("/b/{token:str}/slots", name="slots_submit")
    async def slots_submit(self, request: Request, clinic: ClinicRef, site: dict, token: str) -> Response:
        session = await self._session(request, clinic, site, token)
        data = await text_fields(request)
        slot_id = whole_number(data.get("slot", ""), maximum=MAX_ID)
        if not check_form_token(request, data.get("form_token", ""), session["token"]):
            return await self._slots_page(request, clinic, site, session, error="expired", status_code=422)
        if slot_id is None:
            return await self._slots_page(request, clinic, site, session, error="choose", status_code=422)
        offered = await self._available(clinic, site, session, limit=MAX_RESULTS)
        if slot_id not in {a.slot_id for a in offered}:
            return await self._slots_page(request, clinic, site, session, error="taken", status_code=409)
        outcome = await sessions.hold(session=session, slot_id=slot_id, booking=self._booking(clinic, request))
        if outcome.code == "too_many_holds":
            return await self._slots_page(request, clinic, site, session, error="holds", status_code=429)
        if not outcome.ok:
            return await self._slots_page(request, clinic, site, session, error="taken", status_code=409)
        await sessions.update(clinic_id=clinic.id, session_id=session["id"], slot=slot_id)
        return go(request, "review", site, token)

    async def _available(self, clinic, site, session, limit: int):
        return await bookable_slots(
            clinic_id=clinic.id, service_id=session["service"], patient_id=session["patient"], site_id=site["id"],
            limit=limit, from_date=session["from_date"], day_part=session["day_part"], holder=session["token"],
        )

    async def _slots_page(self, request, clinic, site, session, error=None, status_code=200) -> Response:
        shown = session["shown"] or 5
        found = await self._available(clinic, site, session, limit=shown + 1)
        messages = {
            "taken": i18n.gettext("This appointment is no longer available"),
            "expired": i18n.gettext("This page expired. Please try again."),
            "choose": i18n.gettext("Choose an appointment."),
            "holds": i18n.gettext("You are already holding several appointments in other windows. Book one of them, or wait a few minutes for them to be released."),
        }
        return render(request, "portal/slots.html", {
            "site": site, "session": session, "slots": found[:shown], "has_more": len(found) > shown and shown < 50,
            "next_shown": shown + 5, "error": messages.get(error or ""), "error_code": error,
            # After "See more", focus goes to the first new choice, not back to the top.
            "first_new": shown - 5 if _asked_for_more(request) and shown > 5 else None,
            "steps": STEPS, "step": "slots", "form_token": form_token(request, session["token"]),
        }, status_code)

    # -- step 4: review ---------------------------------------------------------------

    @get("/b/{token:str}/review", name="review")
    async def review(self, request: Request, clinic: ClinicRef, site: dict, token: str) -> Response:
        session = await self._session(request, clinic, site, token)
        if session["appointment"]:
            return go(request, "done", site, token)
        if session["slot"] is None:
            return go(request, "slots", site, token)
        view = await slot_view(clinic_id=clinic.id, slot_id=session["slot"])
        live = view and view["hold_token"] == token and view["hold_until"] and view["hold_until"] > clock.now()
        if not live:
            return go(request, "slots", site, token, error="taken")
        return render(request, "portal/review.html", {
            "site": site, "session": session, "slot": view, "steps": STEPS, "step": "review",
            # Rounded up: the page's countdown must not reach 0:00 while the hold still runs.
            "seconds_left": math.ceil((view["hold_until"] - clock.now()).total_seconds()),
            "form_token": form_token(request, session["token"]),
        })

    @post("/b/{token:str}/review", name="review_submit")
    async def book(self, request: Request, clinic: ClinicRef, site: dict, token: str) -> Response:
        session = await self._session(request, clinic, site, token)
        data = await text_fields(request)
        if not check_form_token(request, data.get("form_token", ""), session["token"]):
            return go(request, "review", site, token)
        if session["appointment"]:
            return go(request, "done", site, token)
        if session["slot"] is None:
            return go(request, "slots", site, token)
        identity = session["identity"] or {}
        contacts = identity.get("normalised", {})
        details = BookingDetails(
            source="online",
            created_by="patient",
            patient_id=session["patient"],
            contact_email=contacts.get("email"),
            contact_phone=contacts.get("cell_phone"),
            provisional=None if session["patient"] else {k: v for k, v in identity.items() if k != "normalised"},
            language=session["language"],
            reason=session["reason"],
            details=session["details"],
            service_id=session["service"],
        )
        outcome = await self._booking(clinic, request).book(slot_id=session["slot"], token=token, details=details)
        if not outcome.ok:
            await sessions.update(clinic_id=clinic.id, session_id=session["id"], slot=None)
            return go(request, "slots", site, token, error="taken")
        await sessions.update(clinic_id=clinic.id, session_id=session["id"], appointment=outcome.appointment_id)
        return go(request, "done", site, token)

    # -- step 5: done -----------------------------------------------------------------

    @get("/b/{token:str}/done", name="done")
    async def done(self, request: Request, clinic: ClinicRef, site: dict, token: str) -> Response:
        session = await self._session(request, clinic, site, token)
        if not session["appointment"]:
            return go(request, "review", site, token)
        view = await appointment_view(clinic_id=clinic.id, appointment_id=session["appointment"])
        details_url = request.app.route_reverse(
            "appointment_details",
            token=make_token(request.app.state.settings.secret_key, view["id"], view["ends_at"]),
        )
        return render(request, "portal/done.html", {
            "site": site, "session": session, "appointment": view, "details_url": details_url,
            "ics_url": details_url + "/calendar.ics", "steps": STEPS, "step": "done",
        })

    # -- helpers ------------------------------------------------------------------------

    async def _session(self, request: Request, clinic: ClinicRef, site: dict, token: str) -> dict:
        session = await sessions.get(clinic_id=clinic.id, site_id=site["id"], token=token)
        if session is None:
            raise BookingSessionGone(site)
        # The session keeps the patient's language: in a third-party iframe the
        # language cookie may be blocked. The switch (?lang=) changes it.
        chosen = request.query_params.get("lang")
        if chosen in i18n.LOCALES and chosen != session["language"]:
            await sessions.update(clinic_id=clinic.id, session_id=session["id"], language=chosen)
            session["language"] = chosen
        i18n.activate(session["language"])
        return session

    @staticmethod
    def _booking(clinic: ClinicRef, request: Request) -> BookingService:
        return BookingService(clinic_id=clinic.id, hold_for=request.app.state.settings.hold_duration)

