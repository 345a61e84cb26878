"""Paths that carry a credential: the appointment details link (/a/{token}), a
booking session (/{site}/b/{token}) and a "My appointments" session
(/{site}/my/{token}). Whoever holds one may act on an appointment, so the token never
reaches a log, and the pages are never cached (see security_headers)."""

from __future__ import annotations

import logging
import re
from copy import deepcopy

from uvicorn.config import LOGGING_CONFIG

_TOKEN = re.compile(r"^(/a/|/[^/?]+/b/|/[^/?]+/my/)[^/?]+")


def carries_token(path: str) -> bool:
    return bool(_TOKEN.match(path))


def redact(path: str) -> str:
    """The path with its token replaced by "…": enough to tell which page was asked for."""
    return _TOKEN.sub(r"\1…", path)


class RedactTokens(logging.Filter):
    """For uvicorn's access log, whose records carry (client, method, path, version, status),
    and its error log, where a WebSocket's handshake is logged as (client, path[, code]):
    the patient's call socket is under the details link."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.args, tuple):
            return True
        if len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, redact(str(path)), version, status)
        elif '"WebSocket %s"' in str(record.msg) and len(record.args) >= 2:
            client, path, *rest = record.args
            record.args = (client, redact(str(path)), *rest)
        return True


def uvicorn_log_config() -> dict:
    config = deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_tokens": {"()": RedactTokens}}
    config["loggers"]["uvicorn.access"]["filters"] = ["redact_tokens"]
    config["loggers"]["uvicorn.error"]["filters"] = ["redact_tokens"]  # WebSocket handshakes
    return config
