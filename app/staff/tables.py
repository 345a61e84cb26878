"""Staff accounts of a clinic, their server-side sessions, and failed sign-ins.

An account belongs to one clinic; its email is unique within it. A session row names
its clinic and is refused on another clinic's host. Only digests of session tokens are
stored, so a leaked table opens no session."""

from enum import StrEnum

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.i18n import N_
from app.scheduling.tables import Practitioner
from tenants.tables import Clinic


class StaffRole(StrEnum):
    ADMINISTRATOR = "administrator"  # everything
    SECRETARY = "secretary"  # every agenda, appointments, patients, the waiting room
    PRACTITIONER = "practitioner"  # their own agenda (others read-only), the waiting room


ROLE_LABELS = {
    StaffRole.ADMINISTRATOR: N_("Administrator"),
    StaffRole.SECRETARY: N_("Secretary"),
    StaffRole.PRACTITIONER: N_("Practitioner"),
}


class StaffAccount(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    email = Varchar(length=254)  # lower case; unique within the clinic (see the migration)
    name = Varchar(length=200)
    role = Varchar(length=16, default=StaffRole.SECRETARY.value)
    practitioner = ForeignKey(references=Practitioner, null=True, default=None)  # their agenda
    active = Boolean(default=True)
    password_hash = Text(null=True, default=None, secret=True)  # argon2; None: none set yet
    # Two-factor: a TOTP secret (base32) once enrolled, the last time step accepted (a
    # code is never accepted twice), and the digests of the unused recovery codes.
    totp_secret = Varchar(length=64, null=True, default=None, secret=True)
    totp_last_step = Integer(null=True, default=None)
    recovery_codes = JSON(default="[]")
    # Single sign-on: the provider's issuer and subject this account is linked to.
    oidc_issuer = Varchar(length=300, null=True, default=None)
    oidc_subject = Varchar(length=255, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class StaffSession(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    account = ForeignKey(references=StaffAccount, null=False)
    token_digest = Varchar(length=64, unique=True)  # sha256 of the cookie's token
    # Signed in with the password (or the provider) but the second factor still to give:
    # such a session opens only the code page.
    second_factor_pending = Boolean(default=False)
    client = Varchar(length=64, default="")  # the address it was opened from
    created_at = Timestamptz()
    last_seen_at = Timestamptz()  # idle expiry counts from here


class SignInFailure(Table):
    """A failed sign-in, counted for the lockout per account and per client and kept for
    the lockout window only. Keys are digests: no addresses or emails in clear."""

    clinic = ForeignKey(references=Clinic, null=False)
    account_key = Varchar(length=64)
    client_key = Varchar(length=64)
    failed_at = Timestamptz()


class OidcSignIn(Table):
    """A single sign-on under way, from the redirect to the provider until its answer: the
    state, nonce and PKCE verifier stay here (never in the browser), bound to the clinic and
    to the browser that started it (the digest of a host-only cookie). Used once: the
    callback deletes the row before anything else; rows older than a few minutes are void."""

    clinic = ForeignKey(references=Clinic, null=False)
    state_digest = Varchar(length=64, unique=True)
    browser_digest = Varchar(length=64)
    nonce = Varchar(length=64, secret=True)
    code_verifier = Varchar(length=128, secret=True)
    invitation = Integer(null=True, default=None)  # the StaffInvitation being answered
    next_page = Varchar(length=300, default="")
    created_at = Timestamptz()


class StaffInvitation(Table):
    """An administrator's invitation to link one account to the clinic's provider: the link
    carries a random token (only its digest is kept), expires, and is used once."""

    clinic = ForeignKey(references=Clinic, null=False)
    account = ForeignKey(references=StaffAccount, null=False)
    token_digest = Varchar(length=64, unique=True)
    created_by = Integer()  # the administrator's account
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
