"""HMAC-SHA256 signatures for the platform's links and forms, and the one comparison.

A signature comes back as text from a URL or a form, in any characters a client
chose; it is compared as bytes in constant time (`hmac.compare_digest` raises on a
str with non-ASCII characters, which would be a 500)."""

from __future__ import annotations

import hashlib
import hmac


def digest(secret: str, message: str) -> bytes:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()


def same(expected: str, given: str) -> bool:
    # "replace": a lone surrogate cannot be encoded otherwise, and never matches anyway.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
