"""A slot's link in the agenda, as HTML. Written here rather than as a Jinja macro: a
week holds hundreds of slots, and a macro call with its nested calls cost the page most
of its time, where this costs a few microseconds a slot. The labels are translated once
per page; every value from the database goes through escape().

The link: `<a class="slot …" href="/staff/slots/{id}">` (the shared contract), which
static/js/agenda.js opens with htmx in <dialog id="slot-dialog"> (one listener for the
page rather than hx-* attributes on every slot); its time, the SPEC §3 icons (inline
SVG, each with its accessible name and a tooltip), its activity (a colour and its name),
and its appointment (patient, type, status) or its state (free, held until …, closed)."""

from __future__ import annotations

from markupsafe import Markup, escape

from app import i18n
from app.booking.tables import AppointmentStatus
from app.staff.agenda.views import (
    ICON_LABELS,
    STATE_LABELS,
    STATUS_LABELS,
    Icon,
    SlotCell,
    SlotState,
)

_CLOUD = '<path d="M6.5 19a4.5 4.5 0 0 1-.4-9A6 6 0 0 1 17.6 8.6 5 5 0 0 1 17.5 19z" fill="{fill}" stroke="currentColor" stroke-width="1.6"/>'  # noqa: E501 - one path
_SHAPES = {
    Icon.PUBLISHED: _CLOUD.format(fill="currentColor"),
    Icon.SCHEDULED: _CLOUD.format(fill="currentColor")
    + '<circle cx="17" cy="16" r="5.2" fill="#fff" stroke="currentColor" stroke-width="1.6"/>'
    '<path d="M17 13.2V16l1.9 1.3" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/>',  # noqa: E501
    Icon.BOOKED_ONLINE: _CLOUD.format(fill="currentColor")
    + '<path d="M8.5 13.5l2.6 2.6 4.6-5" fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>',  # noqa: E501
    Icon.TELECONSULTATION: '<rect x="2" y="6" width="13" height="12" rx="2" fill="currentColor"/>'
    '<path d="M16 10.5l6-3.5v10l-6-3.5z" fill="currentColor"/>',
    Icon.NOT_OFFERED: _CLOUD.format(fill="none")
    + '<path d="M3 3l18 18" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>',
}

# The camera of a call link (its words are the link's name): the sprite's drawing.
CAMERA = (
    '<svg class="icon icon-teleconsultation" aria-hidden="true" focusable="false">'
    '<use href="#icon-teleconsultation"/></svg>'
)


def sprite() -> Markup:
    """The icons' shapes, once per page; each icon refers to its own (a week shows hundreds)."""
    symbols = "".join(
        f'<symbol id="icon-{kind.value}" viewBox="0 0 24 24">{shape}</symbol>'
        for kind, shape in _SHAPES.items()
    )
    return Markup(
        '<svg class="icon-sprite" width="0" height="0" aria-hidden="true" focusable="false">'
        f"<defs>{symbols}</defs></svg>"
    )


def icon(kind: Icon, label: str, *, decorative: bool = False) -> Markup:
    """The icon as inline SVG: role img, named by its label, which is also its tooltip
    (<title>); decorative (beside its words, as in the legend): hidden from screen readers."""
    head = f'<svg class="icon icon-{kind.value}"'  # sized by the stylesheet
    use = f'<use href="#icon-{kind.value}"/>'
    if decorative:
        return Markup(f'{head} aria-hidden="true">{use}</svg>')
    name = escape(label)
    return Markup(f'{head} role="img" aria-label="{name}"><title>{name}</title>{use}</svg>')


class SlotLinks:
    """Renders the slots of one page, in the request's language."""

    def __init__(self, formats, *, show_site: bool, site_names: dict[int, str]) -> None:
        self.formats = formats
        self.locale = formats.locale
        self.show_site = show_site
        self.site_names = site_names
        gettext = i18n.gettext
        self.icons = {kind: icon(kind, gettext(label)) for kind, label in ICON_LABELS.items()}
        self.states = {
            state: Markup(
                f'<span class="badge state-{state.value}">{escape(gettext(label))}</span>'
            )
            for state, label in STATE_LABELS.items()
        }
        self.statuses = {
            status: Markup(
                f'<span class="badge status-{status.value}">{escape(gettext(label))}</span>'
            )
            for status, label in STATUS_LABELS.items()
        }
        self.provisional = Markup(
            f'<span class="provisional">{escape(gettext("Provisional"))}</span> '
        )
        self.gettext = gettext

    def icon_markup(self, slot: SlotCell) -> str:
        if not slot.icons:
            return ""
        parts = ['<span class="slot-icons">']
        for kind in slot.icons:
            if kind is Icon.SCHEDULED and slot.publish_at is not None:
                label = self.gettext(
                    "Scheduled for publication: %(when)s",
                    when=self.formats.moment(slot.publish_at),
                )
                parts.append(icon(kind, label))
            else:
                parts.append(self.icons[kind])
        parts.append("</span>")
        return "".join(parts)

    def badge(self, slot: SlotCell) -> str:
        appointment = slot.appointment
        if appointment is not None and appointment.active:
            return self.statuses[appointment.status]
        if slot.state is SlotState.HELD and slot.held_until is not None:
            text = self.gettext(
                "Held online until %(time)s", time=self.formats.time(slot.held_until)
            )
            return f'<span class="badge state-held">{escape(text)}</span>'
        return self.states[slot.state]

    def patient(self, appointment) -> str:
        name = escape(appointment.patient_name or "—")
        return f"{self.provisional}{name}" if appointment.provisional else str(name)

    def __call__(self, slot: SlotCell, detail: str = "full") -> Markup:
        """detail: "full" (a day), "compact" (a week's column) or "chip" (a site's week)."""
        formats = self.formats
        appointment = slot.appointment
        live = appointment is not None and appointment.active
        classes = f"slot {detail} state-{slot.state.value} act-{slot.colour}"
        if live:
            classes += f" status-{appointment.status.value}"
        url = f"/staff/slots/{slot.id}"  # static/js/agenda.js opens it in #slot-dialog
        end = "" if detail == "chip" else f'<span class="slot-end">–{formats.time(slot.end)}</span>'
        activity = escape(slot.activity_name_fr if self.locale == "fr" else slot.activity_name_en)
        if not activity:
            activity = escape(slot.activity_name_en or slot.activity_name_fr)
        if self.show_site:
            activity = f"{activity} · {escape(self.site_names.get(slot.site_id, ''))}"
        parts = [
            f'<a class="{classes}" id="slot-{slot.id}" href="{url}">'
            f'<span class="slot-head"><span class="slot-time">{formats.time(slot.start)}{end}</span>'  # noqa: E501
            f"{self.icon_markup(slot)}</span>"
            # A chip sits in its activity's run, which names the activity once.
            + ("" if detail == "chip" else f'<span class="slot-activity">{activity}</span>')
        ]
        if live:
            parts.append(f'<span class="slot-patient">{self.patient(appointment)}</span>')
            kind = appointment.type_name_fr if self.locale == "fr" else appointment.type_name_en
            kind = kind or appointment.type_name_en or appointment.type_name_fr
            if detail == "full" and kind:
                parts.append(f'<span class="slot-type">{escape(kind)}</span>')
        parts.append(self.badge(slot))
        if appointment is not None and appointment.status is AppointmentStatus.CANCELLED:
            text = self.gettext("Cancelled: %(name)s", name=appointment.patient_name or "—")
            parts.append(f'<span class="slot-cancelled">{escape(text)}</span>')
        parts.append("</a>")
        if live and (appointment.in_video_room or appointment.video_link):
            # The call opens in its own window, beside the note; a link holds no link.
            parts.insert(0, '<div class="slot-with-call">')
            parts.append(self.call_link(appointment))
            parts.append("</div>")
        return Markup("".join(parts))

    def call_link(self, appointment) -> str:
        label = escape(
            self.gettext(
                "Open the call with %(name)s (new window)", name=appointment.patient_name or "—"
            )
        )
        # Another platform's call opens at its own address, told nothing of ours.
        href, rel = (
            (escape(appointment.video_link), "noopener noreferrer")
            if appointment.video_link
            else (f"/staff/calls/{appointment.id}", "noopener")
        )
        return (
            f'<a class="call-link" href="{href}" target="_blank" '
            f'rel="{rel}" aria-label="{label}" title="{label}">{CAMERA}</a>'
        )

    def rows(self, grid, detail: str) -> Markup:
        """The grid's body: a row per time boundary, the time in a row header, each slot in
        the cell it starts in, spanning the rows it covers (see grid.py)."""
        time_of = self.formats.time
        out = []
        for row in grid.rows:
            out.append('<tr class="gap">' if row.gap else "<tr>")
            out.append(f'<th scope="row" class="time-col">{time_of(row.start)}</th>')
            for entry in row.entries:
                if entry is None:
                    out.append("<td></td>")
                    continue
                span = f' rowspan="{entry.span}"' if entry.span > 1 else ""
                out.append(f'<td{span} class="has-slot">')
                out.extend(self(slot, detail) for slot in entry.slots)
                out.append("</td>")
            out.append("</tr>")
        return Markup("".join(out))
