"""The link of another video platform (Zoom, Teams…) that staff type on an appointment
(SPEC §9). It goes out in every message and on the details page, so only a plain https
address of a named host is taken: no other scheme (javascript:, http:, data:…), no
spaces or control characters, no user name or password before the host (a link that
reads "https://zoom.us@elsewhere" leads elsewhere), at most MAX_LENGTH characters."""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit

MAX_LENGTH = 500  # the column's length
# A host name: dot-separated labels of letters, digits and hyphens, with a top-level name.
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


class VideoLinkRefusal(StrEnum):
    TOO_LONG = "too_long"
    SPACES = "spaces"
    NOT_HTTPS = "not_https"
    NO_HOST = "no_host"
    CREDENTIALS = "credentials"


def check(typed: str) -> str | VideoLinkRefusal:
    """The link to keep ('' removes it), or why it is refused."""
    link = typed.strip()
    if not link:
        return ""
    if len(link) > MAX_LENGTH:
        return VideoLinkRefusal.TOO_LONG
    if _SPACE_OR_CONTROL.search(link):
        return VideoLinkRefusal.SPACES
    try:
        parts = urlsplit(link)
        port = parts.port  # a port that is no number raises
    except ValueError:
        return VideoLinkRefusal.NO_HOST
    if parts.scheme.lower() != "https" or not link.lower().startswith("https://"):
        return VideoLinkRefusal.NOT_HTTPS
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return VideoLinkRefusal.CREDENTIALS
    host = (parts.hostname or "").rstrip(".")
    if not _HOST.match(host) or port == 0:
        return VideoLinkRefusal.NO_HOST
    return link
