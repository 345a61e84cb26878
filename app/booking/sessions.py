"""Booking sessions: the server-side state of one patient's way through the portal wizard."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from app import clock
from app.booking.tables import BookingSession

LIFETIME = timedelta(hours=2)
# What secrets.token_urlsafe(32) gives; anything else in a URL (a NUL byte, which
# PostgreSQL refuses, or a megabyte of text) is no session without asking the database.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


async def start(
    *,
    clinic_id: int,
    site_id: int,
    identity: dict[str, Any],
    patient_id: int | None,
    language: str,
) -> dict:
    now = clock.now()
    session = BookingSession(
        clinic=clinic_id,
        site=site_id,
        token=secrets.token_urlsafe(32),
        identity=identity,
        patient=patient_id,
        identified="identified" if patient_id else "unidentified",
        language=language,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    await session.save()
    return await get(clinic_id=clinic_id, site_id=site_id, token=session.token)


async def get(*, clinic_id: int, site_id: int, token: str) -> dict | None:
    """The live session behind a token, only on its own clinic and site."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    return (
        await BookingSession.select()
        .where(
            (BookingSession.clinic == clinic_id)
            & (BookingSession.site == site_id)
            & (BookingSession.token == token)
            & (BookingSession.expires_at > clock.now())
        )
        .output(load_json=True)
        .first()
    )


async def update(*, clinic_id: int, session_id: int, **values: Any) -> None:
    columns = {getattr(BookingSession, name): value for name, value in values.items()}
    await BookingSession.update(columns).where(
        (BookingSession.id == session_id) & (BookingSession.clinic == clinic_id)
    )

