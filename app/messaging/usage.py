"""What a clinic's SMS cost this month: email is free, SMS are billed per segment sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count, Sum

from app.messaging.tables import Message
from tenants.tables import Clinic


@dataclass(frozen=True)
class SmsUsage:
    month: date  # first day of the month, clinic time
    messages: int
    segments: int
    price_cents: int  # per segment
    cost_cents: int


async def sms_usage(*, clinic_id: int, month: date) -> SmsUsage:
    clinic = (
        await Clinic.select(Clinic.time_zone, Clinic.sms_price_cents)
        .where(Clinic.id == clinic_id)
        .first()
    )
    zone = ZoneInfo(clinic["time_zone"])
    first = date(month.year, month.month, 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(following, time(0), tzinfo=zone)
    row = (
        await Message.select(
            Count(Message.id, alias="messages"), Sum(Message.segments, alias="segments")
        )
        .where(
            (Message.clinic == clinic_id)
            & (Message.channel == "sms")
            & (Message.status == "sent")
            & (Message.sent_at >= start)
            & (Message.sent_at < end)
        )
        .first()
    )
    count, used = row["messages"] or 0, row["segments"] or 0
    price = clinic["sms_price_cents"]
    return SmsUsage(
        month=first, messages=count, segments=used, price_cents=price, cost_cents=used * price
    )
