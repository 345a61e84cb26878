"""Figures a test measured, for the benchmarks that run tests (bench.fuzz, bench.faults).

With FIGURES_REPORT=file.json, `record(name, figures)` adds the figures to that file under
`name` (a test in a later process adds its own beside them); without it, nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

REPORT = os.environ.get("FIGURES_REPORT") or None


def record(name: str, figures: Mapping[str, object]) -> None:
    if not REPORT:
        return
    path = Path(REPORT)
    report = json.loads(path.read_text()) if path.exists() else {}
    report[name] = dict(figures)
    path.write_text(json.dumps(report, default=str))


def read(path: Path) -> dict[str, dict]:
    return json.loads(path.read_text()) if path.exists() else {}
