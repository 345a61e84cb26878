"""The staff events an app emits, recorded for the tests, with whether each was emitted
inside a write transaction (as the audit log needs)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

import app.main
from app import db
from app.listeners import make_bus
from app.staff.events import AccountChanged, StaffSignIn
from tenants.events import SettingChanged


@dataclass
class Recorded:
    events: list = field(default_factory=list)
    in_transaction: list = field(default_factory=list)

    def of(self, kind: type) -> list:
        return [event for event in self.events if isinstance(event, kind)]


@pytest.fixture
def recorded(monkeypatch) -> Recorded:
    """Use before the app starts (ask for it before `demo`)."""
    seen = Recorded()

    async def record(event) -> None:
        seen.events.append(event)
        seen.in_transaction.append(db._after_commit.get() is not None)

    def bus(**options):
        made = make_bus(**options)
        for kind in (StaffSignIn, AccountChanged, SettingChanged):
            made.on(kind, record)
        return made

    monkeypatch.setattr(app.main, "make_bus", bus)
    return seen
