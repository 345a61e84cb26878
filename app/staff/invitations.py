"""Invitations to link a staff account to the clinic's identity provider: an administrator
makes one for one account; the link carries a random token (only its digest is stored),
expires after LIFETIME and is used once, when the invitee comes back from the provider."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from enum import StrEnum

from app import clock
from app.db import write_transaction
from app.staff.tables import StaffInvitation

LIFETIME = timedelta(hours=72)
MAX_TOKEN = 64


class InvitationKind(StrEnum):
    """What a link may do; each kind digests its tokens apart, so a link to set a password
    never opens the single sign-on linking, nor the other way round."""

    SINGLE_SIGN_ON = "staff-invitation"
    PASSWORD = "staff-password"  # app/staff/password_invitations.py


def _digest(token: str, kind: InvitationKind = InvitationKind.SINGLE_SIGN_ON) -> str:
    return hashlib.sha256(f"{kind}:{token}".encode()).hexdigest()


def live(token: str, *, clinic_id: int, kind: InvitationKind):
    """The condition naming an unused, unexpired invitation of this kind and clinic."""
    return (
        (StaffInvitation.token_digest == _digest(token, kind))
        & (StaffInvitation.clinic == clinic_id)
        & StaffInvitation.used_at.is_null()
        & (StaffInvitation.expires_at > clock.now())
    )


async def create(
    *,
    clinic_id: int,
    account_id: int,
    by: int,
    kind: InvitationKind = InvitationKind.SINGLE_SIGN_ON,
) -> str:
    """Inside or outside the caller's write transaction; returns the token for the link."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    async with write_transaction():
        await StaffInvitation.insert(
            StaffInvitation(
                clinic=clinic_id,
                account=account_id,
                token_digest=_digest(token, kind),
                created_by=by,
                created_at=now,
                expires_at=now + LIFETIME,
            )
        )
    return token


async def open_one(*, clinic_id: int, token: str) -> int | None:
    """The invitation's id if the token names an unused, unexpired one of this clinic."""
    if not token or len(token) > MAX_TOKEN:
        return None
    row = (
        await StaffInvitation.select(StaffInvitation.id)
        .where(live(token, clinic_id=clinic_id, kind=InvitationKind.SINGLE_SIGN_ON))
        .first()
    )
    return row["id"] if row else None


async def use(*, clinic_id: int, invitation_id: int) -> int | None:
    """Inside the caller's write transaction: marks it used, returns its account (None if
    it was used meanwhile or has expired: single use, even with two answers at once)."""
    used = (
        await StaffInvitation.update({StaffInvitation.used_at: clock.now()})
        .where(
            (StaffInvitation.id == invitation_id)
            & (StaffInvitation.clinic == clinic_id)
            & StaffInvitation.used_at.is_null()
            & (StaffInvitation.expires_at > clock.now())
        )
        .returning(StaffInvitation.account)
    )
    return used[0]["account"] if used else None
