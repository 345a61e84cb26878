"""The patient's call socket is under the details link (/a/{token}/room/ws): uvicorn logs a
WebSocket's handshake on its error log, which keeps the path, not the token."""

import logging

from app.bearer_paths import RedactTokens, uvicorn_log_config

ROOM = "/a/12.1796260500.Qm9uam91ciB0b3V0IGxlIG1vbmRl/room/ws"


def record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, message, args, None)


def test_a_websocket_handshake_is_logged_without_the_token():
    accepted = record('%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", ROOM)
    refused = record('%s - "WebSocket %s" %d', "127.0.0.1:5000", ROOM, 4403)
    assert RedactTokens().filter(accepted) and RedactTokens().filter(refused)
    assert accepted.getMessage() == '127.0.0.1:5000 - "WebSocket /a/…/room/ws" [accepted]'
    assert refused.getMessage() == '127.0.0.1:5000 - "WebSocket /a/…/room/ws" 4403'


def test_other_error_log_lines_are_left_alone():
    line = record("Started server process [%d]", 42)
    assert RedactTokens().filter(line) and line.getMessage() == "Started server process [42]"


def test_the_server_s_error_log_has_the_filter():
    assert uvicorn_log_config()["loggers"]["uvicorn.error"]["filters"] == ["redact_tokens"]
