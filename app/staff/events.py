"""What the staff side tells the rest of the platform (the audit log listens): sign-ins,
failed or not, and changes to accounts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.events import Actor


class SignInOutcome(StrEnum):
    SIGNED_IN = "signed_in"
    FAILED = "failed"  # wrong email, password, code or provider answer
    LOCKED = "locked"  # refused without checking: too many failures
    SIGNED_OUT = "signed_out"


@dataclass(frozen=True)
class StaffSignIn:
    clinic_id: int
    account_id: int | None  # None: the email typed names no account
    email: str
    outcome: SignInOutcome
    method: str  # password | code | recovery_code | oidc
    actor: Actor  # the account once known, else the system, with the client's address


class AccountChange(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DEACTIVATED = "deactivated"
    TWO_FACTOR = "two_factor"  # enrolled, reset or recovery codes renewed
    LINKED = "linked"  # to a provider's subject
    UNLINKED = "unlinked"  # from it, by an administrator


@dataclass(frozen=True)
class AccountSnapshot:
    email: str
    name: str
    role: str
    practitioner_id: int | None
    active: bool
    two_factor: bool
    oidc_issuer: str | None
    oidc_subject: str | None


@dataclass(frozen=True)
class AccountChanged:
    clinic_id: int
    account_id: int
    actor: Actor
    kind: AccountChange
    before: AccountSnapshot | None
    after: AccountSnapshot
