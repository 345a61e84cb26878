"""The administration's settings forms, declared once: each field says how its posted text
is read (or why it is refused), how its stored value shows in the form and in the audit
log. A form is read whole: any refusal and nothing is saved (the page shows each message
next to its field, with what was typed); otherwise each changed field is one update and
one SettingChanged, in the caller's write transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Any, Callable
from urllib.parse import urlsplit
from zoneinfo import available_timezones

import phonenumbers

from app import i18n
from app.i18n import N_
from app.numbers import whole_number
from app.patients.normalise import phone_e164


class Invalid(ValueError):
    """A posted value refused: the message (a msgid, with its variables) is shown next to
    its field, translated when the page is drawn."""

    def __init__(self, message: str, **variables: object) -> None:
        super().__init__(message)
        self.message, self.variables = message, variables

    def translated(self) -> str:
        return i18n.gettext(self.message, **self.variables)


class Kind(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    CHECKBOX = "checkbox"
    NUMBER = "number"
    TIME = "time"
    SELECT = "select"
    SECRET = "password"  # write-only: never shown back, blank keeps the stored value
    URL = "url"


@dataclass(frozen=True)
class Field:
    name: str  # the column, and the form field's name
    label: str  # msgid
    read: Callable[[str], Any]  # posted text -> stored value; raises Invalid
    kind: Kind = Kind.TEXT
    hint: str | None = None  # msgid
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (value, label msgid), for selects
    show: Callable[[Any], str] = lambda value: "" if value is None else str(value)

    def audit_text(self, value: Any) -> str:
        if self.kind is Kind.SECRET:
            return "set" if value else "not set"  # the audit log never holds a secret
        if self.kind is Kind.CHECKBOX:
            return "true" if value else "false"
        return self.show(value)


def read_form(fields: tuple[Field, ...], data: dict[str, str], stored: dict):
    """(values to store, typed values to show back, errors by field name)."""
    values: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        if field.kind is Kind.CHECKBOX:
            values[field.name] = typed[field.name] = data.get(field.name) == "on"
            continue
        raw = data.get(field.name, "")
        if field.kind is Kind.SECRET:
            typed[field.name] = ""  # never sent back, even when the form is refused
            if not raw.strip():
                continue  # blank keeps the stored secret
        else:
            typed[field.name] = raw
        try:
            values[field.name] = field.read(raw)
        except Invalid as refusal:
            errors[field.name] = refusal.translated()
    return values, typed, errors


def shown(fields: tuple[Field, ...], stored: dict) -> dict[str, Any]:
    """The stored values as the form shows them."""
    return {
        f.name: (
            stored[f.name]
            if f.kind is Kind.CHECKBOX
            else ""
            if f.kind is Kind.SECRET
            else f.show(stored[f.name])
        )
        for f in fields
    }


def changes(fields: tuple[Field, ...], values: dict[str, Any], stored: dict):
    """(field, before, after) for each field whose value differs from the stored one."""
    return [
        (f, stored[f.name], values[f.name])
        for f in fields
        if f.name in values and values[f.name] != stored[f.name]
    ]


# Readers: each returns the value to store, or raises Invalid with a msgid.


def text(*, maximum: int, required: bool = False) -> Callable[[str], str]:
    def read(raw: str) -> str:
        value = raw.strip()
        if required and not value:
            raise Invalid(N_("Enter a value."))
        if len(value) > maximum:
            raise Invalid(N_("At most %(maximum)d characters."), maximum=maximum)
        return value

    return read


def long_text(*, maximum: int = 2000) -> Callable[[str], str]:
    def read(raw: str) -> str:
        value = raw.replace("\r\n", "\n").strip()
        if len(value) > maximum:
            raise Invalid(N_("At most %(maximum)d characters."), maximum=maximum)
        return value

    return read


def phone(region: str) -> Callable[[str], str]:
    """A valid number, stored as people of the clinic's country write it (international
    for a number abroad): it is shown to patients as stored."""

    def read(raw: str) -> str:
        value = phone_e164(raw.strip(), region=region) if raw.strip() else None
        if value is None:
            raise Invalid(N_("Enter a valid phone number, for example +1 514 555 0123."))
        number = phonenumbers.parse(value)
        local = phonenumbers.region_code_for_number(number) == region.upper()
        style = phonenumbers.PhoneNumberFormat
        return phonenumbers.format_number(number, style.NATIONAL if local else style.INTERNATIONAL)

    return read


def number(*, minimum: int, maximum: int) -> Callable[[str], int]:
    def read(raw: str) -> int:
        value = whole_number(raw.strip(), maximum=maximum)
        if value is None or value < minimum:
            raise Invalid(
                N_("Enter a whole number from %(minimum)d to %(maximum)d."),
                minimum=minimum,
                maximum=maximum,
            )
        return value

    return read


def time_of_day(raw: str) -> time:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", raw.strip())
    if not match:
        raise Invalid(N_("Enter a time as HH:MM, for example 21:00."))
    return time(int(match.group(1)), int(match.group(2)))


def show_time(value: time) -> str:
    return value.strftime("%H:%M")


def time_zone(raw: str) -> str:
    value = raw.strip()
    if value not in _zones():
        raise Invalid(N_("Enter a time zone such as America/Montreal or Europe/Paris."))
    return value


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def choice(values: tuple[str, ...]) -> Callable[[str], str]:
    def read(raw: str) -> str:
        if raw not in values:
            raise Invalid(N_("Choose one of the options."))
        return raw

    return read


def origins(raw: str) -> str:
    """Websites allowed to embed the portal: scheme://host[:port] each, space or line
    separated, stored space-separated (they become the CSP's frame-ancestors)."""
    found = []
    for item in raw.split():
        parts = urlsplit(item)
        host_ok = bool(parts.hostname) and re.fullmatch(r"[a-z0-9.-]+", parts.hostname or "")
        try:
            parts.port  # noqa: B018 - a port that is not a number raises
        except ValueError:
            host_ok = False
        if (
            parts.scheme not in ("https", "http")
            or not host_ok
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
            or parts.username
            or item != item.lower()
        ):
            raise Invalid(
                N_(
                    "Each website is an address like https://www.example.ca, "
                    "without a path: %(item)s is not one."
                ),
                item=item[:100],
            )
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in found:
            found.append(origin)
    if len(found) > 20:
        raise Invalid(N_("At most 20 websites."))
    return " ".join(found)


def https_url(*, required: bool = False, maximum: int = 300) -> Callable[[str], str]:
    def read(raw: str) -> str:
        value = raw.strip()
        if not value and not required:
            return ""
        parts = urlsplit(value)
        if (
            parts.scheme != "https"
            or not parts.hostname
            or len(value) > maximum
            or any(c.isspace() for c in value)
        ):
            raise Invalid(N_("Enter an address starting with https://."))
        return value

    return read


def words(*, pattern: str, maximum: int = 1000) -> Callable[[str], str]:
    """Space- or comma-separated values (domains, tenant ids), each matching `pattern`,
    stored space-separated in lower case."""

    def read(raw: str) -> str:
        items = [w.lower() for w in re.split(r"[\s,]+", raw.strip()) if w]
        for item in items:
            if not re.fullmatch(pattern, item):
                raise Invalid(N_("%(item)s is not a valid value here."), item=item[:100])
        value = " ".join(dict.fromkeys(items))
        if len(value) > maximum:
            raise Invalid(N_("At most %(maximum)d characters."), maximum=maximum)
        return value

    return read


DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
