"""The booking wizard (SPEC §6): identify → service → availabilities → review → done.

Every step has its own URL and works as a plain page; with HTMX the step's block is
swapped in place and the address bar follows (HX-Push-Url). The wizard's state is a
BookingSession row whose unguessable token is in the URL: no cookie is needed, so it
works inside a third-party iframe. Forms carry a token signed for that session (or,
on step 1, for the site and the hour), checked on every POST."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Redirect

from app import clock, i18n
from app.booking import sessions
from app.booking.bookers import booking_for_someone_else, parse_booker
from app.booking.external import EMAIL_REQUIRED_MESSAGE
from app.booking.links import make_token
from app.booking.search import MAX_RESULTS, results_for_page
from app.booking.services import BookingDetails, BookingService, OutcomeCode
from app.booking.sessions import BookingSessionView, TypedIdentity
from app.booking.tables import Source
from app.booking.views import appointment_view, slot_view
from app.client_address import client_address, limit_key
from app.db import write_transaction
from app.events import PATIENT
from app.form_fields import text_fields
from app.htmx import page_or_fragment
from app.i18n import N_
from app.messaging import one_time_codes
from app.numbers import MAX_ID, whole_number
from app.online_services.services import eligible_services
from app.patients.contacts import (
    Contact,
    add_missing_contacts,
    masked,
    pending_among,
    verifier,
    verify,
)
from app.patients.forms import parse_identity
from app.patients.identification import identify, identity_key
from app.portal.availability import BookableQuery, bookable_query
from app.portal.dependencies import booking_session, portal_site
from app.portal.form_tokens import check_form_token, form_token
from app.portal.forms import parse_service_step
from app.portal.guards import clinic_pages_only
from app.settings import Settings
from tenants.resolution import ClinicRef
from tenants.sites import SiteView

STEPS = ("identify", "service", "slots", "review", "done")
TYPED_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "health_insurance_number",
    "cell_phone",
    "email",
)


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    return page_or_fragment(request, template, context, block="step", status_code=status_code)


def go(request: Request, step: str, site: SiteView, token: str, **query: Any) -> Redirect:
    url = request.app.route_reverse(f"portal:{step}", site_slug=site.slug, token=token)
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return Redirect(url, status_code=303)


def expired(settings: Settings, data: dict[str, str], scope: str) -> bool:
    return not check_form_token(settings.secret_key, data.get("form_token", ""), scope)


class IdentifyStep(Controller):
    """Step 1: who the patient is. It starts the booking session."""

    path = "/{site_slug:str}"
    dependencies = {"site": Provide(portal_site)}
    opt = {"exclude_from_csrf": True}  # forms carry their own signed token (see form_tokens.py)
    guards = [clinic_pages_only]

    @get("/", name="portal:identify")
    async def form(self, request: Request, settings: Settings, site: SiteView) -> Response:
        return self._page(request, settings, site, values={}, errors={})

    @post("/", name="portal:identify_submit")
    async def submit(
        self, request: Request, settings: Settings, clinic: ClinicRef, site: SiteView
    ) -> Response:
        data = await text_fields(request)
        if expired(settings, data, f"identify:{site.id}"):
            return self._page(
                request,
                settings,
                site,
                data,
                {"form": i18n.gettext("This page expired. Please try again.")},
                422,
            )
        form, errors = parse_identity(data, country=clinic.country, hin_format=clinic.hin_format)
        booker = None
        if booking_for_someone_else(data):
            # Checked before identifying, so bad input here costs no identification attempt.
            booker, booker_errors = parse_booker(data, country=clinic.country)
            errors = {**errors, **booker_errors}
        if form is None or errors:
            return self._page(request, settings, site, data, errors, 422)
        address = client_address(request, settings.trusted_proxies)
        found = await identify(clinic_id=clinic.id, form=form, client_key=address)
        if found.status == "rate_limited":
            message = i18n.gettext(
                "Too many attempts. Please try again in a few minutes, or call us at %(phone)s.",
                phone=clinic.phone,
            )
            return self._page(request, settings, site, data, {"form": message}, 429)
        services = await eligible_services(clinic_id=clinic.id, patient_id=found.patient_id)
        if not services:
            # The form comes back filled in, for the patient to check for a typo.
            return self._page(
                request, settings, site, data, {}, template="portal/not_eligible.html"
            )
        identity = TypedIdentity(
            as_typed={key: data.get(key, "") for key in TYPED_FIELDS},
            cell_phone=form.cell_phone,
            email=form.email,
            booker=booker,
        )
        session = await sessions.start(
            clinic_id=clinic.id,
            site_id=site.id,
            identity=identity,
            patient_id=found.patient_id,
            language=i18n.current(),
            visitor=sessions.Visitor(
                client_key=limit_key(address), identity_key=identity_key(form)
            ),
        )
        if session is None:
            message = i18n.gettext(
                "You already have several bookings under way. Finish one of them, or try again "
                "in a while. You can also call us at %(phone)s.",
                phone=clinic.phone,
            )
            return self._page(request, settings, site, data, {"form": message}, 429)
        if found.patient_id:
            # Contacts typed on the form that the file lacks join it, pending, after the others:
            # the patient's own, never the booker's (the form holds the patient's only).
            await add_missing_contacts(clinic_id=clinic.id, patient_id=found.patient_id, form=form)
        return go(request, "service", site, session.token)

    @staticmethod
    def _page(
        request, settings, site, values, errors, status_code=200, template="portal/identify.html"
    ) -> Response:
        return render(
            request,
            template,
            {
                "site": site,
                "values": values,
                "errors": errors,
                "steps": STEPS,
                "step": "identify",
                "form_token": form_token(settings.secret_key, f"identify:{site.id}"),
            },
            status_code,
        )


@dataclass(frozen=True)
class Step:
    """What every step past the first works with: the request, the site, the patient's
    session, and the settings that sign its forms."""

    request: Request
    settings: Settings
    clinic: ClinicRef
    site: SiteView
    session: BookingSessionView

    def go(self, step: str, **query: Any) -> Redirect:
        return go(self.request, step, self.site, self.session.token, **query)

    def expired(self, data: dict[str, str]) -> bool:
        return expired(self.settings, data, self.session.token)

    def render(
        self, template: str, name: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        return render(
            self.request,
            template,
            {
                "site": self.site,
                "session": self.session,
                "steps": STEPS,
                "step": name,
                "form_token": form_token(self.settings.secret_key, self.session.token),
                **context,
            },
            status_code,
        )


def provide_step(
    request: Request,
    settings: Settings,
    clinic: ClinicRef,
    site: SiteView,
    session: BookingSessionView,
) -> Step:
    return Step(request, settings, clinic, site, session)


EXPIRED = N_("This page expired. Please try again.")


class BookingSteps(Controller):
    """Steps 1b to 5, each on the session's own URL."""

    path = "/{site_slug:str}/b/{token:str}"
    dependencies = {
        "site": Provide(portal_site),
        "session": Provide(booking_session),
        "step": Provide(provide_step, sync_to_thread=False),
    }
    opt = {"exclude_from_csrf": True}
    guards = [clinic_pages_only]

    # -- step 1b: confirm new contacts --------------------------------------------------
    # A contact typed here that the file lacks is pending (see app.patients.contacts). The
    # patient may prove they hold the file with a code sent to a contact it vouches for;
    # or go on, and the clinic confirms it later.

    @get("/contacts", name="portal:contacts")
    async def contacts_form(self, step: Step) -> Response:
        return await self._contacts_page(step, {})

    @post("/contacts", name="portal:contacts_submit")
    async def contacts_submit(self, step: Step) -> Response:
        data = await text_fields(step.request)
        if step.expired(data):
            return await self._contacts_page(step, {"form": i18n.gettext(EXPIRED)}, 422)
        clinic, session = step.clinic, step.session
        pending = await _pending(clinic, session)
        destination = pending and await verifier(clinic_id=clinic.id, patient_id=session.patient_id)
        if not destination:
            return step.go("service")
        subject = _code_subject(session)
        if data.get("action") == "send":
            sent = await one_time_codes.send(
                clinic_id=clinic.id,
                subject=subject,
                channel="email" if destination.kind == "email" else "sms",
                address=destination.value,
                language=session.language,
            )
            if sent is None:
                message = i18n.gettext(
                    "Too many codes were sent to this contact. Please try again in an hour, "
                    "or go on without confirming."
                )
                return await self._contacts_page(step, {"form": message}, 429)
            return step.go("contacts")
        code, errors = one_time_codes.parse_code(data)
        typed = {"code": str(data.get("code", ""))}
        if code is None:
            return await self._contacts_page(step, errors, 422, typed)
        async with write_transaction():
            checked = await one_time_codes.check(
                clinic_id=clinic.id,
                subject=subject,
                typed=code,
                secret_key=step.settings.secret_key,
            )
            if checked.outcome == "right":
                await verify(
                    clinic_id=clinic.id,
                    patient_id=session.patient_id,
                    values=[c.value for c in pending],
                )
        if checked.outcome == "right":
            return step.go("service", confirmed=1)
        if checked.tries_left:
            message = i18n.ngettext(
                "This code is not right. You have %(num)s more try.",
                "This code is not right. You have %(num)s more tries.",
                checked.tries_left,
            )
            return await self._contacts_page(step, {"code": message}, 422, typed)
        message = i18n.gettext("This code is no longer valid. Ask for a new code.")
        return await self._contacts_page(step, {"form": message}, 422)

    async def _contacts_page(self, step: Step, errors, status_code=200, values=None) -> Response:
        pending = await _pending(step.clinic, step.session)
        if not pending:
            return step.go("service")
        destination = await verifier(clinic_id=step.clinic.id, patient_id=step.session.patient_id)
        challenge = destination and await one_time_codes.live(
            clinic_id=step.clinic.id, subject=_code_subject(step.session)
        )
        return step.render(
            "portal/contacts.html",
            "identify",
            {
                "pending": pending,
                "destination": destination,
                "shown": masked(destination) if destination else "",
                "challenge": challenge,
                "digits": one_time_codes.LENGTH,
                "values": values or {},
                "errors": errors,
            },
            status_code,
        )

    # -- step 2: service ------------------------------------------------------------

    @get("/service", name="portal:service")
    async def service_form(self, step: Step) -> Response:
        session = step.session
        values = {
            "service": str(session.service_id or ""),
            "reason": session.reason,
            "details": session.details,
            "preference": session.preference,
            "from_date": session.from_date.isoformat() if session.from_date else "",
            "day_part": session.day_part or "",
        }
        return await self._service_page(step, values, {})

    @post("/service", name="portal:service_submit")
    async def service_submit(self, step: Step) -> Response:
        data = await text_fields(step.request)
        if step.expired(data):
            return await self._service_page(step, data, {"form": i18n.gettext(EXPIRED)}, 422)
        clinic, session = step.clinic, step.session
        offers = await eligible_services(clinic_id=clinic.id, patient_id=session.patient_id)
        today = clock.now().astimezone(ZoneInfo(clinic.time_zone)).date()
        choice, errors = parse_service_step(data, service_ids={o.id for o in offers}, today=today)
        if choice is None:
            return await self._service_page(step, data, errors, 422)
        await sessions.update(
            clinic_id=clinic.id,
            session_id=session.id,
            service=choice.service_id,
            reason=choice.reason,
            details=choice.details,
            preference=choice.preference,
            from_date=choice.from_date,
            day_part=choice.day_part,
            shown=results_for_page(1),
        )
        return step.go("service", saved=1)

    async def _service_page(self, step: Step, values, errors, status_code=200) -> Response:
        query = step.request.query_params
        offers = await eligible_services(
            clinic_id=step.clinic.id, patient_id=step.session.patient_id
        )
        pending = await _pending(step.clinic, step.session)
        chosen = next((o for o in offers if o.id == step.session.service_id), None)
        return step.render(
            "portal/service.html",
            "service",
            {
                "offers": offers,
                "chosen": chosen,
                "saved": query.get("saved") == "1" and chosen is not None and not errors,
                "pending": pending,
                "confirmed": query.get("confirmed") == "1" and not pending,
                "values": values,
                "errors": errors,
            },
            status_code,
        )

    # -- step 3: availabilities -----------------------------------------------------

    @get("/slots", name="portal:slots")
    async def slots(self, step: Step) -> Response:
        if step.session.service_id is None:
            return step.go("service")
        more = _asked_for_more(step.request)
        if more is not None:
            shown = results_for_page(more // 5)
            await sessions.update(clinic_id=step.clinic.id, session_id=step.session.id, shown=shown)
            step = replace(step, session=replace(step.session, shown=shown))
        error = step.request.query_params.get("error")
        return await self._slots_page(step, await _bookable(step), error=error)

    @post("/slots", name="portal:slots_submit")
    async def slots_submit(self, step: Step, booking: BookingService) -> Response:
        data = await text_fields(step.request)
        slot_id = whole_number(data.get("slot", ""), maximum=MAX_ID)
        # Worked out once: most holds in a storm are refused, and each then shows the page.
        query = await _bookable(step)
        if step.expired(data):
            return await self._slots_page(step, query, error="expired", status_code=422)
        if slot_id is None:
            return await self._slots_page(step, query, error="choose", status_code=422)
        if query is None or not await query.slots(limit=1, slot_id=slot_id):
            return await self._slots_page(step, query, error="taken", status_code=409)
        outcome = await sessions.hold(session=step.session, slot_id=slot_id, booking=booking)
        if outcome.code is OutcomeCode.TOO_MANY_HOLDS:
            return await self._slots_page(step, query, error="holds", status_code=429)
        if not outcome.ok:
            return await self._slots_page(step, query, error="taken", status_code=409)
        await sessions.update(clinic_id=step.clinic.id, session_id=step.session.id, slot=slot_id)
        return step.go("review")

    async def _slots_page(
        self, step: Step, query: BookableQuery | None, error=None, status_code=200
    ) -> Response:
        """The slots `query` finds now (None: nothing this person may book here)."""
        shown = step.session.shown
        found = await query.slots(limit=shown + 1) if query else []
        return step.render(
            "portal/slots.html",
            "slots",
            {
                "slots": found[:shown],
                "has_more": len(found) > shown and shown < MAX_RESULTS,
                "next_shown": shown + 5,
                "error": i18n.gettext(SLOT_ERRORS[error]) if error in SLOT_ERRORS else None,
                "error_code": error,
                # After "See more", focus goes to the first new choice, not back to the top.
                "first_new": shown - 5
                if _asked_for_more(step.request) is not None and shown > 5
                else None,
            },
            status_code,
        )

    # -- step 4: review ---------------------------------------------------------------

    @get("/review", name="portal:review")
    async def review(self, step: Step) -> Response:
        session = step.session
        if session.appointment_id:
            return step.go("done")
        if session.slot_id is None:
            return step.go("slots")
        slot = await slot_view(clinic_id=step.clinic.id, slot_id=session.slot_id)
        if slot is None or not slot.held_by(session.token, clock.now()):
            return step.go("slots", error="taken")
        return step.render(
            "portal/review.html",
            "review",
            {
                "slot": slot,
                # Rounded up: the page's countdown must not reach 0:00 while the hold still runs.
                "seconds_left": math.ceil((slot.hold_until - clock.now()).total_seconds()),
            },
        )

    @post("/review", name="portal:review_submit")
    async def book(self, step: Step, booking: BookingService) -> Response:
        data = await text_fields(step.request)
        session = step.session
        if step.expired(data):
            return step.go("review")
        if session.appointment_id:
            return step.go("done")
        if session.slot_id is None:
            return step.go("slots")
        identity = session.identity
        email, phone = identity.confirm_to
        details = BookingDetails(
            source=Source.ONLINE,
            patient_id=session.patient_id,
            contact_email=email,
            contact_phone=phone,
            provisional=None if session.patient_id else provisional_identity(identity),
            language=session.language,
            reason=session.reason,
            details=session.details,
            service_id=session.service_id,
        )
        actor = PATIENT.at(client_address(step.request, step.settings.trusted_proxies))
        # The appointment and the session pointing to it commit together: this POST sent
        # again (its answer lost with an instance that died, and the browser resending)
        # finds the session booked and shows "done", not its own slot taken.
        async with write_transaction():
            outcome = await booking.book(
                slot_id=session.slot_id, token=session.token, details=details, actor=actor
            )
            if outcome.ok:
                await sessions.update(
                    clinic_id=step.clinic.id,
                    session_id=session.id,
                    appointment=outcome.appointment_id,
                )
        if not outcome.ok:
            current = await sessions.get(
                clinic_id=step.clinic.id, site_id=step.site.id, token=session.token
            )
            if current is not None and current.appointment_id:  # the same POST sent twice at once
                return step.go("done")
            await sessions.update(clinic_id=step.clinic.id, session_id=session.id, slot=None)
            refused = "email" if outcome.code is OutcomeCode.EMAIL_REQUIRED else "taken"
            return step.go("slots", error=refused)
        return step.go("done")

    # -- step 5: done -----------------------------------------------------------------

    @get("/done", name="portal:done")
    async def done(self, step: Step) -> Response:
        if not step.session.appointment_id:
            return step.go("review")
        appointment = await appointment_view(
            clinic_id=step.clinic.id, appointment_id=step.session.appointment_id
        )
        details_url = step.request.app.route_reverse(
            "portal:appointment",
            token=make_token(step.settings.secret_key, appointment.id, appointment.ends_at),
        )
        return step.render(
            "portal/done.html",
            "done",
            {
                "appointment": appointment,
                "details_url": details_url,
                "ics_url": details_url + "/calendar.ics",
            },
        )


SLOT_ERRORS = {
    "taken": N_("This appointment is no longer available"),
    "email": EMAIL_REQUIRED_MESSAGE,  # an external video platform invites by email
    "expired": EXPIRED,
    "choose": N_("Choose an appointment."),
    "holds": N_(
        "You are already holding several appointments in other windows. Book one of "
        "them, or wait a few minutes for them to be released."
    ),
}


def provisional_identity(identity: TypedIdentity) -> dict[str, Any]:
    """What an unidentified patient's appointment keeps for staff to attach it: the
    identity as typed; when someone else booked, who they are and the patient's own
    contacts (the appointment's contacts are then the booker's, not the patient's)."""
    if identity.booker is None:
        return identity.as_typed
    return {
        **identity.as_typed,
        "booked_by": identity.booker.to_json(),
        "own_contacts": {"email": identity.email, "cell_phone": identity.cell_phone},
    }


def _asked_for_more(request: Request) -> int | None:
    """How many availabilities "See more" asked for (?shown=), if it did."""
    return whole_number(request.query_params.get("shown", ""), maximum=MAX_RESULTS)


def _code_subject(session: BookingSessionView) -> str:
    """What a code asked for on the contacts step proves: this session's hold on its file."""
    return f"contacts:session:{session.id}"


async def _pending(clinic: ClinicRef, session: BookingSessionView) -> list[Contact]:
    """The contacts typed in this session that the patient's file does not vouch for yet."""
    if not session.patient_id:
        return []
    typed = [value for value in (session.identity.cell_phone, session.identity.email) if value]
    return await pending_among(clinic_id=clinic.id, patient_id=session.patient_id, values=typed)


async def _bookable(step: Step) -> BookableQuery | None:
    clinic, site, session = step.clinic, step.site, step.session
    return await bookable_query(
        clinic_id=clinic.id,
        service_id=session.service_id,
        patient_id=session.patient_id,
        site_id=site.id,
        from_date=session.from_date,
        day_part=session.day_part,
        holder=session.token,
    )
