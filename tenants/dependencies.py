"""The clinic of a request or a WebSocket, for any route that takes `clinic`."""

from __future__ import annotations

from litestar.exceptions import NotFoundException
from litestar.types import Scope

from tenants.resolution import ClinicRef


def provide_clinic(scope: Scope) -> ClinicRef:
    """The clinic the middleware resolved from the Host header; a route reached without
    one (the platform's bare domain) ends in a 404: it fails closed."""
    clinic = scope.get("state", {}).get("clinic")
    if clinic is None:
        raise NotFoundException("no clinic on this host")
    return clinic
