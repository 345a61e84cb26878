"""Invitations to set a password, sent by email when an administrator creates an account.

The link carries a random token; only a digest is stored (in the invitations table, under
a digest space of its own, so such a link never opens the single sign-on linking and an
SSO link never sets a password). It expires after LIFETIME and is used once: the row is
marked used in the same transaction that saves the password."""

from __future__ import annotations

from app import clock
from app.staff import invitations
from app.staff.invitations import LIFETIME, MAX_TOKEN, InvitationKind, live
from app.staff.tables import StaffInvitation

__all__ = ["LIFETIME", "account_of", "create", "use"]


async def create(*, clinic_id: int, account_id: int, by: int) -> str:
    """Inside or outside the caller's write transaction; returns the token for the link."""
    return await invitations.create(
        clinic_id=clinic_id, account_id=account_id, by=by, kind=InvitationKind.PASSWORD
    )


def _open(clinic_id: int, token: str):
    return live(token, clinic_id=clinic_id, kind=InvitationKind.PASSWORD)


async def account_of(*, clinic_id: int, token: str) -> int | None:
    """The account an unused, unexpired link of this clinic is for, else None."""
    if not token or len(token) > MAX_TOKEN:
        return None
    row = (
        await StaffInvitation.select(StaffInvitation.account).where(_open(clinic_id, token)).first()
    )
    return row["account"] if row else None


async def use(*, clinic_id: int, token: str) -> int | None:
    """Inside the caller's write transaction: marks it used and returns its account, or
    None when it was used meanwhile (two submissions at once: only one sets the password)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    used = (
        await StaffInvitation.update({StaffInvitation.used_at: clock.now()})
        .where(_open(clinic_id, token))
        .returning(StaffInvitation.account)
    )
    return used[0]["account"] if used else None
