"""Email over SMTP (aiosmtplib): multipart text and HTML, with an optional .ics."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from email import policy
from email.headerregistry import HeaderRegistry
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


class _Headers(HeaderRegistry):
    """The standard header classes, each made once: the stock registry builds a new
    class for every header of every message, a quarter of the time an email takes
    to build and write out. The emails are byte for byte the same."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


POLICY = policy.default.clone(header_factory=_Headers())


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
    message = EmailMessage(policy=POLICY)
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
        message.add_attachment(
            ics,
            maintype="text",
            subtype="calendar",
            filename="appointment.ics",
            params={"method": "PUBLISH", "charset": "utf-8"},
        )
    return message


class SmtpSender:
    """Connections are kept open between messages and reused: one per message would
    cost a TCP and SMTP handshake (and TLS, and a login) each time. A connection
    failing in any way is closed, never reused; one idle for IDLE_SECONDS, or that
    has carried PER_CONNECTION messages, is closed rather than reused, as servers
    drop idle clients and cap messages per connection."""

    name = "smtp"
    IDLE_SECONDS = 10.0
    PER_CONNECTION = 100
    KEPT = 20  # idle connections kept: as many as the dispatcher sends at once

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._idle: list[
            tuple[aiosmtplib.SMTP, float, int]
        ] = []  # connection, idle since, messages carried
        self._loop: asyncio.AbstractEventLoop | None = None

    async def send(self, message: EmailMessage) -> str:
        client, carried = self._reusable()
        try:
            if client is None:
                client = aiosmtplib.SMTP(
                    hostname=self.config.host,
                    port=self.config.port,
                    username=self.config.username,
                    password=self.config.password,
                    use_tls=self.config.use_tls,
                    start_tls=self.config.start_tls,
                    timeout=15,
                )
                await client.connect()
            await client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as error:
            _drop(client)
            # 5xx: this address will never take it; 4xx (greylisting, full mailbox) may later.
            transient = any(refused.code < 500 for refused in error.recipients)
            detail = "; ".join(f"{refused.code} {refused.message}" for refused in error.recipients)
            raise ProviderError(f"recipient refused: {detail}", transient=transient) from error
        except aiosmtplib.SMTPResponseException as error:
            _drop(client)
            # Refused after connecting (busy, over quota, bad credentials…): a server-wide
            # problem that someone can fix, so the message waits rather than fails.
            raise ProviderError(
                f"mail server refused ({error.code}): {error.message}", transient=True
            ) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            _drop(client)
            raise ProviderError(
                f"mail server unreachable: {type(error).__name__}: {error}", transient=True
            ) from error
        except BaseException:
            _drop(client)  # cancelled mid-conversation: the connection's state is unknown
            raise
        await self._release(client, carried + 1)
        return message["Message-ID"]

    def _reusable(self) -> tuple[aiosmtplib.SMTP | None, int]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # connections belong to the event loop that opened them
            self._idle, self._loop = [], loop
        now = loop.time()
        while self._idle:
            client, since, carried = self._idle.pop()
            if client.is_connected and now - since < self.IDLE_SECONDS:
                return client, carried
            _drop(client)
        return None, 0

    async def _release(self, client: aiosmtplib.SMTP, carried: int) -> None:
        if carried >= self.PER_CONNECTION or len(self._idle) >= self.KEPT:
            await _quit(client)
        else:
            self._idle.append((client, asyncio.get_running_loop().time(), carried))

    async def close(self) -> None:
        """Say goodbye on the connections kept open (when the worker stops)."""
        idle, self._idle = self._idle, []
        for client, _, _ in idle:
            await _quit(client)


def _drop(client: aiosmtplib.SMTP | None) -> None:
    if client is not None:
        client.close()


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()
