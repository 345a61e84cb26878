"""After repeated failures, sign-in is refused for a while: per account (someone guessing
one person's password from many places) and per client (one place guessing many). The
refusal reads like any failure, so it tells nothing about whether the account exists."""

from __future__ import annotations

from datetime import datetime, timedelta

from app import clock
from app.db import write_transaction
from app.patients.normalise import digest
from app.staff.tables import SignInFailure

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def keys(email: str, client: str) -> tuple[str, str]:
    return digest("staff-account", email.strip().lower()), digest("staff-client", client)


async def locked(*, clinic_id: int, email: str, client: str) -> bool:
    account_key, client_key = keys(email, client)
    since = clock.now() - WINDOW
    for column, key in (
        (SignInFailure.account_key, account_key),
        (SignInFailure.client_key, client_key),
    ):
        count = await SignInFailure.count().where(
            (SignInFailure.clinic == clinic_id)
            & (column == key)
            & (SignInFailure.failed_at > since)
        )
        if count >= MAX_FAILURES:
            return True
    return False


async def record_failure(*, clinic_id: int, email: str, client: str) -> None:
    account_key, client_key = keys(email, client)
    async with write_transaction():
        await SignInFailure.insert(
            SignInFailure(
                clinic=clinic_id,
                account_key=account_key,
                client_key=client_key,
                failed_at=clock.now(),
            )
        )


async def purge(*, now: datetime) -> int:
    async with write_transaction():
        gone = (
            await SignInFailure.delete()
            .where(SignInFailure.failed_at < now - WINDOW)
            .returning(SignInFailure.id)
        )
    return len(gone)
