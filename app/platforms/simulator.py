"""A local stand-in for the Reacts-style platform: its HTTP API (create and cancel
sessions, Bearer key, Idempotency-Key honoured), the invitation it would email the patient
(kept in `invitations`), join pages, and its signed webhooks. `make run` starts one on
the embedded default (app.__main__), the tests start their own.

It can be told to fail: `fail_next(n)` answers the next n API calls with 500, `down`
answers every call with 503, over HTTP too (POST /_sim/fail?times=n, /_sim/down, /_sim/up).
Opening a session's patient link sends the "patient connected" webhook to the clinic."""

from __future__ import annotations

import html
import json
import secrets
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from app import clock
from app.platforms import signatures
from app.platforms.reacts import CONNECTED


@dataclass
class SimSession:
    id: str
    reference: str
    patient_email: str
    patient_name: str
    language: str
    callback_url: str
    starts_at: str
    patient_url: str
    staff_url: str
    cancelled: bool = False


@dataclass
class Simulator:
    api_key: str = field(default_factory=lambda: "sim_" + secrets.token_hex(8))
    webhook_secret: str = field(default_factory=lambda: "whsec_" + secrets.token_hex(16))
    host: str = "127.0.0.1"
    port: int = 0
    now: Callable = clock.now  # the signatures' timestamps: app.clock, like the app's check
    sessions: dict[str, SimSession] = field(default_factory=dict)
    by_reference: dict[str, str] = field(default_factory=dict)
    invitations: list[tuple[str, str]] = field(default_factory=list)  # (email, patient_url)
    calls: list[str] = field(default_factory=list)  # "POST /api/v1/sessions 201", in order
    down: bool = False
    failures_left: int = 0
    webhooks_sent: list[tuple[str, int]] = field(default_factory=list)  # (event id, status)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # -- life ---------------------------------------------------------------------------

    def start(self) -> "Simulator":
        simulator = self

        class Handler(_Handler):
            sim = simulator

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True, name="reacts-sim").start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def fail_next(self, times: int) -> None:
        with self.lock:
            self.failures_left = times

    # -- webhooks -----------------------------------------------------------------------

    def webhook(
        self, session_id: str, *, event_id: str = "", secret: str = ""
    ) -> tuple[bytes, dict]:
        """The signed "patient connected" request for a session: (body, headers)."""
        moment = int(self.now().timestamp())
        body = json.dumps(
            {
                "id": event_id or "evt_" + secrets.token_hex(8),
                "type": CONNECTED,
                "created": moment,
                "data": {"session_id": session_id},
            }
        ).encode()
        signature = signatures.sign(secret or self.webhook_secret, body, moment)
        return body, {"Content-Type": "application/json", signatures.HEADER: signature}

    def send_connected(self, session_id: str) -> int:
        """POST the webhook to the session's callback URL; a *.localhost host is reached
        on 127.0.0.1 with its name in the Host header. Returns the HTTP status (0: none)."""
        session = self.sessions[session_id]
        body, headers = self.webhook(session_id)
        parts = urlsplit(session.callback_url)
        target = session.callback_url
        if (parts.hostname or "").endswith(".localhost"):
            headers["Host"] = parts.netloc
            target = f"{parts.scheme}://127.0.0.1:{parts.port or 80}{parts.path}"
        request = urllib.request.Request(target, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        self.webhooks_sent.append((json.loads(body)["id"], status))
        return status

    # -- the API ------------------------------------------------------------------------

    def _create(self, data: dict, idempotency_key: str) -> tuple[int, dict]:
        with self.lock:
            known = self.by_reference.get(idempotency_key)
            if known:
                return 200, self._public(self.sessions[known])
            patient = data.get("patient") or {}
            if not patient.get("email"):
                return 422, {"error": "patient.email is required"}
            session_id = "ses_" + secrets.token_hex(6)
            session = SimSession(
                id=session_id,
                reference=str(data.get("reference", "")),
                patient_email=str(patient["email"]),
                patient_name=str(patient.get("name", "")),
                language=str(patient.get("language", "fr")),
                callback_url=str(data.get("callback_url", "")),
                starts_at=str(data.get("starts_at", "")),
                patient_url=f"{self.url}/join/{session_id}/patient?k={secrets.token_urlsafe(12)}",
                staff_url=f"{self.url}/join/{session_id}/staff?k={secrets.token_urlsafe(12)}",
            )
            self.sessions[session_id] = session
            self.by_reference[idempotency_key] = session_id
            self.invitations.append((session.patient_email, session.patient_url))
            return 201, self._public(session)

    def _cancel(self, session_id: str) -> int:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None or session.cancelled:
                return 404
            session.cancelled = True
            return 204

    @staticmethod
    def _public(session: SimSession) -> dict:
        return {
            "id": session.id,
            "reference": session.reference,
            "patient_url": session.patient_url,
            "staff_url": session.staff_url,
            "status": "cancelled" if session.cancelled else "scheduled",
        }

    def _refusal(self) -> int:
        """503 while down, 500 for each failure asked for, else 0."""
        with self.lock:
            if self.down:
                return 503
            if self.failures_left > 0:
                self.failures_left -= 1
                return 500
        return 0


class _Handler(BaseHTTPRequestHandler):
    sim: Simulator

    def log_message(self, *args) -> None:  # quiet: the tests and `make run` print enough
        pass

    def _answer(self, status: int, data: dict | None = None, *, page: str = "") -> None:
        body = page.encode() if page else (json.dumps(data).encode() if data is not None else b"")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8" if page else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        return self.headers.get("Authorization", "") == f"Bearer {self.sim.api_key}"

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        if parts.path.startswith("/_sim/"):
            return self._control(parts.path, parse_qs(parts.query))
        if parts.path != "/api/v1/sessions":
            return self._answer(404, {"error": "not found"})
        if refused := self.sim._refusal():
            self.sim.calls.append(f"POST /api/v1/sessions {refused}")
            return self._answer(refused, {"error": "unavailable"})
        if not self._authorised():
            return self._answer(401, {"error": "bad key"})
        length = int(self.headers.get("Content-Length") or 0)
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._answer(400, {"error": "bad json"})
        key = self.headers.get("Idempotency-Key") or secrets.token_hex(8)
        status, answer = self.sim._create(data, key)
        self.sim.calls.append(f"POST /api/v1/sessions {status}")
        self._answer(status, answer)

    def do_DELETE(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        if not parts.path.startswith("/api/v1/sessions/"):
            return self._answer(404, {"error": "not found"})
        if refused := self.sim._refusal():
            self.sim.calls.append(f"DELETE {parts.path} {refused}")
            return self._answer(refused, {"error": "unavailable"})
        if not self._authorised():
            return self._answer(401, {"error": "bad key"})
        status = self.sim._cancel(parts.path.rsplit("/", 1)[1])
        self.sim.calls.append(f"DELETE {parts.path} {status}")
        self._answer(status, None if status == 204 else {"error": "no such session"})

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path).path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "join" or parts[2] not in ("patient", "staff"):
            return self._answer(404, {"error": "not found"})
        session = self.sim.sessions.get(parts[1])
        if session is None or session.cancelled:
            return self._answer(404, page=_page("This session does not exist or was cancelled."))
        if parts[2] == "patient":
            # The platform tells the clinic, as Reacts does, once the patient is in.
            threading.Thread(
                target=self.sim.send_connected, args=(session.id,), daemon=True
            ).start()
            return self._answer(
                200,
                page=_page(
                    f"Welcome {session.patient_name}: you are connected. The clinic has been told."
                ),
            )
        return self._answer(
            200, page=_page(f"Practitioner's side of the session with {session.patient_name}.")
        )

    def _control(self, path: str, query: dict) -> None:
        if path == "/_sim/down":
            self.sim.down = True
        elif path == "/_sim/up":
            self.sim.down = False
        elif path == "/_sim/fail":
            times = (query.get("times") or ["1"])[0]
            self.sim.fail_next(int(times) if times.isdigit() else 1)
        else:
            return self._answer(404, {"error": "not found"})
        self._answer(200, {"down": self.sim.down, "failures_left": self.sim.failures_left})


def _page(text: str) -> str:
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width'><title>Reacts (simulator)</title>"
        "<body style='font-family:system-ui;margin:2rem'><h1>Reacts (simulator)</h1>"
        f"<p>{html.escape(text)}</p>"
    )
