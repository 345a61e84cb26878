"""What "Request payment" offers a clinic's practitioner: its currency, its maximum and
its predefined amounts (the administration edits them)."""

from __future__ import annotations

from dataclasses import dataclass

from app.payments.tables import PaymentPreset, PaymentSettings

CURRENCIES = ("cad", "eur")
DEFAULT_CURRENCY = "cad"
DEFAULT_MAXIMUM_CENTS = 100000


@dataclass(frozen=True)
class Preset:
    id: int
    label: str
    amount_cents: int


@dataclass(frozen=True)
class PaymentOptions:
    currency: str
    maximum_cents: int
    presets: tuple[Preset, ...]


async def payment_options(*, clinic_id: int) -> PaymentOptions:
    row = await PaymentSettings.select().where(PaymentSettings.clinic == clinic_id).first()
    presets = await (
        PaymentPreset.select()
        .where(PaymentPreset.clinic == clinic_id)
        .order_by(PaymentPreset.position)
        .order_by(PaymentPreset.id)
    )
    return PaymentOptions(
        currency=row["currency"] if row else DEFAULT_CURRENCY,
        maximum_cents=row["maximum_cents"] if row else DEFAULT_MAXIMUM_CENTS,
        presets=tuple(Preset(p["id"], p["label"], p["amount_cents"]) for p in presets),
    )
