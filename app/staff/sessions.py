"""Server-side staff sessions. The cookie carries a random token; the table keeps its
digest, the clinic, the account and when it was last used. A session is refused on
another clinic's host, after STAFF_IDLE_MINUTES unused, once its account is deactivated,
and once it is ended (sign-out, or every session of an account at once). Signing in
always starts a new session (a new token), so a token planted before sign-in is worthless."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from app import clock
from app.db import write_transaction
from app.staff.accounts import StaffUser
from app.staff.tables import StaffRole, StaffSession

COOKIE = "staff_session"
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
# A password given but not the second factor: this long to give it, then sign in again.
PENDING_FOR = timedelta(minutes=10)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start(
    *, clinic_id: int, account_id: int, client: str, second_factor_pending: bool
) -> str:
    """A new session; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    async with write_transaction():
        await StaffSession.insert(
            StaffSession(
                clinic=clinic_id,
                account=account_id,
                token_digest=_digest(token),
                second_factor_pending=second_factor_pending,
                client=client[:64],
                created_at=now,
                last_seen_at=now,
            )
        )
    return token


# Every staff request (an agenda reloads itself at each change) resolves its session:
# written once as SQL (app.raw_sql).
_RESOLVE_SQL = (
    'SELECT s."id", s."last_seen_at", s."created_at", s."second_factor_pending",'
    ' a."id" AS "account_id", a."name", a."email", a."role",'
    ' a."practitioner" AS "practitioner_id", a."active", a."clinic" AS "account_clinic",'
    ' a."totp_secret" FROM "staff_session" s JOIN "staff_account" a ON a."id" = s."account"'
    ' WHERE s."token_digest" = {} AND s."clinic" = {}'
)


async def resolve(
    *, clinic_id: int, token: str, idle: timedelta, client: str, require_two_factor: bool = False
) -> tuple[StaffUser, bool] | None:
    """(the staff member, whether the second factor is still to give), or None when the
    token opens nothing on this clinic's host. Once the clinic requires two-factor, a
    session opened before by an account without it is back at the second step (enrolment)."""
    if not token or len(token) > 64:
        return None
    now = clock.now()
    rows = await StaffSession.raw(_RESOLVE_SQL, _digest(token), clinic_id)
    row = rows[0] if rows else None
    if row is None or not row["active"] or row["account_clinic"] != clinic_id:
        return None
    stale_pending = row["second_factor_pending"] and row["created_at"] + PENDING_FOR < now
    if row["last_seen_at"] + idle < now or stale_pending:
        await end(clinic_id=clinic_id, token=token)
        return None
    if row["last_seen_at"] + TOUCH_EVERY < now:
        async with write_transaction():
            await StaffSession.update({StaffSession.last_seen_at: now}).where(
                StaffSession.id == row["id"]
            )
    user = StaffUser(
        account_id=row["account_id"],
        clinic_id=clinic_id,
        name=row["name"],
        email=row["email"],
        role=StaffRole(row["role"]),
        practitioner_id=row["practitioner_id"],
        session_id=row["id"],
        client=client,
    )
    pending = row["second_factor_pending"] or (require_two_factor and not row["totp_secret"])
    return user, pending


async def second_factor_given(*, clinic_id: int, token: str) -> str:
    """The second factor is given: the pending session ends and a full one starts (a new
    token, as at every change of privilege). Returns the new token."""
    async with write_transaction():
        gone = (
            await StaffSession.delete()
            .where(
                (StaffSession.token_digest == _digest(token)) & (StaffSession.clinic == clinic_id)
            )
            .returning(StaffSession.account, StaffSession.client)
        )
        if not gone:
            raise LookupError("no such session")
        return await start(
            clinic_id=clinic_id,
            account_id=gone[0]["account"],
            client=gone[0]["client"],
            second_factor_pending=False,
        )


async def end(*, clinic_id: int, token: str) -> None:
    async with write_transaction():
        await StaffSession.delete().where(
            (StaffSession.token_digest == _digest(token)) & (StaffSession.clinic == clinic_id)
        )


async def end_all(*, clinic_id: int, account_id: int) -> int:
    """Every session of the account (deactivated, password or second factor reset)."""
    async with write_transaction():
        gone = (
            await StaffSession.delete()
            .where((StaffSession.account == account_id) & (StaffSession.clinic == clinic_id))
            .returning(StaffSession.id)
        )
    return len(gone)


async def purge(*, now: datetime, idle: timedelta) -> int:
    async with write_transaction():
        gone = (
            await StaffSession.delete()
            .where(StaffSession.last_seen_at < now - idle)
            .returning(StaffSession.id)
        )
    return len(gone)
