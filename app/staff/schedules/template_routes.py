"""Schedule templates: listed, created, edited (block rows added and removed by submit
buttons, so it works without JavaScript) and deleted; the front desk's (administrators
and secretaries). The engine (app.scheduling.templates) emits ScheduleChanged."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app.events import EventBus
from app.form_fields import text_fields
from app.numbers import whole_number
from app.scheduling.services import ScheduleError, ScheduleRefusal
from app.scheduling.templates import TemplateBlock, TemplateService
from app.staff.accounts import StaffUser
from app.staff.guards import front_desk
from app.staff.pages import staff_page
from app.staff.schedules.choices import choices_for
from app.staff.schedules.forms import MAX_BLOCKS, block_indexes, parse_template
from app.staff.schedules.routes import SECTION, weekday_names
from tenants.resolution import ClinicRef


class ScheduleTemplates(Controller):
    """Schedule templates: the front desk's (administrators and secretaries)."""

    path = "/schedules/templates"
    guards = [front_desk]

    @get("/", name="staff:schedule_templates")
    async def list_page(self, request: Request, clinic: ClinicRef, bus: EventBus) -> Response:
        templates = await TemplateService(clinic_id=clinic.id, bus=bus).list()
        return staff_page(
            request,
            "staff/schedules/templates.html",
            {"templates": templates, "deleted": request.query_params.get("deleted") == "1"},
            section=SECTION,
        )

    async def editor(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        *,
        template_id: int | None,
        values: dict[str, str],
        rows: list[int],
        errors: dict[str, str] | None = None,
        saved: bool = False,
    ) -> Response:
        context = {
            "template_id": template_id,
            "values": values,
            "rows": rows,
            "errors": errors or {},
            "saved": saved,
            "max_rows": MAX_BLOCKS,
            "choices": await choices_for(staff, TemplateService(clinic_id=clinic.id, bus=bus)),
            "weekdays": weekday_names(),
        }
        return staff_page(
            request,
            "staff/schedules/template.html",
            context,
            section=SECTION,
            block="template_editor",
            status_code=422 if errors else 200,
        )

    @get("/new", name="staff:schedule_template_new")
    async def new(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        return await self.editor(request, staff, clinic, bus, template_id=None, values={}, rows=[0])

    @get("/{template_id:int}", name="staff:schedule_template")
    async def edit(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        template_id: int,
    ) -> Response:
        template = await TemplateService(clinic_id=clinic.id, bus=bus).get(template_id)
        if template is None:
            raise NotFoundException("no such template here")
        values = {"name": template.name}
        for index, block in enumerate(template.blocks):
            values.update(
                {
                    f"block-{index}-weekday": str(block.weekday),
                    f"block-{index}-start": f"{block.start:%H:%M}",
                    f"block-{index}-end": f"{block.end:%H:%M}",
                    f"block-{index}-activity": str(block.activity_id),
                }
            )
        rows = list(range(len(template.blocks)))
        return await self.editor(
            request,
            staff,
            clinic,
            bus,
            template_id=template_id,
            values=values,
            rows=rows or [0],
            saved=request.query_params.get("saved") == "1",
        )

    @post("/new", name="staff:schedule_template_create")
    async def create(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        return await self.save(request, staff, clinic, bus, None)

    @post("/{template_id:int}", name="staff:schedule_template_save")
    async def update(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        template_id: int,
    ) -> Response:
        if await TemplateService(clinic_id=clinic.id, bus=bus).get(template_id) is None:
            raise NotFoundException("no such template here")
        return await self.save(request, staff, clinic, bus, template_id)

    async def save(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        template_id: int | None,
    ) -> Response:
        data = await text_fields(request)
        rows = block_indexes(data)
        action = data.get("action", "save")
        # "Add a block" and "Remove" are submit buttons: the form comes back with one row
        # more or less, nothing saved (so they work without JavaScript).
        if action == "add":
            if len(rows) < MAX_BLOCKS:
                rows.append(next(i for i in range(MAX_BLOCKS) if i not in rows))
            return await self.editor(
                request, staff, clinic, bus, template_id=template_id, values=data, rows=rows
            )
        if action.startswith("remove-"):
            index = whole_number(action.removeprefix("remove-"), maximum=MAX_BLOCKS)
            rows = [row for row in rows if row != index]
            return await self.editor(
                request, staff, clinic, bus, template_id=template_id, values=data, rows=rows
            )
        service = TemplateService(clinic_id=clinic.id, bus=bus)
        form, errors = parse_template(data, await choices_for(staff, service))
        if form is not None:
            try:
                template_id = await service.save(
                    template_id=template_id,
                    name=form.name,
                    blocks=[
                        TemplateBlock(b.weekday, b.start, b.end, b.activity_id) for b in form.blocks
                    ],
                    actor=staff.actor(),
                )
            except ScheduleError as error:
                row = form.rows[error.block] if error.block is not None else rows[0]
                field = {
                    ScheduleRefusal.NO_ACTIVITY: "activity",
                    ScheduleRefusal.END_BEFORE_START: "end",
                }.get(error.code, "start")
                errors = {f"block-{row}-{field}": error.text()}
            else:
                url = request.app.route_reverse("staff:schedule_template", template_id=template_id)
                return Redirect(f"{url}?saved=1", status_code=303)
        return await self.editor(
            request,
            staff,
            clinic,
            bus,
            template_id=template_id,
            values=data,
            rows=rows or [0],
            errors=errors,
        )

    @post("/{template_id:int}/delete", name="staff:schedule_template_delete")
    async def delete(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        template_id: int,
    ) -> Response:
        try:
            await TemplateService(clinic_id=clinic.id, bus=bus).delete(
                template_id=template_id, actor=staff.actor()
            )
        except ScheduleError:
            raise NotFoundException("no such template here") from None
        url = request.app.route_reverse("staff:schedule_templates")
        return Redirect(f"{url}?deleted=1", status_code=303)
