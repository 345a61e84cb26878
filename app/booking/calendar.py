"""An .ics file for "Add to calendar", in the clinic's time zone (with its VTIMEZONE)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event


def appointment_ics(
    *,
    uid: str,
    starts_at: datetime,
    ends_at: datetime,
    time_zone: str,
    summary: str,
    location: str,
    description: str,
    url: str,
    stamp: datetime,
) -> bytes:
    zone = ZoneInfo(time_zone)
    calendar = Calendar()
    calendar.add("prodid", "-//Clinic booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at.astimezone(zone))
    event.add("dtend", ends_at.astimezone(zone))
    event.add("summary", summary)
    event.add("location", location)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
