"""What the payments administration writes: the clinic's currency and maximum, and its
predefined amounts (added, edited, removed, moved up or down). Every write takes the
clinic and runs in the caller's write transaction, with one SettingChanged per changed
value for the audit log (the catalogue's naming: `payments:<field>`,
`payment_preset:<id>:<field>`, and `payment_preset:<id>` for an addition or removal)."""

from __future__ import annotations

from enum import StrEnum

from app.events import Actor, EventBus
from app.payments.admin_forms import PresetForm, SettingsForm
from app.payments.options import DEFAULT_CURRENCY, DEFAULT_MAXIMUM_CENTS
from app.payments.tables import PaymentPreset, PaymentSettings
from tenants.events import SettingChanged


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"


def audit_amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


async def stored_settings(*, clinic_id: int) -> SettingsForm:
    row = await PaymentSettings.select().where(PaymentSettings.clinic == clinic_id).first()
    if row is None:
        return SettingsForm(currency=DEFAULT_CURRENCY, maximum_cents=DEFAULT_MAXIMUM_CENTS)
    return SettingsForm(currency=row["currency"], maximum_cents=row["maximum_cents"])


async def presets(*, clinic_id: int) -> list[dict]:
    """The clinic's predefined amounts in their order."""
    return await (
        PaymentPreset.select()
        .where(PaymentPreset.clinic == clinic_id)
        .order_by(PaymentPreset.position)
        .order_by(PaymentPreset.id)
    )


async def preset(*, clinic_id: int, preset_id: int) -> dict | None:
    return (
        await PaymentPreset.select()
        .where((PaymentPreset.clinic == clinic_id) & (PaymentPreset.id == preset_id))
        .first()
    )


async def save_settings(*, clinic_id: int, form: SettingsForm, actor: Actor, bus: EventBus) -> None:
    before = await stored_settings(clinic_id=clinic_id)
    # One row per clinic (unique): a concurrent first save inserts nothing, then updates.
    await PaymentSettings.insert(
        PaymentSettings(clinic=clinic_id, currency=form.currency, maximum_cents=form.maximum_cents)
    ).on_conflict(target=PaymentSettings.clinic, action="DO NOTHING")
    await PaymentSettings.update(
        {
            PaymentSettings.currency: form.currency,
            PaymentSettings.maximum_cents: form.maximum_cents,
        }
    ).where(PaymentSettings.clinic == clinic_id)
    for name, old, new in (
        ("currency", before.currency, form.currency),
        ("maximum", audit_amount(before.maximum_cents), audit_amount(form.maximum_cents)),
    ):
        if old != new:
            await bus.emit(SettingChanged(clinic_id, actor, f"payments:{name}", old, new))


async def add_preset(*, clinic_id: int, form: PresetForm, actor: Actor, bus: EventBus) -> int:
    existing = await presets(clinic_id=clinic_id)
    position = max((p["position"] for p in existing), default=0) + 1
    rows = await PaymentPreset.insert(
        PaymentPreset(
            clinic=clinic_id, label=form.label, amount_cents=form.amount_cents, position=position
        )
    ).returning(PaymentPreset.id)
    preset_id = rows[0]["id"]
    await bus.emit(
        SettingChanged(
            clinic_id,
            actor,
            f"payment_preset:{preset_id}",
            None,
            f"{form.label} {audit_amount(form.amount_cents)}",
        )
    )
    return preset_id


async def edit_preset(
    *, clinic_id: int, before: dict, form: PresetForm, actor: Actor, bus: EventBus
) -> None:
    await PaymentPreset.update(
        {PaymentPreset.label: form.label, PaymentPreset.amount_cents: form.amount_cents}
    ).where((PaymentPreset.clinic == clinic_id) & (PaymentPreset.id == before["id"]))
    for name, old, new in (
        ("label", before["label"], form.label),
        ("amount", audit_amount(before["amount_cents"]), audit_amount(form.amount_cents)),
    ):
        if old != new:
            setting = f"payment_preset:{before['id']}:{name}"
            await bus.emit(SettingChanged(clinic_id, actor, setting, old, new))


async def remove_preset(*, clinic_id: int, before: dict, actor: Actor, bus: EventBus) -> None:
    """Requests already made keep their label and amount (copied on the request)."""
    await PaymentPreset.delete().where(
        (PaymentPreset.clinic == clinic_id) & (PaymentPreset.id == before["id"])
    )
    text = f"{before['label']} {audit_amount(before['amount_cents'])}"
    await bus.emit(SettingChanged(clinic_id, actor, f"payment_preset:{before['id']}", text, None))


async def move_preset(
    *, clinic_id: int, preset_id: int, direction: Direction, actor: Actor, bus: EventBus
) -> None:
    """Swap with its neighbour; positions are renumbered 1..n, each one that changes
    updated and audited. At the top (or bottom) already: nothing changes."""
    ordered = await presets(clinic_id=clinic_id)
    index = next(i for i, p in enumerate(ordered) if p["id"] == preset_id)
    other = index - 1 if direction is Direction.UP else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, row in enumerate(ordered, start=1):
        if row["position"] != position:
            await PaymentPreset.update({PaymentPreset.position: position}).where(
                (PaymentPreset.clinic == clinic_id) & (PaymentPreset.id == row["id"])
            )
            await bus.emit(
                SettingChanged(
                    clinic_id,
                    actor,
                    f"payment_preset:{row['id']}:position",
                    str(row["position"]),
                    str(position),
                )
            )
