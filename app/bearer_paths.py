"""Paths that carry a credential: the appointment details link (/a/{token}) and a
booking session (/{site}/b/{token}). Whoever holds one may act on an appointment, so
the token never reaches a log, and the pages are never cached (see security_headers)."""

from __future__ import annotations

import logging
import re
from copy import deepcopy

from uvicorn.config import LOGGING_CONFIG

_TOKEN = re.compile(r"^(/a/|/[^/?]+/b/)[^/?]+")


def carries_token(path: str) -> bool:
    return bool(_TOKEN.match(path))


def redact(path: str) -> str:
    """The path with its token replaced by "…": enough to tell which page was asked for."""
    return _TOKEN.sub(r"\1…", path)


class RedactTokens(logging.Filter):
    """For uvicorn's access log, whose records carry (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, redact(str(path)), version, status)
        return True


def uvicorn_log_config() -> dict:
    config = deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_tokens": {"()": RedactTokens}}
    config["loggers"]["uvicorn.access"]["filters"] = ["redact_tokens"]
    return config
