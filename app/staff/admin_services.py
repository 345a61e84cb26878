"""Online services in the administration (administrators only): listed with who may book
each, created and edited. Nothing is copied onto slots (app.online_services.services), so
a saved change is what the portal's step 2 and slot search read on the next request.

Each changed field emits one SettingChanged `service:<id>:<field>` inside the write
transaction, so the audit row commits with the change or not at all."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import i18n
from app.db import write_transaction
from app.events import EventBus
from app.form_fields import text_fields
from app.online_services.eligibility import Rules
from app.online_services.tables import OnlineService, ServiceActivity, ServicePractitioner
from app.scheduling.tables import Activity, Practitioner
from app.staff.accounts import StaffUser
from app.staff.admin_services_form import (
    FLAGS,
    SEX_WORDS,
    Choice,
    ServiceChoices,
    ServiceForm,
    form_values,
    parse_service,
    read_rules,
    who_can_book,
)
from app.staff.guards import administrators
from app.staff.pages import staff_page
from tenants.events import SettingChanged

SECTION = "staff:administration"


async def service_choices(clinic_id: int) -> ServiceChoices:
    locale = i18n.current()
    activities = await Activity.select(
        Activity.id, Activity.name_fr, Activity.name_en, Activity.active
    ).where(Activity.clinic == clinic_id)
    people = await Practitioner.select(
        Practitioner.id, Practitioner.name, Practitioner.active
    ).where(Practitioner.clinic == clinic_id)
    return ServiceChoices(
        activities=tuple(
            sorted(
                (
                    Choice(a["id"], a[f"name_{locale}"] or a["name_fr"], a["active"])
                    for a in activities
                ),
                key=lambda c: c.label.casefold(),
            )
        ),
        practitioners=tuple(
            sorted(
                (Choice(p["id"], p["name"], p["active"]) for p in people),
                key=lambda c: c.label.casefold(),
            )
        ),
    )


async def load_services(clinic_id: int, service_id: int | None = None) -> dict[int, ServiceForm]:
    """The clinic's services (active or not) as forms, in display order."""
    where = OnlineService.clinic == clinic_id
    if service_id is not None:
        where &= OnlineService.id == service_id
    rows = (
        await OnlineService.select()
        .where(where)
        .order_by(OnlineService.display_order, OnlineService.id)
    )
    ids = [row["id"] for row in rows]
    if not ids:
        return {}
    activities: dict[int, set[int]] = {i: set() for i in ids}
    for link in await ServiceActivity.select(
        ServiceActivity.service, ServiceActivity.activity
    ).where((ServiceActivity.clinic == clinic_id) & ServiceActivity.service.is_in(ids)):
        activities[link["service"]].add(link["activity"])
    people: dict[tuple[int, str], set[int]] = {}
    for link in await ServicePractitioner.select(
        ServicePractitioner.service, ServicePractitioner.practitioner, ServicePractitioner.role
    ).where((ServicePractitioner.clinic == clinic_id) & ServicePractitioner.service.is_in(ids)):
        people.setdefault((link["service"], link["role"]), set()).add(link["practitioner"])

    def role(row, name: str) -> frozenset[int]:
        return frozenset(people.get((row["id"], name), ()))

    return {
        row["id"]: ServiceForm(
            name_fr=row["name_fr"],
            name_en=row["name_en"],
            description_fr=row["description_fr"],
            description_en=row["description_en"],
            active=row["active"],
            activities=frozenset(activities[row["id"]]),
            include=role(row, "include"),
            exclude=role(row, "exclude"),
            rules=Rules(
                **{flag: row[flag] for flag in FLAGS},
                family_doctors=role(row, "family_doctor"),
                min_age=row["min_age"],
                max_age=row["max_age"],
                sexes=frozenset(row["sexes"] or ""),
            ),
        )
        for row in rows
    }


def _as_text(form: ServiceForm | None, choices: ServiceChoices) -> dict[str, str]:
    """Each audited field as an administrator reads it (names, not ids)."""
    if form is None:
        return {}

    def names(found: list[str]) -> str:
        return ", ".join(found)

    shown = {
        "name_fr": form.name_fr,
        "name_en": form.name_en,
        "description_fr": form.description_fr,
        "description_en": form.description_en,
        "active": "true" if form.active else "false",
        "activities": names(choices.activity_names(form.activities)),
        "include": names(choices.practitioner_names(form.include)),
        "exclude": names(choices.practitioner_names(form.exclude)),
        "family_doctors": names(choices.practitioner_names(form.rules.family_doctors)),
        "min_age": "" if form.rules.min_age is None else str(form.rules.min_age),
        "max_age": "" if form.rules.max_age is None else str(form.rules.max_age),
        "sexes": form.sexes,
    }
    shown.update({flag: "true" if getattr(form.rules, flag) else "false" for flag in FLAGS})
    return shown


async def save_service(
    *,
    clinic_id: int,
    service_id: int | None,
    form: ServiceForm,
    choices: ServiceChoices,
    staff: StaffUser,
    bus: EventBus,
) -> int:
    async with write_transaction():
        before = (
            (await load_services(clinic_id, service_id)).get(service_id) if service_id else None
        )
        columns = {
            "name_fr": form.name_fr,
            "name_en": form.name_en,
            "description_fr": form.description_fr,
            "description_en": form.description_en,
            "active": form.active,
            "min_age": form.rules.min_age,
            "max_age": form.rules.max_age,
            "sexes": form.sexes,
            **{flag: getattr(form.rules, flag) for flag in FLAGS},
        }
        if service_id is None:
            count = await OnlineService.count().where(OnlineService.clinic == clinic_id)
            inserted = await OnlineService.insert(
                OnlineService(clinic=clinic_id, display_order=min(count, 32000), **columns)
            ).returning(OnlineService.id)
            service_id = inserted[0]["id"]
        else:
            await OnlineService.update(
                {getattr(OnlineService, name): value for name, value in columns.items()}
            ).where((OnlineService.clinic == clinic_id) & (OnlineService.id == service_id))
        await _replace_links(clinic_id, service_id, form)
        old, new = _as_text(before, choices), _as_text(form, choices)
        for field, after in new.items():
            if old.get(field) != after:
                await bus.emit(
                    SettingChanged(
                        clinic_id,
                        staff.actor(),
                        f"service:{service_id}:{field}",
                        old.get(field),
                        after,
                    )
                )
    return service_id


async def _replace_links(clinic_id: int, service_id: int, form: ServiceForm) -> None:
    mine = (ServiceActivity.clinic == clinic_id) & (ServiceActivity.service == service_id)
    await ServiceActivity.delete().where(mine)
    if form.activities:
        await ServiceActivity.insert(
            *(
                ServiceActivity(clinic=clinic_id, service=service_id, activity=a)
                for a in sorted(form.activities)
            )
        )
    await ServicePractitioner.delete().where(
        (ServicePractitioner.clinic == clinic_id) & (ServicePractitioner.service == service_id)
    )
    links = [
        ServicePractitioner(clinic=clinic_id, service=service_id, practitioner=p, role=role)
        for role, ids in (
            ("include", form.include),
            ("exclude", form.exclude),
            ("family_doctor", form.rules.family_doctors),
        )
        for p in sorted(ids)
    ]
    if links:
        await ServicePractitioner.insert(*links)


class AdminServices(Controller):
    path = "/administration/services"
    guards = [administrators]

    @get("/", name="staff:admin_services")
    async def list_page(self, request: Request, staff: StaffUser) -> Response:
        choices = await service_choices(staff.clinic_id)
        locale = i18n.current()
        services = [
            {
                "id": service_id,
                "name": getattr(form, f"name_{locale}") or form.name_fr,
                "active": form.active,
                "activities": choices.activity_names(form.activities),
                "who": who_can_book(form.rules, choices),
            }
            for service_id, form in (await load_services(staff.clinic_id)).items()
        ]
        return staff_page(
            request,
            "staff/admin/services.html",
            {"services": services},
            section=SECTION,
        )

    @get("/new", name="staff:admin_service_new")
    async def new(self, request: Request, staff: StaffUser) -> Response:
        return await _editor(request, staff, None, {"active": "on"})

    @get("/{service_id:int}", name="staff:admin_service")
    async def edit(self, request: Request, staff: StaffUser, service_id: int) -> Response:
        form = (await load_services(staff.clinic_id, service_id)).get(service_id)
        if form is None:
            raise NotFoundException("no such service here")
        return await _editor(
            request,
            staff,
            service_id,
            form_values(form),
            saved=request.query_params.get("saved") == "1",
        )

    @post("/new", name="staff:admin_service_create")
    async def create(self, request: Request, staff: StaffUser, bus: EventBus) -> Response:
        return await _save(request, staff, bus, None)

    @post("/{service_id:int}", name="staff:admin_service_save")
    async def update(
        self, request: Request, staff: StaffUser, bus: EventBus, service_id: int
    ) -> Response:
        if not await load_services(staff.clinic_id, service_id):
            raise NotFoundException("no such service here")
        return await _save(request, staff, bus, service_id)


async def _save(
    request: Request, staff: StaffUser, bus: EventBus, service_id: int | None
) -> Response:
    data = await text_fields(request)
    choices = await service_choices(staff.clinic_id)
    form, errors = parse_service(data, choices)
    if form is None or data.get("action") == "preview":
        # "Preview" shows who could book with these criteria, nothing saved.
        return await _editor(request, staff, service_id, data, errors=errors, choices=choices)
    service_id = await save_service(
        clinic_id=staff.clinic_id,
        service_id=service_id,
        form=form,
        choices=choices,
        staff=staff,
        bus=bus,
    )
    url = request.app.route_reverse("staff:admin_service", service_id=service_id)
    return Redirect(f"{url}?saved=1", status_code=303)


async def _editor(
    request: Request,
    staff: StaffUser,
    service_id: int | None,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    choices: ServiceChoices | None = None,
) -> Response:
    choices = choices or await service_choices(staff.clinic_id)
    # The preview reads the criteria as typed, even when another field is wrong.
    preview = who_can_book(read_rules(values, choices, {}), choices)
    return staff_page(
        request,
        "staff/admin/service.html",
        {
            "service_id": service_id,
            # In the context, not the template: an HTMX swap renders only the block.
            "title": i18n.gettext("Edit the online service")
            if service_id
            else i18n.gettext("New online service"),
            "values": values,
            "errors": errors or {},
            "saved": saved,
            "choices": choices,
            "sexes_options": [Choice(code, i18n.gettext(word)) for code, word in SEX_WORDS.items()],
            "preview": preview,
        },
        section=SECTION,
        block="service_editor",
        status_code=422 if errors else 200,
    )
