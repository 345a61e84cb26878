"""Payments in the administration (administrators only): the clinic's currency (CAD or EUR)
and the most one request may ask, and the predefined amounts "Request payment" offers
first (added, edited, removed, moved up or down). Each form is read whole: any refusal
and nothing is saved, the page coming back (422) with each message next to its field and
what was typed; a saved change commits with its audit rows (app/payments/admin_changes.py).

A predefined amount's `preset_id` in a path is this clinic's row or a 404."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import i18n
from app.db import write_transaction
from app.events import EventBus
from app.form_fields import text_fields
from app.payments import admin_changes as store
from app.payments.admin_changes import Direction
from app.payments.admin_forms import CURRENCY_CHOICES, PRESETS_MAX, read_preset, read_settings
from app.payments.money import amount_text, money
from app.staff.accounts import StaffUser
from app.staff.guards import administrators
from app.staff.pages import staff_page
from tenants.resolution import ClinicRef

PAGE = "payments/admin.html"
BLOCK = "payments_admin"  # #payments-admin, what the forms' htmx swaps replace
NEW = "new_"  # the add form's field prefix


def row_prefix(preset_id: int) -> str:
    return f"p{preset_id}_"


class PaymentsAdministration(Controller):
    path = "/administration/payments"
    guards = [administrators]

    @get("", name="staff:admin_payments")
    async def page(self, request: Request, staff: StaffUser, clinic: ClinicRef) -> Response:
        return await _page(request, staff, clinic, saved=request.query_params.get("saved"))

    @post("/settings", name="staff:admin_payments_settings")
    async def save_settings(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        data = await text_fields(request)
        async with write_transaction():
            existing = await store.presets(clinic_id=staff.clinic_id)
            form, errors = read_settings(data, country=clinic.country, presets=existing)
            if form is not None:
                await store.save_settings(
                    clinic_id=staff.clinic_id, form=form, actor=staff.actor(), bus=bus
                )
        if errors:
            return await _page(request, staff, clinic, typed=data, errors=errors)
        return _saved(request, "settings")

    @post("/presets", name="staff:admin_payment_preset_add")
    async def add(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        data = await text_fields(request)
        async with write_transaction():
            existing = await store.presets(clinic_id=staff.clinic_id)
            settings = await store.stored_settings(clinic_id=staff.clinic_id)
            form, errors = read_preset(
                data,
                prefix=NEW,
                currency=settings.currency,
                maximum_cents=settings.maximum_cents,
                country=clinic.country,
                other_labels={p["label"].casefold() for p in existing},
            )
            if form is not None and len(existing) >= PRESETS_MAX:
                form, errors = None, {f"{NEW}label": _too_many()}
            if form is not None:
                await store.add_preset(
                    clinic_id=staff.clinic_id, form=form, actor=staff.actor(), bus=bus
                )
        if errors:
            return await _page(request, staff, clinic, typed=data, errors=errors)
        return _saved(request, "presets")

    @post("/presets/{preset_id:int}", name="staff:admin_payment_preset_save")
    async def edit(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus, preset_id: int
    ) -> Response:
        data = await text_fields(request)
        async with write_transaction():
            before = await _preset(staff, preset_id)
            existing = await store.presets(clinic_id=staff.clinic_id)
            settings = await store.stored_settings(clinic_id=staff.clinic_id)
            form, errors = read_preset(
                data,
                prefix=row_prefix(preset_id),
                currency=settings.currency,
                maximum_cents=settings.maximum_cents,
                country=clinic.country,
                other_labels={p["label"].casefold() for p in existing if p["id"] != preset_id},
            )
            if form is not None:
                await store.edit_preset(
                    clinic_id=staff.clinic_id,
                    before=before,
                    form=form,
                    actor=staff.actor(),
                    bus=bus,
                )
        if errors:
            return await _page(request, staff, clinic, typed=data, errors=errors)
        return _saved(request, "presets")

    @post("/presets/{preset_id:int}/remove", name="staff:admin_payment_preset_remove")
    async def remove(
        self, request: Request, staff: StaffUser, bus: EventBus, preset_id: int
    ) -> Response:
        async with write_transaction():
            before = await _preset(staff, preset_id)
            await store.remove_preset(
                clinic_id=staff.clinic_id, before=before, actor=staff.actor(), bus=bus
            )
        return _saved(request, "presets")

    @post("/presets/{preset_id:int}/move", name="staff:admin_payment_preset_move")
    async def move(
        self, request: Request, staff: StaffUser, bus: EventBus, preset_id: int
    ) -> Response:
        data = await text_fields(request)
        async with write_transaction():
            await _preset(staff, preset_id)
            direction = data.get("direction", "")
            if direction in tuple(Direction):  # a button's value: anything else moves nothing
                await store.move_preset(
                    clinic_id=staff.clinic_id,
                    preset_id=preset_id,
                    direction=Direction(direction),
                    actor=staff.actor(),
                    bus=bus,
                )
        return _saved(request, "presets")


def _too_many() -> str:
    return i18n.gettext(
        "At most %(maximum)d predefined amounts: remove one first.", maximum=PRESETS_MAX
    )


async def _preset(staff: StaffUser, preset_id: int) -> dict:
    found = await store.preset(clinic_id=staff.clinic_id, preset_id=preset_id)
    if found is None:
        raise NotFoundException("no such predefined amount in this clinic")
    return found


def _saved(request: Request, section: str) -> Redirect:
    url = request.app.route_reverse("staff:admin_payments")
    return Redirect(f"{url}?saved={section}#{section}", status_code=303)


async def _page(
    request: Request,
    staff: StaffUser,
    clinic: ClinicRef,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    saved: str | None = None,
) -> Response:
    """The page; after a refusal, the refused form shows what was typed, the others what
    is stored."""
    settings = await store.stored_settings(clinic_id=staff.clinic_id)
    rows = await store.presets(clinic_id=staff.clinic_id)
    errors = errors or {}
    values = {
        "currency": settings.currency,
        "maximum": amount_text(settings.maximum_cents),
        f"{NEW}label": "",
        f"{NEW}amount": "",
    }
    for row in rows:
        prefix = row_prefix(row["id"])
        values[f"{prefix}label"] = row["label"]
        values[f"{prefix}amount"] = amount_text(row["amount_cents"])
    if typed:
        values.update({k: v for k, v in typed.items() if k in values})
    presets = [
        {
            "id": row["id"],
            "prefix": row_prefix(row["id"]),
            "label": row["label"],
            "money": money(row["amount_cents"], settings.currency, clinic.country),
            "first": index == 0,
            "last": index == len(rows) - 1,
        }
        for index, row in enumerate(rows)
    ]
    return staff_page(
        request,
        PAGE,
        {
            "values": values,
            "errors": errors,
            "settings_errors": {k: v for k, v in errors.items() if k in ("currency", "maximum")},
            "currency_choices": CURRENCY_CHOICES,
            "maximum_money": money(settings.maximum_cents, settings.currency, clinic.country),
            "presets": presets,
            "presets_max": PRESETS_MAX,
            "new_prefix": NEW,
            "saved": saved if saved in ("settings", "presets") else None,
        },
        section="staff:administration",
        block=BLOCK,
        status_code=422 if errors else 200,
    )
