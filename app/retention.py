"""Personal data kept only while it serves: booking sessions (names, dates of birth,
health insurance numbers and contacts typed) once expired, identification attempts once no
limit counts them, one-time codes past their windows, "My appointments" sessions once
expired; staff sessions once idle too long,
and failed staff sign-ins once the lockout no longer counts them. purge() is run by the arq
worker's cron (jobs/worker.py) and, on the embedded default, by the web process's own
loop (app.in_process_jobs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app import clock
from app.booking import sessions
from app.messaging import one_time_codes
from app.patient_space import sessions as space_sessions
from app.patients import identification
from app.staff import lockout
from app.staff import sessions as staff_sessions

EVERY = timedelta(minutes=10)


@dataclass(frozen=True)
class Purged:
    sessions: int
    attempts: int
    codes: int
    space_sessions: int
    staff_sessions: int
    sign_in_failures: int


async def purge(*, staff_idle: timedelta) -> Purged:
    now = clock.now()
    return Purged(
        sessions=await sessions.purge(now=now),
        attempts=await identification.purge(now=now),
        codes=await one_time_codes.purge(now=now),
        space_sessions=await space_sessions.purge(now=now),
        staff_sessions=await staff_sessions.purge(now=now, idle=staff_idle),
        sign_in_failures=await lockout.purge(now=now),
    )
