"""The one error table: which page, with which status, answers each refusal.

Domain exceptions name what went wrong (a closed portal, a dead link); this table says
how that reads to a person. Litestar's own HTTP exceptions are shown by their status.
A 401 sends the person to the staff sign-in page (htmx follows HX-Redirect). Anything
unexpected is a 500 page, logged with its traceback; a request never sees one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app import db, i18n
from app.bearer_paths import redact
from app.form_fields import NotATextForm
from app.htmx import page_or_fragment
from app.portal.dependencies import BookingSessionGone, PortalClosed
from app.portal.details import AppointmentLinkInvalid
from app.portal.guards import CrossSiteForm
from app.staff.appointments.guards import NotYourAgenda
from app.staff.guards import RoleRequired
from app.staff.pages import staff_page
from app.staff.tables import ROLE_LABELS

log = logging.getLogger("app")


@dataclass(frozen=True)
class Page:
    status: int
    template: str
    context: Callable[[Any], dict] = lambda exc: {}


PAGES: dict[type[Exception], Page] = {
    PortalClosed: Page(200, "portal/closed.html", lambda exc: {"site": exc.site}),
    BookingSessionGone: Page(404, "portal/session_expired.html", lambda exc: {"site": exc.site}),
    AppointmentLinkInvalid: Page(404, "portal/link_invalid.html"),
    CrossSiteForm: Page(403, "portal/cross_site.html"),
    NotATextForm: Page(422, "errors/error.html"),
    RoleRequired: Page(403, "errors/error.html", lambda exc: {"lacks": _lacks(exc)}),
    NotYourAgenda: Page(403, "errors/error.html", lambda exc: {"lacks": _not_yours()}),
}
# Every other refusal by its status; a status not listed gets the general page.
BY_STATUS = {404: "errors/404.html"}
GENERAL = "errors/error.html"
RETRY_AFTER_S = 5  # a database restart takes seconds


def _lacks(exc: RoleRequired) -> str:
    allowed = ", ".join(i18n.gettext(ROLE_LABELS[role]).lower() for role in exc.allowed)
    return i18n.gettext(
        "This page is for: %(allowed)s. You are signed in as %(role)s.",
        allowed=allowed,
        role=i18n.gettext(ROLE_LABELS[exc.role]).lower(),
    )


def _not_yours() -> str:
    return i18n.gettext(
        "A practitioner changes their own agenda only: this one is read-only for you."
    )


def _page_for(exc: Exception) -> Page | None:
    for kind in type(exc).__mro__:
        if kind in PAGES:
            return PAGES[kind]
    return None


def error_page(request: Request, exc: Exception) -> Response:
    # The path from the scope: request.url would parse the Host header, which may be
    # what is wrong with this request.
    path = request.scope["path"]
    if db.unavailable(exc):
        # Not a bug: the database is restarting or down. Briefly unavailable, try again.
        log.warning("database unavailable on %s: %s", redact(path), type(exc).__name__)
        response = page_or_fragment(request, GENERAL, {"status": 503}, status_code=503)
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
    page = _page_for(exc)
    status = (
        page.status
        if page
        else exc.status_code
        if isinstance(exc, HTTPException)
        else HTTP_500_INTERNAL_SERVER_ERROR
    )
    if status >= 500:
        log.exception("unhandled error on %s", redact(path), exc_info=exc)
    if status == 401:
        return _to_sign_in(request)
    template = page.template if page else BY_STATUS.get(status, GENERAL)
    context = {"status": status, **(page.context(exc) if page else {})}
    if path.startswith("/staff/") and request.scope.get("state", {}).get("clinic"):
        # Inside the staff area, the staff's own layout and navigation.
        return staff_page(
            request, template, {**context, "layout": "staff/base.html"}, status_code=status
        )
    return page_or_fragment(request, template, context, status_code=status)


def _to_sign_in(request: Request) -> Response:
    """Not signed in (or no longer): to the sign-in page, coming back here afterwards."""
    target = (
        request.app.route_reverse("staff:sign_in")
        + "?"
        + urlencode({"next": request.scope["path"]})
    )
    if request.headers.get("hx-request") == "true":
        return Response("", status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)
