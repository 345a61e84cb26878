"""A local payment provider for the tests: a real HTTP server that speaks the Checkout
Sessions endpoints the official stripe SDK calls (create, retrieve, expire), honours
Idempotency-Key as the provider does (the same key answers the same session), checks the
secret key, serves a checkout page whose "Pay" completes the session, and sends the
signed webhook (Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "t.body">) to the
endpoint it is given. Its clock is given too: the app under test reads app.clock.

Used by tests/integration/test_payments.py and e2e/test_payments.py; the server's
behaviour can be bent (fail the next N creations) to test retries."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

SECRET_KEY = "sk_test_local_provider"
WEBHOOK_SECRET = "whsec_local_provider"


def _nested(pairs: list[tuple[str, str]]) -> dict:
    """line_items[0][price_data][currency]=cad → {"line_items": {"0": {...}}}."""
    out: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def sign(body: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


@dataclass
class LocalPaymentProvider:
    now: Callable[[], float] = time.time  # the provider's clock, for its signatures
    secret_key: str = SECRET_KEY
    webhook_secret: str = WEBHOOK_SECRET
    webhook_url: str = ""  # where the signed webhook goes: http://127.0.0.1:port/payments/webhook
    webhook_host: str = ""  # the Host header it carries: the clinic's host
    sessions: dict[str, dict] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    created: int = 0  # sessions really made (a replayed Idempotency-Key makes none)
    create_calls: int = 0  # POSTs received, replays included
    fail_next: int = 0  # answer 500 to this many creations first (nothing made)
    lose_next: int = 0  # make (or find) the session, then answer 500: a lost answer
    deliveries: list[tuple[int, dict]] = field(default_factory=list)  # webhook answers
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "LocalPaymentProvider":
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                provider._post(self)

            def do_GET(self):
                provider._get(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    # ---- the API ------------------------------------------------------------------

    def _authorised(self, handler) -> bool:
        if handler.headers.get("Authorization") == f"Bearer {self.secret_key}":
            return True
        self._json(handler, 401, {"error": {"type": "invalid_request_error", "message": "key"}})
        return False

    def _json(self, handler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _body(self, handler) -> bytes:
        return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))

    def _post(self, handler) -> None:
        path = urlsplit(handler.path).path
        body = self._body(handler)
        if path.startswith("/checkout/") and path.endswith("/pay"):  # the patient's "Pay"
            return self._paid_by_patient(handler, path.split("/")[2])
        if not self._authorised(handler):
            return None
        if path == "/v1/checkout/sessions":
            return self._create(handler, _nested(parse_qsl(body.decode())))
        if path.startswith("/v1/checkout/sessions/") and path.endswith("/expire"):
            session = self.sessions.get(path.split("/")[4])
            if session is None:
                return self._json(handler, 404, {"error": {"message": "no such session"}})
            session["status"] = "expired"
            return self._json(handler, 200, session)
        return self._json(handler, 404, {"error": {"message": "unknown endpoint"}})

    def _create(self, handler, params: dict) -> None:
        key = handler.headers.get("Idempotency-Key", "")
        with self._lock:
            self.create_calls += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                return self._json(handler, 500, {"error": {"type": "api_error"}})
            if key and key in self.by_key:
                return self._answer(handler, self.sessions[self.by_key[key]])
            item = params["line_items"]["0"]
            session_id = "cs_test_" + secrets.token_hex(12)
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": params.get("mode"),
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": int(item["price_data"]["unit_amount"]) * int(item["quantity"]),
                "currency": item["price_data"]["currency"],
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata", {}),
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "url": f"{self.base}/checkout/{session_id}",
                "idempotency_key": key,
            }
            self.sessions[session_id] = session
            if key:
                self.by_key[key] = session_id
            self.created += 1
            return self._answer(handler, session)

    def _answer(self, handler, session: dict) -> None:
        if self.lose_next > 0:
            self.lose_next -= 1
            return self._json(handler, 500, {"error": {"type": "api_error"}})
        return self._json(handler, 200, session)

    def _get(self, handler) -> None:
        path = urlsplit(handler.path).path
        if path.startswith("/checkout/"):
            return self._checkout_page(handler, path.split("/")[2])
        if not self._authorised(handler):
            return None
        session = self.sessions.get(path.removeprefix("/v1/checkout/sessions/"))
        if session is None:
            return self._json(handler, 404, {"error": {"message": "no such session"}})
        return self._json(handler, 200, session)

    # ---- the checkout page ----------------------------------------------------------

    def _checkout_page(self, handler, session_id: str) -> None:
        session = self.sessions.get(session_id)
        if session is None:
            handler.send_error(404)
            return
        amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        page = (
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Checkout</title>"
            "<meta name=viewport content='width=device-width, initial-scale=1'></head><body>"
            f"<h1>Checkout</h1><p id=amount>{escape(amount)}</p>"
            f"<form method=post action='/checkout/{escape(session_id)}/pay'>"
            "<button type=submit>Pay now</button></form></body></html>"
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(page)))
        handler.end_headers()
        handler.wfile.write(page)

    def _paid_by_patient(self, handler, session_id: str) -> None:
        session = self.complete(session_id)
        handler.send_response(303)
        handler.send_header("Location", session["success_url"])
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    # ---- events and webhooks --------------------------------------------------------

    def complete(self, session_id: str) -> dict:
        """The patient paid: the session completes and its webhook is sent (if an
        endpoint is set)."""
        session = self.sessions[session_id]
        session.update(status="complete", payment_status="paid")
        if self.webhook_url:
            self.deliver(self.event(session_id, "checkout.session.completed"))
        return session

    def event(self, session_id: str, kind: str, *, event_id: str | None = None) -> dict:
        return {
            "id": event_id or "evt_" + secrets.token_hex(12),
            "object": "event",
            "type": kind,
            "created": int(self.now()),
            "data": {"object": dict(self.sessions[session_id])},
        }

    def signed(
        self, event: dict, *, at: float | None = None, secret: str | None = None
    ) -> tuple[bytes, str]:
        """The body and the Stripe-Signature header the provider would send."""
        body = json.dumps(event).encode()
        timestamp = int(self.now() if at is None else at)
        return body, sign(body, secret or self.webhook_secret, timestamp)

    def deliver(self, event: dict, **signing) -> tuple[int, dict]:
        """POST the signed event to the webhook endpoint, over real HTTP."""
        body, header = self.signed(event, **signing)
        target = urlsplit(self.webhook_url)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        try:
            connection.request(
                "POST",
                target.path,
                body=body,
                headers={
                    "Host": self.webhook_host or target.netloc,
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": header,
                },
            )
            response = connection.getresponse()
            answer = (response.status, json.loads(response.read() or b"{}"))
        finally:
            connection.close()
        self.deliveries.append(answer)
        return answer
