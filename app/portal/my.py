""" "My appointments" (SPEC §7b): a contact of the file and a date of birth, a one-time
code, then the patient's appointments at this clinic for 30 minutes
(app.patient_space). Every page works as a plain page and with HTMX; the session is in
the URL and each form carries a token signed for it, so no cookie is needed (the widget)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Redirect

from app import clock, i18n
from app.booking import sessions as booking_sessions
from app.booking.links import make_token
from app.booking.sessions import TypedIdentity
from app.client_address import client_address, limit_key
from app.form_fields import text_fields
from app.htmx import page_or_fragment
from app.i18n import N_
from app.messaging import one_time_codes
from app.numbers import MAX_ID, whole_number
from app.online_services.services import eligible_services
from app.patient_space import sessions
from app.patient_space.listing import Listed, Listing, appointments
from app.patient_space.sessions import SpaceSession
from app.patients.contacts import verifier
from app.patients.forms import IdentityForm
from app.patients.identification import identity_key
from app.patients.tables import Patient
from app.portal.dependencies import portal_site
from app.portal.form_tokens import check_form_token, form_token
from app.portal.guards import clinic_pages_only
from app.settings import Settings
from tenants.resolution import ClinicRef
from tenants.sites import SiteView

EXPIRED = N_("This page expired. Please try again.")


def _render(request: Request, template: str, context: dict[str, Any], status_code=200):
    return page_or_fragment(request, template, context, block="my", status_code=status_code)


def _gone(request: Request, site: SiteView) -> Response:
    """A token that names no live session here (expired, ended, tampered, elsewhere)."""
    return _render(request, "portal/my_gone.html", {"site": site}, 404)


class MyAppointments(Controller):
    path = "/{site_slug:str}/my"
    dependencies = {"site": Provide(portal_site)}
    opt = {"exclude_from_csrf": True}  # forms carry their own signed token (form_tokens.py)
    guards = [clinic_pages_only]

    # -- asking for a code -------------------------------------------------------------

    @get("/", name="portal:my")
    async def form(self, request: Request, settings: Settings, site: SiteView) -> Response:
        ended = request.query_params.get("ended") == "1"
        return self._form(request, settings, site, {}, {}, ended=ended)

    @post("/", name="portal:my_submit")
    async def submit(
        self, request: Request, settings: Settings, clinic: ClinicRef, site: SiteView
    ) -> Response:
        data = await text_fields(request)
        values = {k: str(data.get(k, "")) for k in ("contact", "date_of_birth")}
        if not check_form_token(settings.secret_key, data.get("form_token", ""), _scope(site)):
            return self._form(
                request, settings, site, values, {"form": i18n.gettext(EXPIRED)}, status=422
            )
        lookup, errors = sessions.parse_request(data, country=clinic.country)
        if lookup is None:
            return self._form(request, settings, site, values, errors, status=422)
        asked = await sessions.ask(
            clinic_id=clinic.id,
            site_id=site.id,
            lookup=lookup,
            client_key=client_address(request, settings.trusted_proxies),
            language=i18n.current(),
        )
        if asked.status == "rate_limited":
            message = i18n.gettext(
                "Too many attempts. Please try again in a few minutes, or call us at %(phone)s.",
                phone=clinic.phone,
            )
            return self._form(request, settings, site, values, {"form": message}, status=429)
        url = request.app.route_reverse("portal:my_code", site_slug=site.slug, token=asked.token)
        return Redirect(url, status_code=303)

    @staticmethod
    def _form(request, settings, site, values, errors, *, status=200, ended=False) -> Response:
        return _render(
            request,
            "portal/my_request.html",
            {
                "site": site,
                "values": values,
                "errors": errors,
                "ended": ended,
                "form_token": form_token(settings.secret_key, _scope(site)),
            },
            status,
        )

    # -- typing it -----------------------------------------------------------------------

    @get("/{token:str}/code", name="portal:my_code")
    async def code_form(
        self, request: Request, settings: Settings, clinic: ClinicRef, site: SiteView, token: str
    ) -> Response:
        session = await _session(request, clinic, site, token, "code")
        if session is None:
            return _gone(request, site)
        return self._code(request, settings, site, token, session, {}, {})

    @post("/{token:str}/code", name="portal:my_code_submit")
    async def code_submit(
        self, request: Request, settings: Settings, clinic: ClinicRef, site: SiteView, token: str
    ) -> Response:
        session = await _session(request, clinic, site, token, "code")
        if session is None:
            return _gone(request, site)
        data = await text_fields(request)
        typed = {"code": str(data.get("code", ""))}
        if not check_form_token(settings.secret_key, data.get("form_token", ""), token):
            errors = {"form": i18n.gettext(EXPIRED)}
            return self._code(request, settings, site, token, session, typed, errors, 422)
        code, errors = one_time_codes.parse_code(data)
        if code is None:
            return self._code(request, settings, site, token, session, typed, errors, 422)
        checked = await sessions.check_code(
            session=session, typed=code, secret_key=settings.secret_key
        )
        if checked.outcome == "right":
            url = request.app.route_reverse(
                "portal:my_list", site_slug=site.slug, token=checked.token
            )
            return Redirect(url, status_code=303)
        if checked.outcome == "wrong":
            message = i18n.ngettext(
                "This code is not right. You have %(num)s more try.",
                "This code is not right. You have %(num)s more tries.",
                checked.tries_left,
            )
            errors = {"code": message}
            return self._code(request, settings, site, token, session, typed, errors, 422)
        message = i18n.gettext("This code is no longer valid. Ask for a new code.")
        return self._code(
            request, settings, site, token, session, {}, {"form": message}, 422, locked=True
        )

    @staticmethod
    def _code(
        request, settings, site, token, session, values, errors, status=200, locked=False
    ) -> Response:
        return _render(
            request,
            "portal/my_code.html",
            {
                "site": site,
                "token": token,
                "session": session,
                "locked": locked or session.tries >= sessions.MAX_TRIES,
                "digits": one_time_codes.LENGTH,
                "values": values,
                "errors": errors,
                "form_token": form_token(settings.secret_key, token),
            },
            status,
        )

    # -- the list -----------------------------------------------------------------------

    @get("/{token:str}", name="portal:my_list")
    async def listing(
        self, request: Request, settings: Settings, clinic: ClinicRef, site: SiteView, token: str
    ) -> Response:
        session = await _session(request, clinic, site, token, "open")
        if session is None:
            return _gone(request, site)
        return await self._list(request, settings, clinic, site, token, session)

    @staticmethod
    async def _list(request, settings, clinic, site, token, session, error=None, status=200):
        now = clock.now()
        found = await appointments(clinic_id=clinic.id, patient_id=session.patient_id, now=now)
        details = {
            item.appointment.id: request.app.route_reverse(
                "portal:appointment",
                token=make_token(
                    settings.secret_key, item.appointment.id, item.appointment.ends_at
                ),
            )
            for item in found.upcoming
        }
        return _render(
            request,
            "portal/my_list.html",
            {
                "site": site,
                "token": token,
                "listing": found,
                "details": details,
                "again": {
                    item.appointment.id for item in await _bookable_again(clinic, session, found)
                },
                "minutes_left": max(1, int((session.expires_at - now).total_seconds() // 60)),
                "error": error,
                "form_token": form_token(settings.secret_key, token),
            },
            status,
        )

    async def _posted(
        self, request, settings, clinic, site, token
    ) -> tuple[SpaceSession, dict[str, str]] | Response:
        """An open session's form, with its token: the session and the fields, or the page
        to answer with."""
        session = await _session(request, clinic, site, token, "open")
        if session is None:
            return _gone(request, site)
        data = await text_fields(request)
        if not check_form_token(settings.secret_key, data.get("form_token", ""), token):
            error = i18n.gettext(EXPIRED)
            return await self._list(request, settings, clinic, site, token, session, error, 422)
        return session, data

    @post("/{token:str}/again", name="portal:my_again")
    async def book_again(
        self, request: Request, settings: Settings, clinic: ClinicRef, site: SiteView, token: str
    ) -> Response:
        """A booking session for the patient, at step 2, the service chosen."""
        posted = await self._posted(request, settings, clinic, site, token)
        if isinstance(posted, Response):
            return posted
        session, data = posted
        chosen = whole_number(str(data.get("appointment", "")), maximum=MAX_ID)
        found = await appointments(
            clinic_id=clinic.id, patient_id=session.patient_id, now=clock.now()
        )
        item = next(
            (
                i
                for i in await _bookable_again(clinic, session, found)
                if i.appointment.id == chosen
            ),
            None,
        )
        if item is None:
            error = i18n.gettext("This appointment cannot be booked again online.")
            return await self._list(request, settings, clinic, site, token, session, error, 422)
        booking = await _start_booking(request, settings, clinic, site, session)
        if booking is None:
            error = i18n.gettext(
                "You already have several bookings under way. Finish one of them, or try again "
                "in a while. You can also call us at %(phone)s.",
                phone=clinic.phone,
            )
            return await self._list(request, settings, clinic, site, token, session, error, 429)
        await booking_sessions.update(
            clinic_id=clinic.id, session_id=booking.id, service=item.appointment.service_id
        )
        url = request.app.route_reverse("portal:service", site_slug=site.slug, token=booking.token)
        return Redirect(url, status_code=303)

    @post("/{token:str}/out", name="portal:my_logout")
    async def sign_out(
        self, request: Request, settings: Settings, clinic: ClinicRef, site: SiteView, token: str
    ) -> Response:
        posted = await self._posted(request, settings, clinic, site, token)
        if isinstance(posted, Response):
            return posted
        session, _ = posted
        await sessions.end(session=session)
        url = request.app.route_reverse("portal:my", site_slug=site.slug)
        return Redirect(url + "?ended=1", status_code=303)


async def _bookable_again(clinic: ClinicRef, session: SpaceSession, found: Listing) -> list[Listed]:
    """The patient's own appointments booked through a service they may still book (a
    dependant's is booked "for someone else")."""
    offered = {
        o.id for o in await eligible_services(clinic_id=clinic.id, patient_id=session.patient_id)
    }
    return [
        item
        for item in [*found.upcoming, *found.past]
        if not item.person and item.appointment.service_id in offered
    ]


def _scope(site: SiteView) -> str:
    return f"my:{site.id}"


async def _session(
    request: Request, clinic: ClinicRef, site: SiteView, token: str, stage: str
) -> SpaceSession | None:
    """The session keeps the patient's language (a third-party iframe may block the
    language cookie); the switch (?lang=) changes it."""
    session = await sessions.get(clinic_id=clinic.id, site_id=site.id, token=token, stage=stage)
    if session is None:
        return None
    chosen = request.query_params.get("lang")
    if chosen in i18n.LOCALES and chosen != session.language:
        await sessions.set_language(session=session, language=chosen)
        session = replace(session, language=chosen)
    i18n.activate(session.language)
    return session


async def _start_booking(request, settings, clinic, site, session: SpaceSession):
    """The wizard's session as step 1 would have started it for this file: its identity,
    and the file's main contact for the confirmation."""
    row = (
        await Patient.select(
            Patient.first_name,
            Patient.last_name,
            Patient.date_of_birth,
            Patient.sex,
            Patient.health_insurance_number,
        )
        .where((Patient.id == session.patient_id) & (Patient.clinic == clinic.id))
        .first()
    )
    if row is None:
        return None
    contact = await verifier(clinic_id=clinic.id, patient_id=session.patient_id)
    cell = contact.value if contact and contact.kind == "cell" else None
    email = contact.value if contact and contact.kind == "email" else None
    form = IdentityForm(**row, cell_phone=cell, email=email)
    address = client_address(request, settings.trusted_proxies)
    typed = {
        **{k: str(v or "") for k, v in form.to_dict().items()},
        "cell_phone": cell or "",
        "email": email or "",
    }
    return await booking_sessions.start(
        clinic_id=clinic.id,
        site_id=site.id,
        identity=TypedIdentity(as_typed=typed, cell_phone=cell, email=email),
        patient_id=session.patient_id,
        language=session.language,
        visitor=booking_sessions.Visitor(
            client_key=limit_key(address), identity_key=identity_key(form)
        ),
    )
