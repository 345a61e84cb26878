"""Payments in the administration: the currency and maximum, and the predefined amounts
(added, edited, moved, removed), every change audited; each bad input comes back next to
its field with what was typed and nothing saved; administrators only, and another
clinic's predefined amount is a 404.

The demo seed gives the demo clinic CAD, 1 000.00 at most, "Consultation" 45.00 then
"Suivi" 30.00; the other clinic EUR and no predefined amount."""

from __future__ import annotations

import re

import pytest

from app.payments.options import payment_options
from app.payments.tables import PaymentPreset, PaymentSettings
from tests.integration import demo_lookup
from tests.integration.audit_helpers import entries
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import csrf, signed_in
from tests.moments import freeze

BASE = "/staff/administration/payments"

# What an amount refused says (app.payments.money, in French).
IN_NUMBERS = "Inscrivez un montant en chiffres, par exemple 45,00."
ABOVE_ZERO = "Le montant doit être supérieur à zéro."
TWO_DECIMALS = "Un montant a au plus deux décimales."
AT_MOST = "Le montant peut être d’au plus "


@pytest.fixture
async def clinics(demo_data):
    freeze()
    return {
        "demo": await demo_lookup.clinic_id("demo"),
        "autre": await demo_lookup.clinic_id("autre"),
    }


@pytest.fixture
async def admin(demo, clinics):
    return await signed_in(demo, "admin@demo.localhost")


async def post(client, path: str, data: dict, **headers):
    token = csrf((await client.get(BASE)).text)
    return await client.post(path, data={**data, "_csrf_token": token}, headers=headers)


def error_of(response, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', text(response))
    assert found, f"no error next to {field}"
    return found.group(1)


def value_of(response, field: str) -> str:
    found = re.search(
        rf'id="{field}" name="{field}" type="text"[^>]* value="([^"]*)"', response.text
    )
    assert found, f"no input {field}"
    return found.group(1)


async def preset_ids(clinic_id: int) -> dict[str, int]:
    return {p.label: p.id for p in (await payment_options(clinic_id=clinic_id)).presets}


async def stored(clinic_id: int):
    options = await payment_options(clinic_id=clinic_id)
    return (
        options.currency,
        options.maximum_cents,
        [(p.label, p.amount_cents) for p in options.presets],
    )


async def audited(clinic_id: int) -> list[tuple]:
    return [
        (row["entity_id"], row["before"], row["after"])
        for row in await entries(clinic_id, "setting.changed")
        if row["entity_id"].startswith("payment")
    ]


async def test_the_page_shows_the_seeded_settings_in_the_staffs_language(admin, clinics):
    page = await admin.get(BASE)
    assert page.status_code == 200
    assert value_of(page, "maximum") == "1000,00"
    assert 'value="cad" selected' in page.text
    ids = await preset_ids(clinics["demo"])
    assert list(ids) == ["Consultation", "Suivi"]
    assert value_of(page, f"p{ids['Consultation']}_amount") == "45,00"
    assert value_of(page, f"p{ids['Suivi']}_label") == "Suivi"
    english = await admin.get(f"{BASE}?lang=en")
    assert "Predefined amounts" in text(english) and value_of(english, "maximum") == "1000.00"
    index = await admin.get("/staff/administration")
    assert f'href="{BASE}"' in index.text  # listed in the administration


async def test_currency_and_maximum_are_saved_and_audited(admin, clinics):
    saved = await post(admin, f"{BASE}/settings", {"currency": "eur", "maximum": "250,5"})
    assert saved.status_code == 303
    assert await stored(clinics["demo"]) == (
        "eur",
        25050,
        [("Consultation", 4500), ("Suivi", 3000)],
    )
    assert await audited(clinics["demo"]) == [
        ("payments:currency", {"payments:currency": "cad"}, {"payments:currency": "eur"}),
        ("payments:maximum", {"payments:maximum": "1000.00"}, {"payments:maximum": "250.50"}),
    ]
    page = await admin.get(saved.headers["location"])
    assert "Enregistré." in text(page) and value_of(page, "maximum") == "250,50"
    # The other clinic's settings are untouched.
    assert (await stored(clinics["autre"]))[:2] == ("eur", 50000)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"currency": "usd", "maximum": "100"}, "currency", "Choisissez l'une des options."),
        ({"currency": "cad", "maximum": ""}, "maximum", "Entrez un montant."),
        (
            {"currency": "cad", "maximum": "abc"},
            "maximum",
            IN_NUMBERS,
        ),
        ({"currency": "cad", "maximum": "0"}, "maximum", ABOVE_ZERO),
        ({"currency": "cad", "maximum": "-5"}, "maximum", ABOVE_ZERO),
        (
            {"currency": "cad", "maximum": "10.005"},
            "maximum",
            TWO_DECIMALS,
        ),
        (
            {"currency": "cad", "maximum": "1 000 000"},
            "maximum",
            AT_MOST + "100",
        ),
        (
            {"currency": "cad", "maximum": "١٠٠"},
            "maximum",
            IN_NUMBERS,
        ),
        # Below a predefined amount: lower or remove it first.
        ({"currency": "cad", "maximum": "40"}, "maximum", "Consultation"),
    ],
)
async def test_bad_settings_are_refused_next_to_their_field(admin, clinics, data, field, message):
    before = await stored(clinics["demo"])
    refused = await post(admin, f"{BASE}/settings", data)
    assert refused.status_code == 422
    assert message in error_of(refused, field)
    if field == "maximum":
        assert value_of(refused, "maximum") == data["maximum"]  # what was typed
    assert await stored(clinics["demo"]) == before
    assert await audited(clinics["demo"]) == []
    # Both refusals at once, over htmx: the block only.
    both = await post(
        admin, f"{BASE}/settings", {"currency": "x", "maximum": "x"}, **{"HX-Request": "true"}
    )
    assert both.status_code == 422 and "<html" not in both.text
    assert error_of(both, "currency") and error_of(both, "maximum")


async def test_predefined_amounts_are_added_edited_moved_and_removed(admin, clinics):
    demo = clinics["demo"]
    added = await post(admin, f"{BASE}/presets", {"new_label": "Note", "new_amount": "12.5"})
    assert added.status_code == 303
    ids = await preset_ids(demo)
    assert (await stored(demo))[2] == [("Consultation", 4500), ("Suivi", 3000), ("Note", 1250)]
    edited = await post(
        admin,
        f"{BASE}/presets/{ids['Suivi']}",
        {f"p{ids['Suivi']}_label": "Suivi court", f"p{ids['Suivi']}_amount": "35"},
    )
    assert edited.status_code == 303
    moved = await post(admin, f"{BASE}/presets/{ids['Note']}/move", {"direction": "up"})
    assert moved.status_code == 303
    assert (await stored(demo))[2] == [
        ("Consultation", 4500),
        ("Note", 1250),
        ("Suivi court", 3500),
    ]
    # Already at the top: nothing moves.
    await post(admin, f"{BASE}/presets/{ids['Consultation']}/move", {"direction": "up"})
    removed = await post(admin, f"{BASE}/presets/{ids['Consultation']}/remove", {})
    assert removed.status_code == 303
    assert (await stored(demo))[2] == [("Note", 1250), ("Suivi court", 3500)]
    page = await admin.get(removed.headers["location"])
    assert "Consultation" not in text(page).split("Montants prédéfinis")[1]
    c, s, n = ids["Consultation"], ids["Suivi"], ids["Note"]
    assert await audited(demo) == [
        (f"payment_preset:{n}", None, {f"payment_preset:{n}": "Note 12.50"}),
        (
            f"payment_preset:{s}:label",
            *[{f"payment_preset:{s}:label": v} for v in ("Suivi", "Suivi court")],
        ),
        (
            f"payment_preset:{s}:amount",
            *[{f"payment_preset:{s}:amount": v} for v in ("30.00", "35.00")],
        ),
        (
            f"payment_preset:{n}:position",
            *[{f"payment_preset:{n}:position": v} for v in ("3", "2")],
        ),
        (
            f"payment_preset:{s}:position",
            *[{f"payment_preset:{s}:position": v} for v in ("2", "3")],
        ),
        (f"payment_preset:{c}", {f"payment_preset:{c}": "Consultation 45.00"}, None),
    ]


@pytest.mark.parametrize(
    ("label", "amount", "field", "message"),
    [
        ("", "10", "label", "Entrez un libellé."),
        ("x" * 101, "10", "label", "Au plus 100 caractères."),
        ("suivi", "10", "label", "Un autre montant prédéfini a ce libellé."),
        ("Note", "", "amount", "Entrez un montant."),
        ("Note", "dix", "amount", IN_NUMBERS),
        ("Note", "0,00", "amount", ABOVE_ZERO),
        ("Note", "-3", "amount", ABOVE_ZERO),
        ("Note", "4.999", "amount", TWO_DECIMALS),
        (
            "Note",
            "1000.01",
            "amount",
            AT_MOST + "1",
        ),  # the clinic's maximum, 1 000,00 $
        ("Note", "1e3", "amount", IN_NUMBERS),
    ],
)
async def test_a_bad_predefined_amount_is_refused_next_to_its_field(
    admin, clinics, label, amount, field, message
):
    demo = clinics["demo"]
    before = await stored(demo)
    refused = await post(admin, f"{BASE}/presets", {"new_label": label, "new_amount": amount})
    assert refused.status_code == 422
    assert message in error_of(refused, f"new_{field}")
    assert value_of(refused, "new_amount") == amount
    # An existing row's edit: the message next to that row's field, the others as stored.
    ids = await preset_ids(demo)
    row = f"p{ids['Consultation']}_"
    refused = await post(
        admin,
        f"{BASE}/presets/{ids['Consultation']}",
        {f"{row}label": label, f"{row}amount": amount},
    )
    assert refused.status_code == 422
    if label != "suivi":  # "Suivi" is another row's label for the add form only
        assert message in error_of(refused, f"{row}{field}")
    assert value_of(refused, f"p{ids['Suivi']}_amount") == "30,00"
    assert await stored(demo) == before
    assert await audited(demo) == []


async def test_at_most_twenty_predefined_amounts(admin, clinics):
    demo = clinics["demo"]
    await PaymentPreset.insert(
        *(
            PaymentPreset(clinic=demo, label=f"P{i}", amount_cents=100, position=10 + i)
            for i in range(18)
        )
    )
    refused = await post(admin, f"{BASE}/presets", {"new_label": "One more", "new_amount": "5"})
    assert refused.status_code == 422 and "Au plus 20" in error_of(refused, "new_label")
    assert len((await stored(demo))[2]) == 20


async def test_administrators_only_and_another_clinics_rows_are_404(demo, autre, clinics):
    ids = await preset_ids(clinics["demo"])
    before = await stored(clinics["demo"])
    for email in ("secretariat@demo.localhost", "julie.roy@demo.localhost"):
        demo.cookies.clear()
        await signed_in(demo, email)
        assert (await demo.get(BASE)).status_code == 403
        token = demo.cookies["csrftoken"]
        for path, data in (
            (f"{BASE}/settings", {"currency": "eur", "maximum": "5"}),
            (f"{BASE}/presets", {"new_label": "X", "new_amount": "5"}),
            (f"{BASE}/presets/{ids['Suivi']}/remove", {}),
        ):
            denied = await demo.post(path, data=data, headers={"x-csrftoken": token})
            assert denied.status_code == 403
    await signed_in(autre, "admin@autre.localhost")
    own = await autre.get(BASE)
    assert own.status_code == 200 and "Consultation" not in text(own)
    assert 'value="eur" selected' in own.text
    token = csrf(own.text)
    for path, data in (
        (
            f"{BASE}/presets/{ids['Suivi']}",
            {f"p{ids['Suivi']}_label": "X", f"p{ids['Suivi']}_amount": "1"},
        ),
        (f"{BASE}/presets/{ids['Suivi']}/remove", {}),
        (f"{BASE}/presets/{ids['Suivi']}/move", {"direction": "up"}),
    ):
        assert (await autre.post(path, data={**data, "_csrf_token": token})).status_code == 404
    assert await stored(clinics["demo"]) == before
    assert not await PaymentSettings.exists().where(PaymentSettings.maximum_cents == 500)
