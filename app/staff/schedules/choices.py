"""What a staff member may pick on the schedule forms, all of the clinic's own: a
practitioner sees only their own agenda in the practitioner list
(StaffUser.may_change_agenda_of)."""

from __future__ import annotations

from app import i18n
from app.scheduling.tables import Activity, Practitioner
from app.scheduling.templates import TemplateService
from app.staff.accounts import StaffUser
from app.staff.schedules.forms import Choice, Choices
from tenants.tables import WorkSite


def _name(row: dict, locale: str) -> str:
    other = "en" if locale == "fr" else "fr"
    return row.get(f"name_{locale}") or row.get(f"name_{other}") or ""


async def choices_for(staff: StaffUser, templates: TemplateService) -> Choices:
    clinic_id, locale = staff.clinic_id, i18n.current()
    practitioners = await (
        Practitioner.select(Practitioner.id, Practitioner.name)
        .where((Practitioner.clinic == clinic_id) & Practitioner.active.eq(True))
        .order_by(Practitioner.name)
    )
    sites = await WorkSite.select(WorkSite.id, WorkSite.name_fr, WorkSite.name_en).where(
        WorkSite.clinic == clinic_id
    )
    activities = await Activity.select(Activity.id, Activity.name_fr, Activity.name_en).where(
        (Activity.clinic == clinic_id) & Activity.active.eq(True)
    )
    return Choices(
        practitioners=tuple(
            Choice(p["id"], p["name"]) for p in practitioners if staff.may_change_agenda_of(p["id"])
        ),
        sites=tuple(
            sorted((Choice(s["id"], _name(s, locale)) for s in sites), key=lambda c: c.label)
        ),
        activities=tuple(
            sorted((Choice(a["id"], _name(a, locale)) for a in activities), key=lambda c: c.label)
        ),
        templates=tuple(Choice(t["id"], t["name"]) for t in await templates.list()),
    )
