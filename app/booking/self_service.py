"""What a patient may do from the appointment details page, and when (SPEC §7).

Pure: given the appointment, its site's options and the time, each action is
either open, or closed with the moment it opens (or None when it never will)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.booking.tables import OPEN_STATUSES, AppointmentStatus

CANCEL_UNTIL = timedelta(hours=24)  # before the appointment
CONFIRM_FROM = timedelta(hours=48)
ARRIVE_FROM = timedelta(minutes=30)


@dataclass(frozen=True)
class Window:
    open: bool
    opens_at: datetime | None = None  # when it will open, if it is not open yet
    closed_at: datetime | None = None  # when it closed, if it has


def cancel(*, starts_at: datetime, status: str, site_allows: bool, now: datetime) -> Window:
    deadline = starts_at - CANCEL_UNTIL
    if not site_allows or status not in OPEN_STATUSES:
        return Window(False)
    if now > deadline:
        return Window(False, closed_at=deadline)
    return Window(True)


def confirm(
    *, starts_at: datetime, status: str, now: datetime, asked_from: timedelta | None = None
) -> Window:
    """asked_from: how long before the start the first reminder asking to confirm goes
    (the clinic's reminder schedule): the window is open by then at the latest."""
    if status != AppointmentStatus.BOOKED or now >= starts_at:
        return Window(False)
    opens = starts_at - max(CONFIRM_FROM, asked_from or CONFIRM_FROM)
    return Window(True) if now >= opens else Window(False, opens_at=opens)


def arrive(
    *, starts_at: datetime, status: str, site_allows: bool, on_site: bool, now: datetime
) -> Window:
    if not site_allows or not on_site or status not in OPEN_STATUSES or now >= starts_at:
        return Window(False)
    opens = starts_at - ARRIVE_FROM
    return Window(True) if now >= opens else Window(False, opens_at=opens)


def reschedule(*, starts_at: datetime, status: str, online_service: bool, now: datetime) -> Window:
    """Moving is a cancellation plus a booking, so it follows the cancellation deadline."""
    if not online_service or status not in OPEN_STATUSES:
        return Window(False)
    deadline = starts_at - CANCEL_UNTIL
    return Window(True) if now <= deadline else Window(False, closed_at=deadline)
