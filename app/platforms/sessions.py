"""An appointment's session on the external platform, from booking to cancellation.

The listener (on AppointmentChanged, inside the booking's transaction) only writes a row:
to create when an external-platform appointment is made, to cancel when it is cancelled.
The job (`run_due`: arq's cron in jobs/worker.py, or the in-process loop on the embedded
default) then calls the platform. A due row is claimed by pushing `next_attempt_at`
forward (a lease: two workers never both call); success stores the join links, a failure
the error and the next attempt after a backoff that never gives up (a platform down for
an hour delays the invitation, it does not lose it). arq may run the job twice; the
platform's Idempotency-Key (the appointment's reference) makes a repeated create return
the same session."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from app import clock
from app.booking import external
from app.booking.events import AppointmentChange, AppointmentChanged
from app.booking.tables import Appointment
from app.db import write_transaction
from app.patients.tables import Patient
from app.platforms.adapter import Platform, PlatformError, SessionRequest
from app.platforms.reacts import ReactsPlatform
from app.platforms.tables import ExternalSession, SessionState
from app.settings import Settings
from tenants.tables import Clinic

log = logging.getLogger("app.platforms")
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=10)
LEASE = timedelta(minutes=2)  # longer than a call's timeout: a crashed worker's claim lapses
BATCH = 20
WEBHOOK_PATH = "/platforms/reacts/webhook"


def backoff(attempts: int) -> timedelta:
    """30 s, 1, 2, 4, 8 min, then every 10 min: forever."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_WAIT)


def platform_from(settings: Settings) -> Platform | None:
    if settings.video_platform is None:
        return None
    return ReactsPlatform(
        base_url=settings.video_platform.url,
        api_key=settings.video_platform.key,
        webhook_secret=settings.video_platform.webhook_secret,
    )


def reference(appointment_id: int) -> str:
    return f"appointment-{appointment_id}"


# -- the listener ----------------------------------------------------------------------


async def on_appointment_changed(event: AppointmentChanged) -> None:
    now = clock.now()
    if event.kind is AppointmentChange.CREATED:
        type_id = event.after.appointment_type_id or await external.type_of_activity(
            clinic_id=event.clinic_id, activity_id=event.after.activity_id
        )
        if await external.is_external(clinic_id=event.clinic_id, type_id=type_id):
            await ExternalSession.insert(
                ExternalSession(
                    clinic=event.clinic_id,
                    appointment=event.appointment_id,
                    state=SessionState.PENDING.value,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            ).on_conflict(action="DO NOTHING")
    elif event.kind is AppointmentChange.CANCELLED:
        mine = (ExternalSession.clinic == event.clinic_id) & (
            ExternalSession.appointment == event.appointment_id
        )
        # Never created (and no create in flight): nothing to cancel there.
        await ExternalSession.update(
            {ExternalSession.state: SessionState.CANCELLED.value, ExternalSession.updated_at: now}
        ).where(
            mine
            & (ExternalSession.state == SessionState.PENDING.value)
            & (ExternalSession.attempts == 0)
        )
        await ExternalSession.update(
            {
                ExternalSession.state: SessionState.CANCEL_PENDING.value,
                ExternalSession.attempts: 0,  # the cancellation's own tries from here
                ExternalSession.next_attempt_at: now,
                ExternalSession.updated_at: now,
            }
        ).where(
            mine
            & ExternalSession.state.is_in([SessionState.PENDING.value, SessionState.CREATED.value])
        )


# -- the job ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    session_id: int
    clinic_id: int
    appointment_id: int
    state: SessionState
    attempts: int
    external_id: str | None


async def run_due(platform: Platform | None, settings: Settings) -> int:
    """One pass: every due session that this worker claims. Returns how many it handled."""
    if platform is None:
        return 0
    now = clock.now()
    rows = (
        await ExternalSession.select(
            ExternalSession.id,
            ExternalSession.clinic,
            ExternalSession.appointment,
            ExternalSession.state,
            ExternalSession.attempts,
            ExternalSession.external_id,
        )
        .where(
            ExternalSession.state.is_in(
                [SessionState.PENDING.value, SessionState.CANCEL_PENDING.value]
            )
            & (ExternalSession.next_attempt_at <= now)
        )
        .order_by(ExternalSession.next_attempt_at)
        .limit(BATCH)
    )
    handled = 0
    for row in rows:
        attempt = Attempt(
            row["id"],
            row["clinic"],
            row["appointment"],
            SessionState(row["state"]),
            row["attempts"],
            row["external_id"],
        )
        if await _claim(attempt, now):
            await _run(platform, settings, attempt)
            handled += 1
    return handled


async def _claim(attempt: Attempt, now: datetime) -> bool:
    claimed = (
        await ExternalSession.update({ExternalSession.next_attempt_at: now + LEASE})
        .where(
            (ExternalSession.id == attempt.session_id)
            & (ExternalSession.state == attempt.state.value)
            & (ExternalSession.next_attempt_at <= now)
        )
        .returning(ExternalSession.id)
    )
    return bool(claimed)


async def _run(platform: Platform, settings: Settings, attempt: Attempt) -> None:
    try:
        if attempt.state is SessionState.PENDING:
            await _create(platform, settings, attempt)
        else:
            await _cancel(platform, attempt)
    except PlatformError as error:
        await _failed(attempt, str(error))
    except Exception as error:  # noqa: BLE001 - recorded and retried like a refusal
        log.exception("platform session %s", attempt.session_id)
        await _failed(attempt, type(error).__name__)


async def _failed(attempt: Attempt, error: str) -> None:
    now = clock.now()
    attempts = attempt.attempts + 1
    await ExternalSession.update(
        {
            ExternalSession.attempts: attempts,
            ExternalSession.next_attempt_at: now + backoff(attempts),
            ExternalSession.last_error: error[:500],
            ExternalSession.updated_at: now,
        }
    ).where(
        (ExternalSession.id == attempt.session_id) & (ExternalSession.state == attempt.state.value)
    )


async def _request(settings: Settings, attempt: Attempt) -> SessionRequest | None:
    appointment = Appointment
    row = await (
        Appointment.select(
            appointment.starts_at,
            appointment.ends_at,
            appointment.patient,
            appointment.contact_email,
            appointment.language,
            appointment.provisional,
            appointment.practitioner.name.as_alias("practitioner_name"),
        )
        .where(
            (Appointment.id == attempt.appointment_id) & (Appointment.clinic == attempt.clinic_id)
        )
        .first()
    )
    clinic = await Clinic.select(Clinic.slug).where(Clinic.id == attempt.clinic_id).first()
    if row is None or clinic is None:
        return None
    email = await external.patient_email(
        clinic_id=attempt.clinic_id, patient_id=row["patient"], contact_email=row["contact_email"]
    )
    name = ""
    if row["patient"] is not None:
        patient = await (
            Patient.select(Patient.first_name, Patient.last_name)
            .where((Patient.id == row["patient"]) & (Patient.clinic == attempt.clinic_id))
            .first()
        )
        if patient:
            name = f"{patient['first_name']} {patient['last_name']}".strip()
    return SessionRequest(
        reference=reference(attempt.appointment_id),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        practitioner_name=row["practitioner_name"] or "",
        patient_name=name,
        patient_email=email or "",
        language=row["language"] or "fr",
        callback_url=settings.clinic_url(clinic["slug"]) + WEBHOOK_PATH,
    )


async def _create(platform: Platform, settings: Settings, attempt: Attempt) -> None:
    request = await _request(settings, attempt)
    if request is None:
        raise PlatformError("the appointment is gone")
    created = await platform.create_session(request)
    now = clock.now()
    async with write_transaction():
        done = (
            await ExternalSession.update(
                {
                    ExternalSession.state: SessionState.CREATED.value,
                    ExternalSession.external_id: created.external_id,
                    ExternalSession.patient_url: created.patient_url,
                    ExternalSession.staff_url: created.staff_url,
                    ExternalSession.attempts: 0,  # `attempts` counts the failures of one call
                    ExternalSession.next_attempt_at: None,
                    ExternalSession.last_error: None,
                    ExternalSession.updated_at: now,
                }
            )
            .where(
                (ExternalSession.id == attempt.session_id)
                & (ExternalSession.state == SessionState.PENDING.value)
            )
            .returning(ExternalSession.id)
        )
        if not done:
            # Cancelled while the platform was creating it: cancel it there too.
            await ExternalSession.update(
                {
                    ExternalSession.state: SessionState.CANCEL_PENDING.value,
                    ExternalSession.external_id: created.external_id,
                    ExternalSession.next_attempt_at: now,
                    ExternalSession.updated_at: now,
                }
            ).where(
                (ExternalSession.id == attempt.session_id)
                & ExternalSession.state.is_in(
                    [SessionState.CANCEL_PENDING.value, SessionState.CANCELLED.value]
                )
            )


async def _cancel(platform: Platform, attempt: Attempt) -> None:
    if attempt.external_id:
        await platform.cancel_session(attempt.external_id)
    now = clock.now()
    await ExternalSession.update(
        {
            ExternalSession.state: SessionState.CANCELLED.value,
            ExternalSession.next_attempt_at: None,
            ExternalSession.last_error: None,
            ExternalSession.updated_at: now,
        }
    ).where(
        (ExternalSession.id == attempt.session_id)
        & (ExternalSession.state == SessionState.CANCEL_PENDING.value)
    )
