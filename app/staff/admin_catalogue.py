"""The catalogue in the administration (administrators only): activities, appointment
types (the statuses of SPEC §8) and practitioners, listed on one page, each created and
edited on its own. Every changed field emits SettingChanged `<kind>:<id>:<field>` inside
the write transaction (the audit row commits with it).

An activity's duration is read when a schedule is opened (app.scheduling): slots already
opened keep their times, which the editor says."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import i18n
from app.db import write_transaction
from app.events import EventBus
from app.form_fields import text_fields
from app.scheduling.tables import Activity, AppointmentType, Practitioner, PractitionerSite
from app.staff.accounts import StaffUser
from app.staff.admin_catalogue_forms import (
    ACTIVITY,
    APPOINTMENT_TYPE,
    KIND_LABELS,
    MODALITIES,
    NO_MODALITY,
    PRACTITIONER,
    Catalogue,
    Option,
    as_text,
    parse,
    shown_values,
)
from app.staff.guards import administrators
from app.staff.pages import staff_page
from tenants.events import SettingChanged
from tenants.tables import WorkSite

SECTION = "staff:administration"
TABLES = {
    "activity": Activity,
    "appointment_type": AppointmentType,
    "practitioner": Practitioner,
}


def _name(row: dict, locale: str) -> str:
    return row.get(f"name_{locale}") or row.get("name_fr") or row.get("name", "")


async def loaded_options(catalogue: Catalogue, clinic_id: int) -> dict[str, tuple[Option, ...]]:
    """The clinic's own rows a form may name: nothing of another clinic is ever an option."""
    locale = i18n.current()
    if catalogue is ACTIVITY:
        types = await AppointmentType.select(
            AppointmentType.id, AppointmentType.name_fr, AppointmentType.name_en
        ).where(AppointmentType.clinic == clinic_id)
        return {"appointment_type": tuple(Option(str(t["id"]), _name(t, locale)) for t in types)}
    if catalogue is PRACTITIONER:
        sites = await WorkSite.select(WorkSite.id, WorkSite.name_fr, WorkSite.name_en).where(
            WorkSite.clinic == clinic_id
        )
        return {"sites": tuple(Option(str(s["id"]), _name(s, locale)) for s in sites)}
    return {}


async def load_row(catalogue: Catalogue, clinic_id: int, row_id: int) -> dict[str, Any] | None:
    """The row as the form's values (the modality and the sites gathered)."""
    table = TABLES[catalogue.key]
    row = await table.select().where((table.clinic == clinic_id) & (table.id == row_id)).first()
    if row is None:
        return None
    if catalogue is APPOINTMENT_TYPE:
        row["modality"] = next((m for m in MODALITIES if row[m]), NO_MODALITY)
    if catalogue is ACTIVITY and row["appointment_type"] is not None:
        row["appointment_type"] = str(row["appointment_type"])
    if catalogue is PRACTITIONER:
        links = await PractitionerSite.select(PractitionerSite.site).where(
            (PractitionerSite.clinic == clinic_id) & (PractitionerSite.practitioner == row_id)
        )
        row["sites"] = frozenset(link["site"] for link in links)
    return row


def _columns(catalogue: Catalogue, values: dict[str, Any]) -> dict[str, Any]:
    columns = {k: v for k, v in values.items() if k not in ("modality", "sites")}
    if catalogue is APPOINTMENT_TYPE:
        # On site, telemedicine and telephone are exclusive: one radio sets all three.
        columns.update({m: values["modality"] == m for m in MODALITIES})
    if catalogue is ACTIVITY:
        chosen = values["appointment_type"]
        columns["appointment_type"] = int(chosen) if chosen else None
    return columns


async def save_row(
    catalogue: Catalogue,
    *,
    clinic_id: int,
    row_id: int | None,
    values: dict[str, Any],
    loaded: dict[str, tuple[Option, ...]],
    staff: StaffUser,
    bus: EventBus,
) -> int:
    table = TABLES[catalogue.key]
    columns = _columns(catalogue, values)
    async with write_transaction():
        before = await load_row(catalogue, clinic_id, row_id) if row_id else None
        if row_id is None:
            inserted = await table.insert(table(clinic=clinic_id, **columns)).returning(table.id)
            row_id = inserted[0]["id"]
        else:
            await table.update({getattr(table, k): v for k, v in columns.items()}).where(
                (table.clinic == clinic_id) & (table.id == row_id)
            )
        if catalogue is PRACTITIONER:
            mine = (PractitionerSite.clinic == clinic_id) & (
                PractitionerSite.practitioner == row_id
            )
            await PractitionerSite.delete().where(mine)
            if values["sites"]:
                await PractitionerSite.insert(
                    *(
                        PractitionerSite(clinic=clinic_id, practitioner=row_id, site=site)
                        for site in sorted(values["sites"])
                    )
                )
        old, new = as_text(catalogue, before, loaded), as_text(catalogue, values, loaded)
        for name, after in new.items():
            if old.get(name) != after:
                setting = f"{catalogue.key}:{row_id}:{name}"
                await bus.emit(
                    SettingChanged(clinic_id, staff.actor(), setting, old.get(name), after)
                )
    return row_id


async def _editor(
    request: Request,
    staff: StaffUser,
    catalogue: Catalogue,
    row_id: int | None,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    loaded = await loaded_options(catalogue, staff.clinic_id)
    return staff_page(
        request,
        "staff/admin/catalogue_item.html",
        {
            "catalogue": catalogue,
            # In the context, not the template: an HTMX swap renders only the block.
            "title": i18n.gettext(catalogue.edit_title if row_id else catalogue.new_title),
            "row_id": row_id,
            "options": {f.name: loaded.get(f.name, f.options) for f in catalogue.fields},
            "values": values,
            "errors": errors or {},
            "saved": saved,
            "save_url": request.app.route_reverse(
                f"staff:admin_{catalogue.key}_save", row_id=row_id
            )
            if row_id
            else request.app.route_reverse(f"staff:admin_{catalogue.key}_create"),
        },
        section=SECTION,
        block="catalogue_editor",
        status_code=422 if errors else 200,
    )


async def _save(
    request: Request, staff: StaffUser, bus: EventBus, catalogue: Catalogue, row_id: int | None
) -> Response:
    if row_id is not None and await load_row(catalogue, staff.clinic_id, row_id) is None:
        raise NotFoundException("not in this clinic")
    data = await text_fields(request)
    loaded = await loaded_options(catalogue, staff.clinic_id)
    values, errors = parse(catalogue, data, loaded)
    if values is None:
        return await _editor(request, staff, catalogue, row_id, data, errors=errors)
    row_id = await save_row(
        catalogue,
        clinic_id=staff.clinic_id,
        row_id=row_id,
        values=values,
        loaded=loaded,
        staff=staff,
        bus=bus,
    )
    url = request.app.route_reverse(f"staff:admin_{catalogue.key}", row_id=row_id)
    return Redirect(f"{url}?saved=1", status_code=303)


async def _edit(request: Request, staff: StaffUser, catalogue: Catalogue, row_id: int) -> Response:
    row = await load_row(catalogue, staff.clinic_id, row_id)
    if row is None:
        raise NotFoundException("not in this clinic")
    return await _editor(
        request,
        staff,
        catalogue,
        row_id,
        shown_values(catalogue, row),
        saved=request.query_params.get("saved") == "1",
    )


NEW_DEFAULTS = {
    "activity": {"active": "on", "duration_minutes": "15"},
    "appointment_type": {"active": "on", "modality": "on_site", "video_platform": "none"},
    "practitioner": {"active": "on", "kind": "gp"},
}


def _routes(catalogue: Catalogue, stem: str) -> list:
    """New, create, edit and save for one kind; `row_id` in the path is this clinic's row
    or a 404."""
    key = catalogue.key

    @get(f"/{stem}/new", name=f"staff:admin_{key}_new")
    async def new(request: Request, staff: StaffUser) -> Response:
        return await _editor(request, staff, catalogue, None, dict(NEW_DEFAULTS[key]))

    @post(f"/{stem}/new", name=f"staff:admin_{key}_create")
    async def create(request: Request, staff: StaffUser, bus: EventBus) -> Response:
        return await _save(request, staff, bus, catalogue, None)

    @get(f"/{stem}/{{row_id:int}}", name=f"staff:admin_{key}")
    async def edit(request: Request, staff: StaffUser, row_id: int) -> Response:
        return await _edit(request, staff, catalogue, row_id)

    @post(f"/{stem}/{{row_id:int}}", name=f"staff:admin_{key}_save")
    async def save(request: Request, staff: StaffUser, bus: EventBus, row_id: int) -> Response:
        return await _save(request, staff, bus, catalogue, row_id)

    return [new, create, edit, save]


@get("/", name="staff:admin_catalogue")
async def catalogue_page(request: Request, staff: StaffUser) -> Response:
    locale = i18n.current()
    clinic = staff.clinic_id
    types = await AppointmentType.select().where(AppointmentType.clinic == clinic)
    type_names = {t["id"]: _name(t, locale) for t in types}
    activities = await Activity.select().where(Activity.clinic == clinic)
    people = await Practitioner.select().where(Practitioner.clinic == clinic)
    sites = dict(
        (s["id"], _name(s, locale))
        for s in await WorkSite.select(WorkSite.id, WorkSite.name_fr, WorkSite.name_en).where(
            WorkSite.clinic == clinic
        )
    )
    works_at: dict[int, list[str]] = {}
    for link in await PractitionerSite.select(
        PractitionerSite.practitioner, PractitionerSite.site
    ).where(PractitionerSite.clinic == clinic):
        works_at.setdefault(link["practitioner"], []).append(sites.get(link["site"], ""))
    for t in types:
        t["modality"] = next((m for m in MODALITIES if t[m]), NO_MODALITY)
    return staff_page(
        request,
        "staff/admin/catalogue.html",
        {
            "activities": sorted(
                (
                    {**a, "label": _name(a, locale), "type": type_names.get(a["appointment_type"])}
                    for a in activities
                ),
                key=lambda a: a["label"].casefold(),
            ),
            "types": sorted(
                ({**t, "label": _name(t, locale)} for t in types),
                key=lambda t: t["label"].casefold(),
            ),
            "practitioners": sorted(
                ({**p, "sites": sorted(works_at.get(p["id"], []))} for p in people),
                key=lambda p: p["name"].casefold(),
            ),
            "kind_labels": KIND_LABELS,
        },
        section=SECTION,
    )


admin_catalogue = Router(
    path="/administration/catalogue",
    guards=[administrators],
    route_handlers=[
        catalogue_page,
        *_routes(ACTIVITY, "activities"),
        *_routes(APPOINTMENT_TYPE, "appointment-types"),
        *_routes(PRACTITIONER, "practitioners"),
    ],
)
