"""POST /platforms/reacts/webhook on the clinic's own host (the callback URL given with
each session): the platform's signed "patient connected". Refused, recorded, and nothing
changed: a bad or missing signature, a stale timestamp (app.clock), a malformed body, a
replayed event id, a session that is not this clinic's (the host names the clinic, the
body cannot choose it). Accepted: the patient is in the waiting room."""

from __future__ import annotations

from litestar import Request, Response, post
from litestar.channels import ChannelsPlugin
from litestar.exceptions import NotFoundException

from app import clock
from app.db import write_transaction
from app.events import EventBus
from app.platforms.adapter import WebhookRefused
from app.platforms.connected import patient_connected, session_of
from app.platforms.sessions import WEBHOOK_PATH, platform_from
from app.platforms.tables import PlatformEvent
from app.settings import Settings
from app.video.notify import CallNotifier
from tenants.resolution import ClinicRef

MAX_BODY = 64 * 1024
REFUSED = {"bad_signature": 401, "stale": 401, "malformed": 400}


async def _record(clinic_id: int, outcome: str, *, claimed: str = "", kind: str = "") -> None:
    await PlatformEvent.insert(
        PlatformEvent(
            clinic=clinic_id,
            claimed_id=claimed[:100],
            kind=kind[:64],
            outcome=outcome,
            received_at=clock.now(),
        )
    )


def _said(status: int, outcome: str) -> Response:
    return Response({"outcome": outcome}, status_code=status)


@post(WEBHOOK_PATH, name="platforms:webhook", status_code=200)
async def platform_webhook(
    request: Request,
    clinic: ClinicRef,
    settings: Settings,
    bus: EventBus,
    channels: ChannelsPlugin,
) -> Response:
    platform = platform_from(settings)
    if platform is None:
        raise NotFoundException("no video platform is configured")
    body = await request.body()
    if len(body) > MAX_BODY:
        await _record(clinic.id, "too_large")
        return _said(413, "too_large")
    try:
        event = platform.parse_webhook(body, request.headers, now=clock.now())
    except WebhookRefused as refused:
        await _record(clinic.id, refused.reason, claimed=refused.event_id)
        return _said(REFUSED.get(refused.reason, 400), refused.reason)
    if event is None:
        return _said(200, "ignored")  # a kind of event we do not act on
    status = None
    async with write_transaction():
        session = await session_of(clinic_id=clinic.id, external_id=event.external_id)
        if session is None:
            outcome = "unknown_session"
        else:
            first = (
                await PlatformEvent.insert(
                    PlatformEvent(
                        clinic=clinic.id,
                        event_id=event.event_id,
                        claimed_id=event.event_id,
                        kind="patient_connected",
                        outcome="accepted",
                        received_at=clock.now(),
                    )
                )
                .on_conflict(action="DO NOTHING")
                .returning(PlatformEvent.id)
            )
            outcome = "accepted" if first else "replay"
            if first:
                status = await patient_connected(clinic_id=clinic.id, session=session, bus=bus)
    if outcome != "accepted":
        await _record(clinic.id, outcome, claimed=event.event_id, kind="patient_connected")
        return _said(404 if outcome == "unknown_session" else 409, outcome)
    if status is not None:
        CallNotifier(channels).state(clinic.id, status)
    return _said(200, outcome)
