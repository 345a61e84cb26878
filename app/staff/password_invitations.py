"""Invitations to set a password, sent by email when an administrator creates an account.

The link carries a random token; only a digest is stored (in the invitations table, under
a digest space of its own, so such a link never opens the single sign-on linking and an
SSO link never sets a password). It expires after LIFETIME and is used once: the row is
marked used in the same transaction that saves the password."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from app import clock
from app.db import write_transaction
from app.staff.tables import StaffInvitation

LIFETIME = timedelta(hours=72)
MAX_TOKEN = 64


def _digest(token: str) -> str:
    return hashlib.sha256(f"staff-password:{token}".encode()).hexdigest()


async def create(*, clinic_id: int, account_id: int, by: int) -> str:
    """Inside or outside the caller's write transaction; returns the token for the link."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    async with write_transaction():
        await StaffInvitation.insert(
            StaffInvitation(
                clinic=clinic_id,
                account=account_id,
                token_digest=_digest(token),
                created_by=by,
                created_at=now,
                expires_at=now + LIFETIME,
            )
        )
    return token


def _open(clinic_id: int, token: str):
    now = clock.now()
    return (
        (StaffInvitation.token_digest == _digest(token))
        & (StaffInvitation.clinic == clinic_id)
        & StaffInvitation.used_at.is_null()
        & (StaffInvitation.expires_at > now)
    )


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
