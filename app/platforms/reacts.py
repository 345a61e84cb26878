"""The Reacts-style platform's HTTP API (the simulator in app.platforms.simulator speaks
the same): POST /api/v1/sessions with an Idempotency-Key, DELETE /api/v1/sessions/{id},
and its signed webhooks (app.platforms.signatures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Mapping

import httpx

from app.platforms import signatures
from app.platforms.adapter import (
    CreatedSession,
    PatientConnected,
    PlatformError,
    SessionRequest,
    WebhookRefused,
)

TIMEOUT = httpx.Timeout(10.0)
CONNECTED = "session.patient_connected"


class ReactsPlatform:
    name = "reacts"

    def __init__(self, *, base_url: str, api_key: str, webhook_secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.webhook_secret = webhook_secret

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", **extra}

    async def create_session(self, request: SessionRequest) -> CreatedSession:
        payload = {
            "reference": request.reference,
            "starts_at": request.starts_at.isoformat(),
            "ends_at": request.ends_at.isoformat(),
            "practitioner": {"name": request.practitioner_name},
            "patient": {
                "name": request.patient_name,
                "email": request.patient_email,
                "language": request.language,
            },
            "callback_url": request.callback_url,
        }
        headers = self._headers(**{"Idempotency-Key": request.reference})
        answer = await self._call("POST", "/api/v1/sessions", json=payload, headers=headers)
        try:
            data = answer.json()
            return CreatedSession(
                external_id=str(data["id"]),
                patient_url=str(data["patient_url"]),
                staff_url=str(data["staff_url"]),
            )
        except (ValueError, KeyError, TypeError):
            raise PlatformError("unreadable answer to create") from None

    async def cancel_session(self, external_id: str) -> None:
        await self._call(
            "DELETE", f"/api/v1/sessions/{external_id}", headers=self._headers(), gone_ok=True
        )

    async def _call(self, method: str, path: str, *, gone_ok: bool = False, **kwargs):
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                answer = await client.request(method, self.base_url + path, **kwargs)
        except httpx.HTTPError as error:
            raise PlatformError(f"{method} {path}: {type(error).__name__}") from None
        if gone_ok and answer.status_code == 404:
            return answer  # cancelled already: what we wanted
        if answer.status_code >= 300:
            raise PlatformError(f"{method} {path}: HTTP {answer.status_code}")
        return answer

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime
    ) -> PatientConnected | None:
        claimed = _claimed_id(body)
        why = signatures.verify(
            self.webhook_secret, body, headers.get(signatures.HEADER, ""), now=now
        )
        if why:
            raise WebhookRefused(why, claimed)
        try:
            event = json.loads(body)
            if event.get("type") != CONNECTED:
                return None
            return PatientConnected(
                event_id=str(event["id"])[:100],
                external_id=str(event["data"]["session_id"])[:100],
                occurred_at=datetime.fromtimestamp(int(event["created"]), UTC),
            )
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, OSError):
            raise WebhookRefused("malformed", claimed) from None


def _claimed_id(body: bytes) -> str:
    try:
        return str(json.loads(body).get("id", ""))[:100]
    except (ValueError, AttributeError):
        return ""
