"""Amounts as typed in "Request payment", and the PAYMENT_* settings."""

from __future__ import annotations

import pytest

from app.payments.money import Amount, AmountRefusal, parse_amount
from app.settings import PaymentProvider, SettingsError, load

MAXIMUM = 100000  # 1 000.00


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("45", Amount(4500)),
        ("45.00", Amount(4500)),
        ("45,5", Amount(4550)),
        (" 1 000,00 ", Amount(100000)),
        ("0.01", Amount(1)),
        ("45.10$", Amount(4510)),
        ("4.550", Amount(455)),  # a trailing zero is not a third decimal
        ("", AmountRefusal.MISSING),
        ("   ", AmountRefusal.MISSING),
        ("abc", AmountRefusal.NOT_A_NUMBER),
        ("1e3", AmountRefusal.NOT_A_NUMBER),
        ("4.5.0", AmountRefusal.NOT_A_NUMBER),
        ("١٢", AmountRefusal.NOT_A_NUMBER),  # digits of another script
        ("0", AmountRefusal.NOT_POSITIVE),
        ("0.00", AmountRefusal.NOT_POSITIVE),
        ("-5", AmountRefusal.NOT_POSITIVE),
        ("4.555", AmountRefusal.TOO_PRECISE),
        ("1000.01", AmountRefusal.TOO_HIGH),
        ("9" * 9, AmountRefusal.TOO_HIGH),
        ("9" * 10, AmountRefusal.NOT_A_NUMBER),
    ],
)
def test_amounts(typed, expected):
    assert parse_amount(typed, maximum_cents=MAXIMUM) == expected


BASE = {"SECRET_KEY": "x" * 32}


def test_no_payment_settings_is_the_dev_page_on_localhost_only():
    assert load(BASE).payment is None and load(BASE).dev_payments
    assert not load({**BASE, "BASE_DOMAIN": "clinics.example"}).dev_payments


def test_payment_settings_go_together():
    keys = {"PAYMENT_SECRET_KEY": "sk_test_x", "PAYMENT_WEBHOOK_SECRET": "whsec_x"}
    assert load({**BASE, **keys}).payment == PaymentProvider(
        "https://api.stripe.com", "sk_test_x", "whsec_x"
    )
    local = load({**BASE, **keys, "PAYMENT_API_BASE": "http://127.0.0.1:9999/"})
    assert local.payment.api_base == "http://127.0.0.1:9999" and not local.dev_payments
    for missing in keys:
        with pytest.raises(SettingsError, match="PAYMENT_"):
            load({**BASE, **{k: v for k, v in keys.items() if k != missing}})
    with pytest.raises(SettingsError, match="PAYMENT_SECRET_KEY"):
        load({**BASE, "PAYMENT_API_BASE": "http://127.0.0.1:9999"})
    with pytest.raises(SettingsError, match="PAYMENT_API_BASE"):
        load({**BASE, **keys, "PAYMENT_API_BASE": "ftp://x"})
