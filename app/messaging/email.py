"""Email over SMTP (aiosmtplib): multipart text and HTML, with an optional .ics."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from app.messaging.sms import ProviderError


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # implicit TLS (smtps://)
    start_tls: bool  # STARTTLS on a plain connection (?starttls=true)
    sender: str


def parse_smtp_url(url: str, default_sender: str) -> SmtpConfig:
    """smtp://user:pass@host:587?starttls=true&from=rdv@clinic.example, or smtps://…"""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    return SmtpConfig(
        host=parts.hostname or "localhost",
        port=parts.port or (465 if implicit else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=implicit,
        start_tls=query.get("starttls", ["false"])[0] in ("1", "true"),
        sender=query.get("from", [default_sender])[0],
    )


def build_email(
    *,
    sender_name: str,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    message_key: str,
    ics: bytes | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((sender_name, sender))
    message["To"] = to
    message["Subject"] = subject
    # The same outbox row always yields the same Message-ID, so a resend after a
    # crash can be recognised downstream as the same message.
    digest = hashlib.sha256(message_key.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@{sender.split('@')[-1]}>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if ics is not None:
        # Without its charset a calendar reads "Clinique D\u00c3\u00a9mo" in some mail programs.
        message.add_attachment(ics, maintype="text", subtype="calendar", filename="appointment.ics",
                               params={"method": "PUBLISH", "charset": "utf-8"})
    return message


class SmtpSender:
    name = "smtp"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, message: EmailMessage) -> str:
        try:
            await aiosmtplib.send(
                message,
                hostname=self.config.host,
                port=self.config.port,
                username=self.config.username,
                password=self.config.password,
                use_tls=self.config.use_tls,
                start_tls=self.config.start_tls,
                timeout=15,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            # 5xx: this address will never take it; 4xx (greylisting, full mailbox) may later.
            transient = any(refused.code < 500 for refused in error.recipients)
            detail = "; ".join(f"{refused.code} {refused.message}" for refused in error.recipients)
            raise ProviderError(f"recipient refused: {detail}", transient=transient) from error
        except aiosmtplib.SMTPResponseException as error:
            # Refused after connecting (busy, over quota, bad credentials…): a server-wide
            # problem that someone can fix, so the message waits rather than fails.
            raise ProviderError(f"mail server refused ({error.code}): {error.message}", transient=True) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise ProviderError(f"mail server unreachable: {type(error).__name__}: {error}", transient=True) from error
        return message["Message-ID"]
