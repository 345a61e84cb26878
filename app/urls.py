"""Absolute addresses of a clinic's pages (the widget and its snippets, the calendar
file): built from the settings and the clinic's slug, never from the request's Host
header, which a client writes (widget.js is cached publicly: one forged Host would
serve every visitor a frame of another site)."""

from __future__ import annotations

from litestar import Request

from app.settings import Settings
from tenants.resolution import ClinicRef


def clinic_page_url(
    request: Request, settings: Settings, clinic: ClinicRef, route: str, **params: object
) -> str:
    return settings.clinic_url(clinic.slug) + request.app.route_reverse(route, **params)
