"""SMS: segment counting (what the clinic is billed for) and the provider adapter,
which speaks the Twilio Messages REST API."""

from __future__ import annotations

import math
from dataclasses import dataclass

import httpx

# The GSM 03.38 default alphabet; the extension table's characters cost two septets.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str  # GSM-7 | UCS-2
    count: int


def segments(text: str) -> Segments:
    """How many SMS a text takes: 160 GSM-7 septets (153 per part when split),
    or 70 UCS-2 code units (67 per part) as soon as one character is outside GSM-7."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, part = 160, 153
        encoding = "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2  # astral characters take two units
        single, part = 70, 67
        encoding = "UCS-2"
    if units <= single:
        return Segments(encoding, 1 if units else 0)
    return Segments(encoding, math.ceil(units / part))


class ProviderError(Exception):
    """The provider refused or could not be reached. `transient` errors are retried."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class TwilioConfig:
    url: str  # e.g. https://api.twilio.com
    account_sid: str
    auth_token: str
    sender: str  # the "From" number, E.164


class TwilioSender:
    name = "twilio"

    def __init__(self, config: TwilioConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.client = client or httpx.AsyncClient(timeout=10)

    async def send(self, *, to: str, body: str) -> str:
        """The provider's message id (the SID)."""
        account = self.config.account_sid
        url = f"{self.config.url.rstrip('/')}/2010-04-01/Accounts/{account}/Messages.json"
        try:
            response = await self.client.post(
                url,
                data={"To": to, "From": self.config.sender, "Body": body},
                auth=(self.config.account_sid, self.config.auth_token),
            )
        except httpx.HTTPError as error:
            raise ProviderError(
                f"SMS provider unreachable: {type(error).__name__}", transient=True
            ) from error
        if response.status_code in (200, 201):
            sid = response.json().get("sid")
            if sid:
                return sid
            raise ProviderError("SMS provider answered without a message id", transient=True)
        detail = _error_detail(response)
        # 4xx (bad number, unverified sender…) will fail again; 429 and 5xx may not.
        transient = response.status_code == 429 or response.status_code >= 500
        raise ProviderError(
            f"SMS provider refused ({response.status_code}): {detail}", transient=transient
        )


def _error_detail(response: httpx.Response) -> str:
    try:
        data = response.json()
        return f"{data.get('code', '')} {data.get('message', '')}".strip()
    except ValueError:
        return response.text[:200]
