"""The one interface every integrated platform speaks (SPEC §9): create a session and
invite the patient, cancel it, and read its signed "patient connected" webhook. The job
(app.platforms.sessions) and the webhook route know only this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Protocol


class PlatformError(Exception):
    """The platform did not do it (down, refused, timed out): the job tries again later.
    The message is short and holds no patient data (it is stored as the last error)."""


class WebhookRefused(Exception):
    """A webhook that must change nothing; `reason` is what is recorded."""

    def __init__(self, reason: str, event_id: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id


@dataclass(frozen=True)
class SessionRequest:
    reference: str  # ours, also the idempotency key: a retry never makes two sessions
    starts_at: datetime
    ends_at: datetime
    practitioner_name: str
    patient_name: str
    patient_email: str
    language: str
    callback_url: str  # where the platform sends its webhooks (the clinic's own host)


@dataclass(frozen=True)
class CreatedSession:
    external_id: str
    patient_url: str  # the platform emails it to the patient (its invitation)
    staff_url: str  # behind our camera icon


@dataclass(frozen=True)
class PatientConnected:
    event_id: str
    external_id: str
    occurred_at: datetime


class Platform(Protocol):
    name: str

    async def create_session(self, request: SessionRequest) -> CreatedSession: ...

    async def cancel_session(self, external_id: str) -> None: ...

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime
    ) -> PatientConnected | None:
        """The verified event (None: an event kind we do not act on); raises WebhookRefused."""
        ...
