"""Amounts as people type and read them: "45", "45.00", "45,00" or "1 000,50" into cents,
and cents back into "45,00 $" / "$45.00" / "45,00 €" in the page's language and the
clinic's country. The one reader for the call's "Amount" and the administration's amounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from babel.numbers import format_currency, format_decimal

from app import i18n
from app.i18n import N_

_AMOUNT = re.compile(r"^([0-9]{1,9})(?:[.,]([0-9]*))?$")  # ASCII digits only


class AmountRefusal(StrEnum):
    MISSING = "missing"
    NOT_A_NUMBER = "not_a_number"
    NOT_POSITIVE = "not_positive"
    TOO_PRECISE = "too_precise"  # more than two decimals
    TOO_HIGH = "too_high"  # above the clinic's maximum


# What each refusal says, next to the field; %(maximum)s is the maximum, formatted.
REFUSALS = {
    AmountRefusal.MISSING: N_("Enter an amount."),
    AmountRefusal.NOT_A_NUMBER: N_("Enter an amount in numbers, such as 45.00."),
    AmountRefusal.NOT_POSITIVE: N_("The amount must be more than zero."),
    AmountRefusal.TOO_PRECISE: N_("An amount has at most two decimals."),
    AmountRefusal.TOO_HIGH: N_("The amount can be at most %(maximum)s."),
}


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


def money(cents: int, currency: str, country: str = "CA") -> str:
    """45,00 $ in Quebec, $45.00 in English, 45,00 € in France."""
    locale = f"{i18n.current()}_{country}"
    return format_currency(cents / 100, currency.upper(), locale=locale)


def amount_text(cents: int) -> str:
    """An amount as a form shows it back: 45,00 in French, 45.00 in English."""
    return format_decimal(cents / 100, format="0.00", locale=i18n.current())
