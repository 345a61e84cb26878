"""How many requests the fuzzers send, and what each answer is checked for.

FUZZ_REQUESTS requests in all (1,000 in `make test`; `python -m bench.fuzz` sends 10,000),
shared by the portal's fuzzer, the staff area's and the inbound SMS webhook's. Every
answer: no 5xx, no error logged, no injected script echoed unescaped in a page, and no
other clinic's name.

With FIGURES_REPORT=file.json (tests.figures) the fuzzers count what they find instead of
stopping at the first, add their figures to that file (bench.fuzz reads it), and fail at
the end."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass

import httpx

import tests.figures
from app.numbers import whole_number

TOTAL = whole_number(os.environ.get("FUZZ_REQUESTS", "1000"), maximum=10**7) or 1000
SHARES = {"portal": 0.5, "staff": 0.3, "sms": 0.2}
# What the fuzzers inject (among tests.integration.test_fuzz_portal.TROUBLE): markup that
# would run if a page printed it as it came.
INJECTED = ("<script>fuzz(1)</script>", '"><svg onload=fuzz(2)>', "<img src=x onerror=fuzz(3)>")
CLINIC_NAMES = {"demo": "Clinique Démo", "autre": "Clinique Autre"}
_HOST = re.compile(r"^(?P<slug>[a-z0-9-]+)\.localhost(?::\d+)?$")


def examples(fuzzer: str) -> int:
    return max(1, round(TOTAL * SHARES[fuzzer]))


@dataclass
class Figures:
    requests: int = 0
    server_errors: int = 0  # 5xx
    errors_logged: int = 0
    unescaped_echoes: int = 0
    foreign_clinic_leaks: int = 0
    seconds: float = 0.0  # sending and checking, set-up aside

    def add(self, other: "Figures") -> None:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)


def clinic_of(host: str) -> str | None:
    """The demo clinic a host names (`demo.localhost:8000`), else None."""
    found = _HOST.match(host.lower())
    return found.group("slug") if found and found.group("slug") in CLINIC_NAMES else None


def unescaped_echo(response: httpx.Response) -> str | None:
    if "html" not in response.headers.get("content-type", ""):
        return None  # a calendar file or plain text runs no markup
    return next((marker for marker in INJECTED if marker in response.text), None)


def foreign_name(response: httpx.Response, own: str | None) -> str | None:
    """Another clinic's name in an answer given on `own`'s host (on a host of no clinic:
    any clinic's name)."""
    for slug, name in CLINIC_NAMES.items():
        if slug != own and name in response.text:
            return name
    return None


def record(fuzzer: str, figures: Figures) -> None:
    tests.figures.record(fuzzer, asdict(figures))
