"""The dev outbox: on the embedded default only, a clinic's sent emails and SMS as a
newcomer would read them, without a mail server or an SMS account."""

from __future__ import annotations

from litestar import Request, Response, get

from app.htmx import page_or_fragment
from app.messaging.tables import Message
from tenants.resolution import ClinicRef

SHOWN = 100


@get("/dev/outbox", name="dev_outbox")
async def dev_outbox(request: Request, clinic: ClinicRef) -> Response:
    messages = (
        await Message.select()
        .where(Message.clinic == clinic.id)
        .order_by(Message.id, ascending=False)
        .limit(SHOWN)
    )
    return page_or_fragment(request, "dev/outbox.html", {"messages": messages})
