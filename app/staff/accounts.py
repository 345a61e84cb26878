"""Staff accounts as the rest of the platform sees them: who is signed in, with which role
and, for a practitioner, whose agenda is theirs. Every lookup takes clinic_id."""

from __future__ import annotations

from dataclasses import dataclass

from app import clock
from app.db import write_transaction
from app.events import Actor
from app.staff.events import AccountSnapshot
from app.staff.passwords import hash_password
from app.staff.tables import StaffAccount, StaffRole


@dataclass(frozen=True)
class StaffUser:
    """The staff member behind a request (app.staff.middleware puts it in the scope)."""

    account_id: int
    clinic_id: int
    name: str
    email: str
    role: StaffRole
    practitioner_id: int | None
    session_id: int
    client: str = ""  # the address of the request

    def actor(self) -> Actor:
        return Actor.staff(self.account_id, self.name).at(self.client)

    @property
    def is_administrator(self) -> bool:
        return self.role is StaffRole.ADMINISTRATOR

    def may_change_agenda_of(self, practitioner_id: int) -> bool:
        """Administrators and secretaries run every agenda; a practitioner only their own."""
        return self.role is not StaffRole.PRACTITIONER or self.practitioner_id == practitioner_id


async def by_email(*, clinic_id: int, email: str) -> dict | None:
    return (
        await StaffAccount.select()
        .where((StaffAccount.clinic == clinic_id) & (StaffAccount.email == email.strip().lower()))
        .first()
    )


async def create(
    *,
    clinic_id: int,
    email: str,
    name: str,
    role: StaffRole,
    password: str | None = None,
    practitioner_id: int | None = None,
) -> int:
    now = clock.now()
    async with write_transaction():
        rows = await StaffAccount.insert(
            StaffAccount(
                clinic=clinic_id,
                email=email.strip().lower(),
                name=name,
                role=role,
                practitioner=practitioner_id,
                active=True,
                password_hash=hash_password(password) if password else None,
                created_at=now,
                updated_at=now,
            )
        ).returning(StaffAccount.id)
    return rows[0]["id"]


def snapshot(row: dict) -> AccountSnapshot:
    """An account as the audit log records it (no secrets: whether two-factor is on)."""
    return AccountSnapshot(
        email=row["email"],
        name=row["name"],
        role=row["role"],
        practitioner_id=row["practitioner"],
        active=row["active"],
        two_factor=bool(row["totp_secret"]),
        oidc_issuer=row["oidc_issuer"],
        oidc_subject=row["oidc_subject"],
    )


async def by_id(*, clinic_id: int, account_id: int) -> dict | None:
    return (
        await StaffAccount.select()
        .where((StaffAccount.clinic == clinic_id) & (StaffAccount.id == account_id))
        .first()
    )
