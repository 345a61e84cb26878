"""What clinic settings tell the rest of the platform (the audit log listens): one setting
changed, with its value before and after as shown to an administrator."""

from __future__ import annotations

from dataclasses import dataclass

from app.events import Actor


@dataclass(frozen=True)
class SettingChanged:
    clinic_id: int
    actor: Actor
    setting: str  # the column or setting name, e.g. "require_two_factor"
    before: str | None
    after: str | None
