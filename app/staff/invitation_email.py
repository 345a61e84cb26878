"""The email carrying a set-password link. Sent directly, not through the outbox's
dispatcher (which only knows appointments and one-time codes): through SMTP when the
platform has a mail server; without one (the laptop default) it is written to the outbox
as sent by the dev provider, so the dev outbox page shows it. The link is a secret: with
a real mail server the outbox row keeps the subject only, never the link."""

from __future__ import annotations

import html as markup

from app import clock, i18n
from app.messaging.dispatch import DevSender, Senders
from app.messaging.email import build_email
from app.messaging.tables import Message
from app.settings import Settings

KIND = "staff_invitation"


def content(*, clinic_name: str, name: str, link: str, hours: int) -> tuple[str, str]:
    subject = i18n.gettext("Your staff account at %(clinic)s", clinic=clinic_name)
    text = i18n.gettext(
        "Hello %(name)s,\n\nAn account was opened for you on %(clinic)s's booking platform. "
        "Choose your password with this link (valid %(hours)d hours, once):\n\n%(link)s\n",
        name=name,
        clinic=clinic_name,
        hours=hours,
        link=link,
    )
    return subject, text


async def send(
    *,
    settings: Settings,
    clinic_id: int,
    clinic_name: str,
    to: str,
    name: str,
    link: str,
    hours: int,
    senders: Senders | None = None,
) -> None:
    subject, text = content(clinic_name=clinic_name, name=name, link=link, hours=hours)
    senders = senders or Senders.from_settings(settings)
    now = clock.now()
    dev = isinstance(senders.email, DevSender)
    provider_id = None
    if not dev:
        sender = getattr(senders.email, "config", None)
        message = build_email(
            sender_name=clinic_name,
            sender=getattr(sender, "sender", settings.email_from),
            to=to,
            subject=subject,
            text=text,
            html="<p>" + markup.escape(text).replace("\n", "<br>") + "</p>",
            message_key=f"{KIND}:{clinic_id}:{now.timestamp()}",
        )
        try:
            provider_id = await senders.email.send(message)
        finally:
            close = getattr(senders.email, "close", None)
            if close:
                await close()
    else:
        provider_id = await senders.email.send()
    await Message.insert(
        Message(
            clinic=clinic_id,
            kind=KIND,
            channel="email",
            recipient=to,
            language=i18n.current(),
            due_at=now,
            next_attempt_at=now,
            status="sent",
            attempts=1,
            idempotency_key=f"{KIND}:{provider_id}",
            provider="dev" if dev else "smtp",
            provider_id=provider_id,
            subject=subject,
            body=text if dev else "",
            created_at=now,
            sent_at=now,
        )
    )
