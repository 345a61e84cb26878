"""The audit log's pages, for administrators: the viewer (`staff:audit`) and its CSV
export with the same filters (`staff:audit_csv`). Both read one clinic only, the one of
the host (the signed-in session is bound to it)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from app.audit import export, filters, viewer
from app.staff.guards import administrators
from app.staff.pages import staff_page
from tenants.resolution import ClinicRef


async def _read(request: Request, clinic: ClinicRef):
    choices = await viewer.actor_choices(clinic.id)
    params = {k: request.query_params.get(k) or "" for k in (*filters.FIELDS, "page")}
    found, errors, values = filters.parse(params, {value for value, _label in choices})
    return choices, found, errors, values


class AuditLog(Controller):
    path = "/audit"
    guards = [administrators]

    @get("/", name="staff:audit")
    async def index(self, request: Request, clinic: ClinicRef) -> Response:
        choices, found, errors, values = await _read(request, clinic)
        entries, older = ([], False)
        if not errors:
            entries, older = await viewer.page(clinic.id, found, clinic.time_zone)
        return _page(request, choices, found, errors, values, entries, older)

    @get("/export.csv", name="staff:audit_csv")
    async def csv(self, request: Request, clinic: ClinicRef) -> Response:
        choices, found, errors, values = await _read(request, clinic)
        if errors:
            return _page(request, choices, found, errors, values, [], False, status_code=422)
        rows = await viewer.rows_matching(
            clinic.id, found, clinic.time_zone, limit=viewer.EXPORT_LIMIT
        )
        views = await viewer.present(clinic.id, rows, clinic.time_zone)
        name = f"audit-{clinic.slug}.csv"
        return Response(
            content="\ufeff" + export.to_csv(views, rows),  # the BOM: Excel reads UTF-8
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )


def _page(request, choices, found, errors, values, entries, older, status_code=None):
    return staff_page(
        request,
        "staff/audit.html",
        {
            "choices": choices,
            "values": values,
            "errors": errors,
            "entries": entries,
            "page_number": found.page,
            "newer_query": filters.query_string(values, page=found.page - 1)
            if found.page > 1
            else None,
            "older_query": filters.query_string(values, page=found.page + 1) if older else None,
            "export_query": filters.query_string(values),
        },
        section="staff:audit",
        block="audit",
        status_code=status_code or (422 if errors else 200),
    )
