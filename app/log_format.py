"""How the web server's and the worker's logs are written: LOG_FORMAT=json (production:
one JSON object per line, for a log collector) or text (a terminal: uvicorn's own access
log, arq's lines).

In JSON, each request is one line from app.request_log, which replaces uvicorn's access
log; every other record (the app's warnings, tracebacks, uvicorn's start-up) is a JSON
line too, with the id of the request it was written in. Tokens are redacted in both
(app.bearer_paths)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from app.bearer_paths import uvicorn_log_config
from app.request_log import REQUEST_ID


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            # The machine's time, not app.clock: logs are read beside other systems' logs.
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := REQUEST_ID.get():
            line["request_id"] = request_id
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(log_format: str) -> dict:
    config = uvicorn_log_config()
    if log_format != "json":
        # uvicorn's access log, as a terminal shows it, stands for app.requests' lines.
        config["loggers"]["app.requests"] = {"level": "WARNING"}
        return config
    json_formatter = {"()": JsonFormatter}
    config["formatters"] = {"default": json_formatter, "access": json_formatter}
    config["loggers"]["uvicorn.access"] = {"handlers": [], "level": "WARNING", "propagate": False}
    config["loggers"]["app"] = {"handlers": ["access"], "level": "INFO", "propagate": False}
    config["loggers"]["litestar"] = {"handlers": ["default"], "level": "WARNING"}
    return config


def worker_log_config(log_format: str) -> dict:
    """The worker's (python -m jobs.worker): arq's own lines (jobs started, done, failed)
    and the app's warnings, as JSON lines like the web server's, or arq's text."""
    from arq.logs import default_log_config

    config = default_log_config(verbose=False)
    if log_format != "json":
        return config
    config["formatters"] = {"json": {"()": JsonFormatter}}
    config["handlers"]["arq.standard"]["formatter"] = "json"
    for name in ("arq", "jobs", "app"):
        config["loggers"][name] = {
            "handlers": ["arq.standard"],
            "level": "INFO",
            "propagate": False,
        }
    return config
