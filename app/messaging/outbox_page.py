"""The dev outbox: a clinic's sent emails and SMS as a newcomer would read them,
without a mail server or an SMS account. Mounted only where no message can leave the
machine and nobody else can reach it (Settings.dev_outbox): it lists patients'
contacts and their details links."""

from __future__ import annotations

from litestar import Request, Response, get

from app.htmx import page_or_fragment
from app.i18n import N_
from app.messaging.tables import Message
from tenants.resolution import ClinicRef

SHOWN = 100
# What the outbox's codes read as, translated on the page.
LABELS = {
    "confirmation": N_("Confirmation"),
    "change": N_("Change notice"),
    "cancellation": N_("Cancellation notice"),
    "reminder": N_("Reminder"),
    "reminder_notice": N_("Reminder, no confirmation asked"),
    "teleconsult_invitation": N_("Teleconsultation invitation"),
    "consultation_end": N_("End of teleconsultation"),
    "one_time_code": N_("Verification code"),
    "earlier_slot_offer": N_("Earlier appointment offer"),
    "earlier_slot_taken": N_("Earlier appointment taken"),
    "staff_invitation": N_("Staff invitation"),
    "email": N_("Email"),
    "sms": N_("Text message"),
    "pending": N_("waiting"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "dropped": N_("dropped"),
}


@get("/dev/outbox", name="dev:outbox")
async def dev_outbox(request: Request, clinic: ClinicRef) -> Response:
    messages = (
        await Message.select()
        .where(Message.clinic == clinic.id)
        .order_by(Message.id, ascending=False)
        .limit(SHOWN)
    )
    return page_or_fragment(request, "dev/outbox.html", {"messages": messages, "labels": LABELS})
