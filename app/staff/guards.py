"""The staff area's Litestar guards: signed in (else the sign-in page, by the error table's
401), and the roles a route is for (else the 403 page saying what the role lacks).
Applied on controllers and routers, never checked by hand inside handlers. Guards are
async even when they await nothing: Litestar runs a sync guard in a thread, a hop per
request."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.types import Scope

from app.staff.accounts import StaffUser
from app.staff.tables import StaffRole


class RoleRequired(PermissionDeniedException):
    """The signed-in role may not use this page: the page says which roles may."""

    def __init__(self, allowed: tuple[StaffRole, ...], role: StaffRole) -> None:
        super().__init__(f"{role} may not use this page")
        self.allowed, self.role = allowed, role


def staff_of(connection: ASGIConnection) -> StaffUser:
    staff = connection.scope.get("state", {}).get("staff")
    if staff is None:
        raise NotAuthorizedException("not signed in")
    return staff


async def signed_in(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    staff_of(connection)


def requires(*allowed: StaffRole):
    """A guard for the routes of these roles only."""

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        staff = staff_of(connection)
        if staff.role not in allowed:
            raise RoleRequired(allowed, staff.role)

    guard.__name__ = f"requires_{'_or_'.join(allowed)}"
    return guard


administrators = requires(StaffRole.ADMINISTRATOR)
front_desk = requires(StaffRole.ADMINISTRATOR, StaffRole.SECRETARY)  # patients, reconciliation


def provide_staff(scope: Scope) -> StaffUser:
    """The `staff` dependency of signed-in routes."""
    staff = scope.get("state", {}).get("staff")
    if staff is None:
        raise NotAuthorizedException("not signed in")
    return staff
