"""POST /sms/inbound: the SMS provider's inbound webhook, in Twilio's format (a form with
From, To, Body, MessageSid, signed in X-Twilio-Signature with the auth token over the
URL it was configured with). Configured on the platform's own host (one sending number
serves every clinic); on a clinic's host only that clinic's texts are answered for.

Anything unsigned or badly signed is 403 and changes nothing; a replayed MessageSid is
409 and changes nothing; anything signed is answered with an empty TwiML <Response/>,
whatever came of it, so the answer says nothing about the number or its appointments."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl

from litestar import Request, Response, post
from litestar.exceptions import NotFoundException

from app.events import EventBus
from app.messaging.sms_replies import Outcome, Reply, receive, signed
from app.settings import Settings
from tenants.resolution import ClinicRef

log = logging.getLogger("app.messaging")
PATH = "/sms/inbound"
MAX_BODY = 16 * 1024  # Twilio's inbound form is a few hundred bytes
_SID = re.compile(r"[A-Za-z0-9]{1,64}")
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _twiml(status: int) -> Response:
    return Response(EMPTY, status_code=status, media_type="text/xml")


def _signed_url(request: Request, settings: Settings) -> str:
    """The URL as the provider was given it: our public scheme (TLS may end at a proxy),
    the Host it asked for, the path and query string as sent."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    host = request.headers.get("host", "")
    return f"{settings.public_scheme}://{host}{request.url.path}" + (f"?{query}" if query else "")


@post(
    PATH,
    name="sms:inbound",
    opt={"exclude_from_csrf": True},
    request_max_body_size=MAX_BODY,
    status_code=200,
)
async def sms_inbound(request: Request, settings: Settings, bus: EventBus) -> Response:
    # Not the `clinic` dependency: it refuses the platform's host, where this one answers.
    clinic: ClinicRef | None = request.scope.get("state", {}).get("clinic")
    if settings.sms is None:
        raise NotFoundException("no SMS provider")
    raw = await request.body()
    try:
        params = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        return _twiml(400)
    header = request.headers.get("x-twilio-signature", "")
    if not signed(settings.sms.auth_token, _signed_url(request, settings), params, header):
        log.warning("inbound SMS refused: bad signature")
        return _twiml(403)
    form = dict(params)
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not _SID.fullmatch(sid):  # Twilio's are "SM" + 32 hex digits; nothing else is stored
        return _twiml(400)
    outcome = await receive(
        Reply(message_sid=sid, sender=form.get("From", ""), body=form.get("Body", "")),
        clinic_id=clinic.id if clinic else None,
        bus=bus,
    )
    return _twiml(409 if outcome is Outcome.REPLAY else 200)
