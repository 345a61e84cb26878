"""The shared files' pure rules: the kind by the first bytes, the display name made safe
for a header and a page, the RFC 6266 header."""

from __future__ import annotations

import pytest

from app.video.chat import ChatRefusal, clean
from app.video.files import (
    MAX_BYTES,
    FileRefusal,
    check,
    content_disposition,
    display_name,
    media_type_of,
)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
        (b"\xff\xd8\xff\xdb", "image/jpeg"),
        (b"GIF89a", None),
        (b"<svg onload=alert(1)>", None),
        (b"\x89PNG\r\n", None),  # cut short
        (b" %PDF-", None),
    ],
)
def test_the_kind_comes_from_the_first_bytes(content, kind):
    assert media_type_of(content) == kind


def test_check_refuses_empty_too_big_and_unknown():
    assert check(b"") is FileRefusal.MISSING
    assert check(b"%PDF-" + b"0" * MAX_BYTES) is FileRefusal.TOO_BIG
    assert check(b"%PDF-" + b"0" * (MAX_BYTES - 5)) == "application/pdf"
    assert check(b"MZ\x90\x00") is FileRefusal.WRONG_TYPE


@pytest.mark.parametrize(
    ("name", "kind", "shown"),
    [
        ("C:\\Users\\marie\\scan.pdf", "application/pdf", "scan.pdf"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ('a"b;c\r\nX-Evil: 1.png', "image/png", "a b c X-Evil 1.png"),
        ("ordonnance.pdf", "image/png", "ordonnance.png"),  # the content says PNG
        ("photo.JPEG", "image/jpeg", "photo.jpeg"),
        ("rapport.final", "application/pdf", "rapport.final.pdf"),
        ("", "image/jpeg", "file.jpg"),
        ("...", "application/pdf", "file.pdf"),
        ("é" * 300 + ".pdf", "application/pdf", "é" * 116 + ".pdf"),
    ],
)
def test_the_display_name_is_safe_and_says_what_the_file_is(name, kind, shown):
    assert display_name(name, kind) == shown


def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name():
    assert content_disposition("Résultats d'été.pdf") == (
        'attachment; filename="Resultats dete.pdf"; '
        "filename*=UTF-8''R%C3%A9sultats%20d%27%C3%A9t%C3%A9.pdf"
    )
    assert content_disposition("日本.png").startswith('attachment; filename="file.png"')


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("  Bonjour \n", "Bonjour"),
        ("\t \n", ChatRefusal.EMPTY),
        ("a\x00b", ChatRefusal.NUL),
        ("x" * 2000, "x" * 2000),
        ("x" * 2001, ChatRefusal.TOO_LONG),
        (" " + "x" * 2000 + " ", "x" * 2000),  # counted once trimmed
    ],
)
def test_a_chat_line_is_trimmed_and_bounded(text, result):
    assert clean(text) == result
