"""The links in an earlier-slot message: take this offer, or stop these messages.

A link is `<id>.<signature>`, signed under the secret key with the row's own random
nonce, so nothing guessable (an id, another clinic's row) opens anything: the page looks
the row up in its clinic and checks the signature against that row's nonce."""

from __future__ import annotations

import base64
import secrets

from app import signing
from app.numbers import MAX_ID, whole_number

PREFIX = "earlier"  # /{site_slug}/earlier/…


def new_nonce() -> str:
    return secrets.token_hex(16)


def _sign(secret: str, what: str, row_id: int, nonce: str) -> str:
    digest = signing.digest(secret, f"earlier:{what}:{row_id}:{nonce}")[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_token(secret: str, what: str, row_id: int, nonce: str) -> str:
    """what: "offer" or "stop"."""
    return f"{row_id}.{_sign(secret, what, row_id, nonce)}"


def token_id(token: str) -> int | None:
    """The row a token names, before its signature is checked (against that row's nonce)."""
    head, dot, tail = token.partition(".")
    return whole_number(head, maximum=MAX_ID) if dot and tail else None


def signed_for(secret: str, what: str, token: str, row_id: int, nonce: str) -> bool:
    return signing.same(_sign(secret, what, row_id, nonce), token.partition(".")[2])


def offer_path(site_slug: str, token: str) -> str:
    return f"/{site_slug}/{PREFIX}/{token}"


def stop_path(site_slug: str, token: str) -> str:
    return f"/{site_slug}/{PREFIX}/stop/{token}"
