"""Amounts as people type and read them: "45", "45.00" or "45,00" into cents, and cents
back into "45,00 $" / "$45.00" in the page's language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from babel.numbers import format_currency

from app import i18n

_AMOUNT = re.compile(r"^([0-9]{1,9})(?:[.,]([0-9]*))?$")  # ASCII digits only
LOCALES = {"fr": "fr_CA", "en": "en_CA"}


class AmountRefusal(StrEnum):
    MISSING = "missing"
    NOT_A_NUMBER = "not_a_number"
    NOT_POSITIVE = "not_positive"
    TOO_PRECISE = "too_precise"  # more than two decimals
    TOO_HIGH = "too_high"  # above the clinic's maximum


@dataclass(frozen=True)
class Amount:
    cents: int


def parse_amount(text: str, *, maximum_cents: int) -> Amount | AmountRefusal:
    typed = text.strip().replace(" ", "").replace("\u00a0", "").removesuffix("$").strip()
    if not typed:
        return AmountRefusal.MISSING
    if typed.startswith("-"):
        return AmountRefusal.NOT_POSITIVE
    match = _AMOUNT.match(typed)
    if match is None:
        return AmountRefusal.NOT_A_NUMBER
    whole, decimals = match.group(1), match.group(2) or ""
    if len(decimals.rstrip("0")) > 2:
        return AmountRefusal.TOO_PRECISE
    cents = int(whole) * 100 + int((decimals[:2] or "0").ljust(2, "0"))
    if cents <= 0:
        return AmountRefusal.NOT_POSITIVE
    if cents > maximum_cents:
        return AmountRefusal.TOO_HIGH
    return Amount(cents)


def money(cents: int, currency: str) -> str:
    locale = LOCALES.get(i18n.current(), "en_CA")
    return format_currency(cents / 100, currency.upper(), locale=locale)
