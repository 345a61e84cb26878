"""The waiting list's patient pages: asking (from the wizard's availabilities step or
its last page), an offer's one-step booking link, and "Stop these messages".

Like the rest of the portal they work without cookies (a signed form token on every
POST). An offer's and a stop link's token is checked against its row's nonce in this
clinic and at this site: a tampered token, another clinic's, or one for another site is
the same "This link does not work"."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Redirect

from app import clock, i18n
from app.booking.links import make_token as details_token
from app.booking.services import BookingDetails, BookingService, OutcomeCode
from app.booking.sessions import BookingSessionView
from app.booking.tables import Source
from app.booking.views import appointment_view, slot_view
from app.client_address import client_address
from app.events import PATIENT
from app.form_fields import text_fields
from app.htmx import page_or_fragment
from app.portal.availability import is_bookable
from app.portal.dependencies import booking_session, portal_site
from app.portal.form_tokens import check_form_token, form_token
from app.portal.guards import clinic_pages_only
from app.portal.wizard import EXPIRED, STEPS
from app.settings import Settings
from app.waitlist import links, requests
from app.waitlist.listeners import claiming
from app.waitlist.tables import Offer, OfferOutcome, WaitRequest, WaitStatus
from tenants.resolution import ClinicRef
from tenants.sites import SiteView


def _today(clinic: ClinicRef):
    return clock.now().astimezone(ZoneInfo(clinic.time_zone)).date()


class AskEarlier(Controller):
    """On the wizard's session: "Tell me if an earlier appointment opens"."""

    path = "/{site_slug:str}/b/{token:str}/earlier"
    dependencies = {"site": Provide(portal_site), "session": Provide(booking_session)}
    opt = {"exclude_from_csrf": True}
    guards = [clinic_pages_only]

    @get("/", name="portal:earlier")
    async def form(
        self,
        request: Request,
        settings: Settings,
        clinic: ClinicRef,
        site: SiteView,
        session: BookingSessionView,
    ) -> Response:
        if session.service_id is None:
            return Redirect(
                request.app.route_reverse(
                    "portal:service", site_slug=site.slug, token=session.token
                ),
                status_code=303,
            )
        asked = request.query_params.get("asked") == "1"
        return self._page(request, settings, clinic, site, session, {}, {}, asked=asked)

    @post("/", name="portal:earlier_submit")
    async def submit(
        self,
        request: Request,
        settings: Settings,
        clinic: ClinicRef,
        site: SiteView,
        session: BookingSessionView,
    ) -> Response:
        data = await text_fields(request)
        if not check_form_token(settings.secret_key, data.get("form_token", ""), session.token):
            return self._page(
                request, settings, clinic, site, session, data, {"form": i18n.gettext(EXPIRED)}, 422
            )
        if session.service_id is None:
            errors = {"form": i18n.gettext("Choose a service first.")}
            return self._page(request, settings, clinic, site, session, data, errors, 422)
        form, errors = requests.parse_ask(
            data, today=_today(clinic), channels=requests.channels_of(session)
        )
        if form is None:
            return self._page(request, settings, clinic, site, session, data, errors, 422)
        await requests.ask(session=session, form=form, appointment_id=session.appointment_id)
        url = request.app.route_reverse("portal:earlier", site_slug=site.slug, token=session.token)
        return Redirect(url + "?asked=1", status_code=303)

    @staticmethod
    def _page(
        request, settings, clinic, site, session, values, errors, status_code=200, asked=False
    ):
        return page_or_fragment(
            request,
            "waitlist/ask.html",
            {
                "site": site,
                "session": session,
                "steps": STEPS,
                "step": "done" if session.appointment_id else "slots",
                "form_token": form_token(settings.secret_key, session.token),
                "earlier": earlier_form(session, values, errors, _today(clinic)),
                "asked": asked and not errors,
            },
            block="step",
            status_code=status_code,
        )


def earlier_form(session, values: dict, errors: dict, today) -> dict:
    """What the form needs, on this page and on the slots and done pages that include it."""
    channels = requests.channels_of(session)
    return {
        "channels": [(c, requests.CHANNEL_LABELS[c]) for c in channels],
        "values": {"channel": next(iter(channels), ""), **values},
        "errors": errors,
        "min": today.isoformat(),
        "max": (today + requests.FURTHEST).isoformat(),
        "after_booking": bool(session.appointment_id),
    }


@dataclass(frozen=True)
class Found:
    offer: dict
    request: dict


async def _offer(settings: Settings, clinic: ClinicRef, site: SiteView, token: str) -> Found | None:
    offer_id = links.token_id(token)
    if offer_id is None:
        return None
    offer = await Offer.select().where((Offer.id == offer_id) & (Offer.clinic == clinic.id)).first()
    if offer is None or not links.signed_for(
        settings.secret_key, "offer", token, offer_id, offer["nonce"]
    ):
        return None
    request = (
        await WaitRequest.select()
        .where(
            (WaitRequest.id == offer["request"])
            & (WaitRequest.clinic == clinic.id)
            & (WaitRequest.site == site.id)
        )
        .first()
    )
    return Found(offer, request) if request else None


def _speak(request: Request, language: str) -> None:
    """The language the patient asked in, unless the page's switch (?lang=) says otherwise."""
    if request.query_params.get("lang") not in i18n.LOCALES:
        i18n.activate(language)


def _invalid(request: Request) -> Response:
    return page_or_fragment(request, "portal/link_invalid.html", {}, status_code=404)


class EarlierLinks(Controller):
    path = "/{site_slug:str}/earlier"
    dependencies = {"site": Provide(portal_site)}
    opt = {"exclude_from_csrf": True}
    guards = [clinic_pages_only]

    @get("/{token:str}", name="portal:earlier_offer")
    async def offer(
        self, request: Request, settings: Settings, clinic: ClinicRef, site: SiteView, token: str
    ) -> Response:
        found = await _offer(settings, clinic, site, token)
        if found is None:
            return _invalid(request)
        _speak(request, found.request["language"])
        return await self._offer_page(request, settings, clinic, site, token, found)

    @post("/{token:str}", name="portal:earlier_take")
    async def take(
        self,
        request: Request,
        settings: Settings,
        clinic: ClinicRef,
        site: SiteView,
        token: str,
        booking: BookingService,
    ) -> Response:
        found = await _offer(settings, clinic, site, token)
        if found is None:
            return _invalid(request)
        _speak(request, found.request["language"])
        offer, wait = found.offer, found.request
        data = await text_fields(request)
        if not check_form_token(
            settings.secret_key, data.get("form_token", ""), f"earlier:{offer['id']}"
        ):
            return await self._offer_page(
                request,
                settings,
                clinic,
                site,
                token,
                found,
                error=i18n.gettext(EXPIRED),
                status_code=422,
            )
        if offer["outcome"] != OfferOutcome.OPEN or wait["status"] != WaitStatus.WAITING:
            return await self._offer_page(
                request, settings, clinic, site, token, found, status_code=409
            )
        actor = PATIENT.at(client_address(request, settings.trusted_proxies))
        bookable = await is_bookable(
            offer["slot"],
            clinic_id=clinic.id,
            service_id=wait["service"],
            patient_id=wait["patient"],
            site_id=site.id,
            holder=f"earlier-{offer['nonce']}",
        )
        outcome = None
        if bookable:
            with claiming(offer["id"]):
                if wait["appointment"]:
                    outcome = await booking.move(
                        appointment_id=wait["appointment"], new_slot_id=offer["slot"], actor=actor
                    )
                else:
                    outcome = await self._book(booking, offer, wait, actor)
        if outcome is None or not outcome.ok:
            # Gone (first come, first served): this offer closes; the page says so.
            await Offer.update(
                {Offer.outcome: OfferOutcome.TAKEN.value, Offer.closed_at: clock.now()}
            ).where(
                (Offer.id == offer["id"])
                & (Offer.clinic == clinic.id)
                & (Offer.outcome == OfferOutcome.OPEN.value)
            )
            found = Found({**offer, "outcome": OfferOutcome.TAKEN.value}, wait)
            return await self._offer_page(
                request, settings, clinic, site, token, found, status_code=409
            )
        appointment = await appointment_view(
            clinic_id=clinic.id, appointment_id=outcome.appointment_id
        )
        details_url = request.app.route_reverse(
            "portal:appointment",
            token=details_token(settings.secret_key, appointment.id, appointment.ends_at),
        )
        return page_or_fragment(
            request,
            "waitlist/taken.html",
            {
                "site": site,
                "appointment": appointment,
                "details_url": details_url,
                "moved": outcome.code is OutcomeCode.MOVED,
            },
        )

    @staticmethod
    async def _book(booking: BookingService, offer: dict, wait: dict, actor):
        hold = f"earlier-{offer['nonce']}"
        held = await booking.hold(slot_id=offer["slot"], token=hold)
        if not held.ok:
            return held
        details = BookingDetails(
            source=Source.ONLINE,
            patient_id=wait["patient"],
            contact_email=wait["contact_email"],
            contact_phone=wait["contact_phone"],
            provisional=None if wait["patient"] else wait["provisional"],
            language=wait["language"],
            service_id=wait["service"],
        )
        outcome = await booking.book(
            slot_id=offer["slot"], token=hold, details=details, actor=actor
        )
        if not outcome.ok:
            await booking.release(token=hold)
        return outcome

    @staticmethod
    async def _offer_page(
        request, settings, clinic, site, token, found: Found, error=None, status_code=200
    ):
        slot = await slot_view(clinic_id=clinic.id, slot_id=found.offer["slot"])
        offer, wait = found.offer, found.request
        state = "open"
        if wait["status"] == WaitStatus.STOPPED:
            state = "stopped"
        elif offer["outcome"] == OfferOutcome.BOOKED:
            state = "yours"
        elif offer["outcome"] != OfferOutcome.OPEN or wait["status"] != WaitStatus.WAITING:
            state = "gone"
        elif slot is None or slot.starts_at <= clock.now():
            state = "gone"
        return page_or_fragment(
            request,
            "waitlist/offer.html",
            {
                "site": site,
                "slot": slot,
                "state": state,
                "moving": bool(wait["appointment"]),
                "token": token,
                "error": error,
                "form_token": form_token(settings.secret_key, f"earlier:{offer['id']}"),
                "stop_url": links.stop_path(
                    site.slug,
                    links.make_token(settings.secret_key, "stop", wait["id"], wait["nonce"]),
                ),
            },
            status_code=status_code,
        )

    @get("/stop/{token:str}", name="portal:earlier_stop")
    async def stop_form(
        self, request: Request, settings: Settings, clinic: ClinicRef, site: SiteView, token: str
    ) -> Response:
        wait = await _request(settings, clinic, site, token)
        if wait is None:
            return _invalid(request)
        _speak(request, wait["language"])
        return self._stop_page(request, settings, site, token, wait)

    @post("/stop/{token:str}", name="portal:earlier_stop_submit")
    async def stop(
        self, request: Request, settings: Settings, clinic: ClinicRef, site: SiteView, token: str
    ) -> Response:
        wait = await _request(settings, clinic, site, token)
        if wait is None:
            return _invalid(request)
        _speak(request, wait["language"])
        data = await text_fields(request)
        if not check_form_token(
            settings.secret_key, data.get("form_token", ""), f"earlier-stop:{wait['id']}"
        ):
            return self._stop_page(
                request, settings, site, token, wait, error=i18n.gettext(EXPIRED), status_code=422
            )
        await requests.stop(clinic_id=clinic.id, request_id=wait["id"])
        return self._stop_page(
            request, settings, site, token, {**wait, "status": WaitStatus.STOPPED.value}
        )

    @staticmethod
    def _stop_page(request, settings, site, token, wait, error=None, status_code=200):
        return page_or_fragment(
            request,
            "waitlist/stop.html",
            {
                "site": site,
                "token": token,
                "stopped": wait["status"] != WaitStatus.WAITING,
                "error": error,
                "form_token": form_token(settings.secret_key, f"earlier-stop:{wait['id']}"),
            },
            status_code=status_code,
        )


async def _request(
    settings: Settings, clinic: ClinicRef, site: SiteView, token: str
) -> dict | None:
    request_id = links.token_id(token)
    if request_id is None:
        return None
    wait = (
        await WaitRequest.select()
        .where(
            (WaitRequest.id == request_id)
            & (WaitRequest.clinic == clinic.id)
            & (WaitRequest.site == site.id)
        )
        .first()
    )
    if wait is None or not links.signed_for(
        settings.secret_key, "stop", token, request_id, wait["nonce"]
    ):
        return None
    return wait
