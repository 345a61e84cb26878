"""The payments administration's forms, read whole: the clinic's currency and maximum, and
one predefined amount (label, amount). Each reader returns the typed value or every
refusal at once, by field, translated; nothing is saved when any field is refused.

Amounts are typed as people write them: 45, 45.5, 45.50 or 45,50 (French), spaces ignored
(1 000,00), no other thousands separator, no currency sign; stored in cents."""

from __future__ import annotations

from dataclasses import dataclass

from app import i18n
from app.i18n import N_
from app.payments.money import REFUSALS, AmountRefusal, money, parse_amount
from app.payments.options import CURRENCIES
from app.staff.admin_forms import Invalid

# No clinic asks more than this of one patient through a link; it also keeps every amount
# well inside a 32-bit integer of cents.
MAXIMUM_CAP_CENTS = 10_000_000  # 100 000.00
LABEL_MAX = 100
PRESETS_MAX = 20
CURRENCY_CHOICES = (("cad", N_("Canadian dollar (CAD)")), ("eur", N_("Euro (EUR)")))


def read_amount(raw: str, *, maximum_cents: int, maximum_text: str) -> int:
    """Cents from the typed amount (app.payments.money), or Invalid with its message."""
    parsed = parse_amount(raw, maximum_cents=maximum_cents)
    if isinstance(parsed, AmountRefusal):
        raise Invalid(REFUSALS[parsed], maximum=maximum_text)
    return parsed.cents


@dataclass(frozen=True)
class SettingsForm:
    currency: str
    maximum_cents: int


@dataclass(frozen=True)
class PresetForm:
    label: str
    amount_cents: int


def read_settings(
    data: dict[str, str], *, country: str, presets: list[dict]
) -> tuple[SettingsForm | None, dict[str, str]]:
    """The currency and maximum, or the refusals; the maximum may not fall below a
    predefined amount (lower or remove it first)."""
    errors: dict[str, str] = {}
    currency = data.get("currency", "")
    if currency not in CURRENCIES:
        errors["currency"] = i18n.gettext("Choose one of the options.")
    shown_currency = currency if currency in CURRENCIES else "cad"
    maximum = None
    try:
        maximum = read_amount(
            data.get("maximum", ""),
            maximum_cents=MAXIMUM_CAP_CENTS,
            maximum_text=money(MAXIMUM_CAP_CENTS, shown_currency, country),
        )
    except Invalid as refusal:
        errors["maximum"] = refusal.translated()
    if maximum is not None:
        above = [p for p in presets if p["amount_cents"] > maximum]
        if above:
            errors["maximum"] = i18n.gettext(
                "The predefined amount %(label)s is %(amount)s: lower or remove it first.",
                label=above[0]["label"],
                amount=money(above[0]["amount_cents"], shown_currency, country),
            )
    if errors:
        return None, errors
    return SettingsForm(currency=currency, maximum_cents=maximum), {}


def read_preset(
    data: dict[str, str],
    *,
    prefix: str,
    currency: str,
    maximum_cents: int,
    country: str,
    other_labels: set[str],
) -> tuple[PresetForm | None, dict[str, str]]:
    """One predefined amount from the fields `{prefix}label` and `{prefix}amount` (each
    row of the list has its own prefix, so its messages sit next to its own fields)."""
    errors: dict[str, str] = {}
    label = data.get(f"{prefix}label", "").strip()
    if not label:
        errors[f"{prefix}label"] = i18n.gettext("Enter a label.")
    elif len(label) > LABEL_MAX:
        errors[f"{prefix}label"] = i18n.gettext(
            "At most %(maximum)d characters.", maximum=LABEL_MAX
        )
    elif label.casefold() in other_labels:
        errors[f"{prefix}label"] = i18n.gettext("Another predefined amount has this label.")
    amount = None
    try:
        amount = read_amount(
            data.get(f"{prefix}amount", ""),
            maximum_cents=maximum_cents,
            maximum_text=money(maximum_cents, currency, country),
        )
    except Invalid as refusal:
        errors[f"{prefix}amount"] = refusal.translated()
    if errors:
        return None, errors
    return PresetForm(label=label, amount_cents=amount), {}
