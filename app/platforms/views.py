"""What other pages show of an appointment's platform session."""

from __future__ import annotations

from app.platforms.tables import ExternalSession, SessionState


def join_path(appointment_id: int) -> str:
    return f"/staff/platform-sessions/{appointment_id}/join"


async def join_paths(*, clinic_id: int, appointment_ids: list[int]) -> dict[int, str]:
    """appointment id → the camera icon's path, for those with a session on the platform."""
    if not appointment_ids:
        return {}
    rows = await ExternalSession.select(ExternalSession.appointment).where(
        (ExternalSession.clinic == clinic_id)
        & ExternalSession.appointment.is_in(appointment_ids)
        & (ExternalSession.state == SessionState.CREATED.value)
    )
    return {row["appointment"]: join_path(row["appointment"]) for row in rows}
