"""The way into "My appointments": a contact of one's file and one's date of birth, then a
one-time code sent to that contact (app.messaging.one_time_codes: 6 digits, 10 minutes).

Nothing a client sees depends on whether a file matches. Every request gets a session
waiting for its code and the same page; only a matching one has a code sent. Typing a
code uses up one of the session's 5 tries either way, so a stranger's session locks
exactly like a patient's. Requests count under the identification limits
(app.patients.identification), so guessing whose contact and birthday these are is as
slow as guessing an identity; the attempt is forgotten once the right code is typed.

A session that took its code gets a new token (the one in the code page's address dies)
and stays open for 30 minutes. The token is in the URL, never in a cookie, so it works
in the widget's third-party iframe; the table keeps only its digest."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Mapping

from app import clock
from app.db import write_transaction
from app.i18n import gettext as _
from app.messaging import one_time_codes
from app.patient_space.tables import PatientSpaceSession
from app.patients import normalise
from app.patients.forms import parse_cell_phone, parse_date_of_birth
from app.patients.identification import count_attempt, forget_attempt
from app.patients.normalise import digest
from app.patients.tables import ContactDetail

LIFETIME = timedelta(minutes=30)  # once the code was right
CODE_LIFETIME = one_time_codes.LIFETIME  # waiting for the code
MAX_TRIES = one_time_codes.MAX_TRIES
# What secrets.token_urlsafe(32) gives; anything else is no session, without a query.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
CONTACT_MAX = 254


@dataclass(frozen=True)
class Lookup:
    """What the form says: a contact (normal form) and a date of birth."""

    channel: str  # email | sms
    contact: str  # lower-case email, or E.164 cell phone
    date_of_birth: date


@dataclass(frozen=True)
class SpaceSession:
    id: int
    clinic_id: int
    site_id: int
    patient_id: int | None  # None: the request matched no file (never shown as such)
    stage: str  # code | open
    tries: int
    language: str
    expires_at: datetime


@dataclass(frozen=True)
class Asked:
    status: str  # asked | rate_limited
    token: str = ""


@dataclass(frozen=True)
class CodeOutcome:
    outcome: str  # right | wrong | locked (tries used up, or expired)
    tries_left: int = 0
    token: str = ""  # the open session's new token, when right


def parse_request(data: Mapping[str, str], *, country: str) -> tuple[Lookup | None, dict[str, str]]:
    errors: dict[str, str] = {}
    raw = str(data.get("contact") or "").strip()
    channel, contact = "email", None
    if not raw:
        errors["contact"] = _("Enter the email or cell phone number of your file.")
    elif "@" in raw:
        contact = normalise.email(raw) if len(raw) <= CONTACT_MAX else None
        if contact is None:
            errors["contact"] = _("Enter a valid email address, e.g. name@example.com.")
    else:
        channel = "sms"
        contact, problem = parse_cell_phone(raw, country=country)
        if problem:
            errors["contact"] = problem
    born = parse_date_of_birth(str(data.get("date_of_birth") or ""), errors)
    if errors or contact is None or born is None:
        return None, errors
    return Lookup(channel, contact, born), {}


def _key(token: str) -> str:
    return hashlib.sha256(f"patient-space:{token}".encode()).hexdigest()


async def ask(
    *, clinic_id: int, site_id: int, lookup: Lookup, client_key: str, language: str
) -> Asked:
    """A session waiting for its code; the code sent only if a file matches."""
    attempt = await count_attempt(
        clinic_id=clinic_id,
        client_key=client_key,
        # Per contact: the date of birth is what a guesser would try.
        identity_key=digest("patient-space", lookup.contact),
    )
    if attempt is None:
        return Asked("rate_limited")
    patient_id = await _file_of(clinic_id, lookup)
    now = clock.now()
    token = secrets.token_urlsafe(32)
    async with write_transaction():
        row = await PatientSpaceSession.insert(
            PatientSpaceSession(
                clinic=clinic_id,
                site=site_id,
                token_key=_key(token),
                patient=patient_id,
                stage="code",
                attempt=attempt,
                language=language,
                created_at=now,
                expires_at=now + CODE_LIFETIME,
            )
        ).returning(PatientSpaceSession.id)
    if patient_id is not None:
        # None when this contact had its codes for the hour: the page says the same.
        await one_time_codes.send(
            clinic_id=clinic_id,
            subject=_subject(row[0]["id"]),
            channel=lookup.channel,
            address=lookup.contact,
            language=language,
        )
    return Asked("asked", token)


async def _file_of(clinic_id: int, lookup: Lookup) -> int | None:
    """The active file of this clinic born that day that vouches for this contact (the
    oldest, if several do)."""
    row = (
        await ContactDetail.select(ContactDetail.patient)
        .where(
            (ContactDetail.clinic == clinic_id)
            & (ContactDetail.verified == True)  # noqa: E712 - a Piccolo condition
            & (ContactDetail.kind == ("email" if lookup.channel == "email" else "cell"))
            & (ContactDetail.value == lookup.contact)
            & (ContactDetail.patient.date_of_birth == lookup.date_of_birth)
            & (ContactDetail.patient.status == "active")
        )
        .order_by(ContactDetail.patient)
        .first()
    )
    return row["patient"] if row else None


async def get(*, clinic_id: int, site_id: int, token: str, stage: str) -> SpaceSession | None:
    """The live session behind a token, at this stage, only on its own clinic and site."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    row = (
        await PatientSpaceSession.select()
        .where(
            (PatientSpaceSession.clinic == clinic_id)
            & (PatientSpaceSession.site == site_id)
            & (PatientSpaceSession.token_key == _key(token))
            & (PatientSpaceSession.stage == stage)
            & (PatientSpaceSession.expires_at > clock.now())
        )
        .first()
    )
    if row is None:
        return None
    return SpaceSession(
        id=row["id"],
        clinic_id=row["clinic"],
        site_id=row["site"],
        patient_id=row["patient"],
        stage=row["stage"],
        tries=row["tries"],
        language=row["language"],
        expires_at=row["expires_at"],
    )


async def check_code(*, session: SpaceSession, typed: str, secret_key: str) -> CodeOutcome:
    """Use up one of the session's tries; the right code opens it under a new token."""
    now = clock.now()
    async with write_transaction():
        tried = (
            await PatientSpaceSession.update(
                {PatientSpaceSession.tries: PatientSpaceSession.tries + 1}
            )
            .where(_waiting(session, now) & (PatientSpaceSession.tries < MAX_TRIES))
            .returning(PatientSpaceSession.tries, PatientSpaceSession.attempt)
        )
        if not tried:
            return CodeOutcome("locked")
        right = False
        if session.patient_id is not None:
            checked = await one_time_codes.check(
                clinic_id=session.clinic_id,
                subject=_subject(session.id),
                typed=typed,
                secret_key=secret_key,
            )
            right = checked.outcome == "right"
        if not right:
            left = MAX_TRIES - tried[0]["tries"]
            return CodeOutcome("wrong", left) if left else CodeOutcome("locked")
        token = secrets.token_urlsafe(32)
        await PatientSpaceSession.update(
            {
                PatientSpaceSession.token_key: _key(token),
                PatientSpaceSession.stage: "open",
                PatientSpaceSession.expires_at: now + LIFETIME,
            }
        ).where(_waiting(session, now))
        if tried[0]["attempt"] is not None:
            await forget_attempt(clinic_id=session.clinic_id, attempt_id=tried[0]["attempt"])
    return CodeOutcome("right", token=token)


async def set_language(*, session: SpaceSession, language: str) -> None:
    async with write_transaction():
        await PatientSpaceSession.update({PatientSpaceSession.language: language}).where(
            (PatientSpaceSession.id == session.id)
            & (PatientSpaceSession.clinic == session.clinic_id)
        )


async def end(*, session: SpaceSession) -> None:
    async with write_transaction():
        await PatientSpaceSession.delete().where(
            (PatientSpaceSession.id == session.id)
            & (PatientSpaceSession.clinic == session.clinic_id)
        )


async def purge(*, now: datetime) -> int:
    async with write_transaction():
        gone = (
            await PatientSpaceSession.delete()
            .where(PatientSpaceSession.expires_at <= now)
            .returning(PatientSpaceSession.id)
        )
    return len(gone)


def _subject(session_id: int) -> str:
    return f"patient-space:{session_id}"


def _waiting(session: SpaceSession, now: datetime):
    return (
        (PatientSpaceSession.id == session.id)
        & (PatientSpaceSession.clinic == session.clinic_id)
        & (PatientSpaceSession.stage == "code")
        & (PatientSpaceSession.expires_at > now)
    )
