"""Real servers standing in for the outside world: an SMTP server (aiosmtpd, in the
test's event loop) and an HTTP server speaking the Twilio Messages API. Both record
what reached them, so tests assert what a patient would have received. The SMS
provider also posts patients' answers to our inbound webhook, signed as Twilio signs."""

from __future__ import annotations

import asyncio
import base64
import email
import hashlib
import hmac
import itertools
import json
import logging
import threading
from collections import deque
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

from aiosmtpd.smtp import SMTP

# Every SMTP command and HTTP request would otherwise fill the failure reports.
logging.getLogger("mail.log").setLevel(logging.WARNING)
logging.getLogger("httpx").setLevel(logging.WARNING)


class SmtpSink:
    """An SMTP server that keeps every accepted email. `refuse_data` / `refuse_rcpt`
    make it answer with an SMTP error (e.g. "451 4.3.0 try later"), for every email
    or for some addresses, until cleared;
    `hold` keeps senders waiting at RCPT until it is set; stop() and start() again
    take it down and bring it back on the same port."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.refuse_data: str | None = None
        self.refuse_rcpt: dict[str, str] = {}  # address → the error it gets at RCPT
        self.refused_ids: list[str] = []  # Message-IDs of the emails refused at DATA
        self.hold: asyncio.Event | None = None
        self.held = 0
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?from=rendez-vous@clinique.test"

    async def start(self) -> None:
        self._server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(self, hostname="sink.test"), "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    # aiosmtpd calls the handler's hooks by these names.
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold is not None:
            async with self._arrived:
                self.held += 1
                self._arrived.notify_all()
            await self.hold.wait()
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        if self.refuse_data:
            self.refused_ids.append(message["Message-ID"])
            return self.refuse_data
        async with self._arrived:
            self.received.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    async def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        """Until `count` emails have arrived (for deliveries made by a background task)."""
        await self._until(lambda: len(self.received) >= count, timeout)
        return self.received

    async def wait_for_subject(self, subject: str, timeout: float = 30) -> EmailMessage:
        """The first email with this subject, once it has arrived."""
        await self._until(lambda: any(m["Subject"] == subject for m in self.received), timeout)
        return next(m for m in self.received if m["Subject"] == subject)

    async def wait_held(self, count: int, timeout: float = 30) -> None:
        """Until `count` senders are kept waiting by `hold`."""
        await self._until(lambda: self.held >= count, timeout)

    async def _until(self, condition, timeout: float) -> None:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(condition), timeout)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]


@dataclass(frozen=True)
class Sms:
    to: str
    sender: str
    body: str
    sid: str


class SmsProvider:
    """An HTTP server speaking the Twilio Messages API: POST
    /2010-04-01/Accounts/{sid}/Messages.json with basic auth and the form fields To,
    From, Body; answers 201 with the message's "sid", or whatever answer_next() queued
    (500, 429, 400 with Twilio's error JSON)."""

    account_sid = "AC0123456789abcdef0123456789abcdef"
    auth_token = "provider-token"
    sender = "+15145550000"

    def __init__(self) -> None:
        self.sent: list[Sms] = []
        self.requests = 0
        self._answers: deque[tuple[int, dict]] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                provider._handle(self)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll so that stopping (once per test) is quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer_next(self, status: int, body: dict, times: int = 1) -> None:
        with self._lock:
            self._answers.extend([(status, body)] * times)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(request.rfile.read(length).decode()).items()}
        expected_auth = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        )
        with self._lock:
            self.requests += 1
            if request.path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
                status, body = (
                    404,
                    {
                        "code": 20404,
                        "message": "The requested resource was not found",
                        "status": 404,
                    },
                )
            elif request.headers.get("Authorization") != expected_auth:
                status, body = 401, {"code": 20003, "message": "Authenticate", "status": 401}
            elif self._answers:
                status, body = self._answers.popleft()
            else:
                sid = f"SM{next(self._ids):032x}"
                status = 201
                body = {
                    "sid": sid,
                    "status": "queued",
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                }
                self.sent.append(
                    Sms(
                        to=form.get("To", ""),
                        sender=form.get("From", ""),
                        body=form.get("Body", ""),
                        sid=sid,
                    )
                )
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def to(self, number: str) -> list[Sms]:
        return [m for m in self.sent if m.to == number]

    @classmethod
    def sign(cls, url: str, form: dict[str, str], token: str | None = None) -> str:
        """X-Twilio-Signature as Twilio computes it (written here from its documentation,
        not from the app's code): base64(HMAC-SHA1(auth token, URL + each name and value,
        names sorted))."""
        data = url + "".join(name + form[name] for name in sorted(form))
        key = (token or cls.auth_token).encode()
        return base64.b64encode(hmac.new(key, data.encode(), hashlib.sha1).digest()).decode()

    async def reply(
        self,
        client,
        number: str,
        body: str,
        *,
        path: str = "/sms/inbound",
        sid: str | None = None,
        signature: str | bytes | None = None,
        **extra: str,
    ):
        """A patient's SMS `body` from `number`, posted as Twilio posts it to our webhook
        on `client`'s host (an httpx client); `signature` replaces the real one."""
        form = {
            "MessageSid": sid or f"SM{next(self._ids):032x}",
            "AccountSid": self.account_sid,
            "From": number,
            "To": self.sender,
            "Body": body,
            "NumMedia": "0",
            **extra,
        }
        url = f"{str(client.base_url).rstrip('/')}{path}"
        return await client.post(
            path,
            content=urlencode(form).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature if signature is not None else self.sign(url, form),
            },
        )
