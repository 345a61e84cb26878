"""Tokens in URLs are credentials: the access log keeps the page, not the token."""

import logging

import pytest

from app.bearer_paths import RedactTokens, carries_token, redact

DETAILS = "/a/12.1796260500.Qm9uam91ciB0b3V0IGxlIG1vbmRl"
SESSION = "/centre-ville/b/f3Jb0-8N0xJ2y1kq8tZQm3M9r0aH1cW2eX4dL6uV7s"


@pytest.mark.parametrize(
    "path, shown",
    [
        (DETAILS, "/a/…"),
        (DETAILS + "/calendar.ics", "/a/…/calendar.ics"),
        (SESSION + "/slots?shown=10", "/centre-ville/b/…/slots?shown=10"),
        ("/b/b/" + SESSION.split("/b/")[1], "/b/b/…"),  # a site whose slug is "b"
        ("/centre-ville/", "/centre-ville/"),
        ("/static/a/x.css", "/static/a/x.css"),
    ],
)
def test_redact(path, shown):
    assert redact(path) == shown
    assert carries_token(path) == (shown != path)


def test_the_access_log_filter_rewrites_uvicorns_record():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", DETAILS, "1.1", 200),
        None,
    )
    assert RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /a/… HTTP/1.1" 200'
