"""Time-based one-time passwords (RFC 6238, pyotp) and recovery codes, without the web.

A code is accepted for the time step it belongs to, one step either side for clocks that
drift, and only if that step is later than the last one the account used: a code seen
once (or an older one) is refused, so an observed code cannot be replayed. Recovery codes
are random, shown once, stored as digests and crossed out when used."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass

import pyotp
import segno

from app import clock, signing

ISSUER = "Clinique"  # what the authenticator app shows above the account's email
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, email: str, clinic_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=clinic_name or ISSUER)


def qr_svg(uri: str, *, title: str) -> str:
    """The QR code as inline SVG, drawn here: no image service sees the secret."""
    return segno.make(uri, error="m").svg_inline(
        scale=4, border=2, title=title, dark="#111", light="#fff"
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalise_code(typed: str) -> str:
    return "".join(typed.split()).replace("-", "").lower()


def current_step() -> int:
    return int(clock.now().timestamp()) // STEP_SECONDS


def matching_step(secret: str, typed: str, *, last_step: int | None) -> int | None:
    """The time step whose code was typed, if it is fresh (later than `last_step`)."""
    code = normalise_code(typed)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = current_step()
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if signing.same(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def was_used(secret: str, typed: str, *, last_step: int | None) -> bool:
    """Whether `typed` is the code of a step already used (or older): a replay."""
    code = normalise_code(typed)
    if last_step is None or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    now = current_step()
    return any(
        signing.same(totp.at(step * STEP_SECONDS), code)
        for step in range(now - DRIFT_STEPS, min(now + DRIFT_STEPS, last_step) + 1)
    )


def code_at(secret: str, step: int) -> str:
    """The code of a time step (for tests and the enrolment check)."""
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


# Recovery codes


def new_recovery_codes() -> list[str]:
    return [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]


def recovery_digest(code: str) -> str:
    # 50 random bits per code: a plain digest is enough, no guessing dictionary applies.
    return hashlib.sha256(f"staff-recovery:{normalise_code(code)}".encode()).hexdigest()


def stored_digests(value: object) -> list[str]:
    """The JSON column as a list (Piccolo gives the text on some engines)."""
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [item for item in value or [] if isinstance(item, str)]


def without_used(stored: list[str], typed: str) -> list[str] | None:
    """The digests left once `typed` is crossed out, or None if it is not one of them."""
    if not 8 <= len(normalise_code(typed)) <= 16:
        return None
    wanted = recovery_digest(typed)
    found = next((d for d in stored if signing.same(d, wanted)), None)
    return None if found is None else [d for d in stored if d != found]


# The secret during enrolment travels in the form, signed for this account: it is saved
# only once a first code from it proves the app has it.


@dataclass(frozen=True)
class PendingSecret:
    secret: str
    token: str  # secret.signature, for the hidden field


def _sign(key: str, account_id: int, clinic_id: int, secret: str) -> str:
    raw = signing.digest(key, f"totp-enrol:{clinic_id}:{account_id}:{secret}")[:18]
    return base64.urlsafe_b64encode(raw).decode()


def pending(key: str, *, account_id: int, clinic_id: int, secret: str | None = None):
    secret = secret or new_secret()
    return PendingSecret(secret, f"{secret}.{_sign(key, account_id, clinic_id, secret)}")


def unpack(key: str, token: str, *, account_id: int, clinic_id: int) -> PendingSecret | None:
    secret, _dot, signature = token.partition(".")
    if not secret or len(secret) > 64 or not secret.isalnum():
        return None
    if not signing.same(_sign(key, account_id, clinic_id, secret), signature):
        return None
    return PendingSecret(secret, token)
