"""Another platform's link (Zoom, Teams…) typed on a teleconsultation by staff (SPEC §9):
checked (app.booking.video_links), saved and audited through the booking engine, sent
to the patient in a change notice and in every later message. A post from the slot
dialog, like the other appointment actions (app.staff.appointments.routes): without
JavaScript a redirect back to the slot's page; bad input is 422 with the message next to
the field and nothing saved; an appointment whose type takes no link, or a cancelled
one, is 409."""

from __future__ import annotations

from litestar import Controller, Request, Response, post
from litestar.exceptions import NotFoundException

from app import i18n
from app.booking import video_links
from app.booking.services import BookingService, OutcomeCode
from app.form_fields import text_fields
from app.i18n import N_
from app.staff.accounts import StaffUser
from app.staff.appointments.guards import may_change_agenda
from app.staff.appointments.routes import Result, _done, _slot_or_404, said, slot_dialog
from app.staff.appointments.views import appointment_facts
from tenants.resolution import ClinicRef

FIELD = "video_link"
REFUSALS = {
    video_links.VideoLinkRefusal.TOO_LONG: N_("A link has at most %(max)s characters."),
    video_links.VideoLinkRefusal.SPACES: N_(
        "A link has no spaces: copy it again from the platform."
    ),
    video_links.VideoLinkRefusal.NOT_HTTPS: N_(
        "Enter a secure link that starts with https://, as the platform gives it."
    ),
    video_links.VideoLinkRefusal.NO_HOST: N_(
        "Enter the whole address, for example https://zoom.us/j/123456789."
    ),
    video_links.VideoLinkRefusal.CREDENTIALS: N_(
        "A link cannot hold a user name or password before its address."
    ),
}


class VideoLink(Controller):
    path = "/appointments/{appointment_id:int}"
    guards = [may_change_agenda]

    @post("/video-link", name="staff:appointment_video_link")
    async def save(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        booking: BookingService,
        appointment_id: int,
    ) -> Response:
        appointment = await appointment_facts(clinic_id=clinic.id, appointment_id=appointment_id)
        if appointment is None:
            raise NotFoundException("no such appointment here")
        slot = await _slot_or_404(clinic, appointment.slot_id)
        data = await text_fields(request)
        typed = data.get(FIELD, "")

        def dialog(**extra) -> Response:
            return slot_dialog(request, staff, clinic, slot, open_form=FIELD, **extra)

        if not appointment.takes_video_link or not appointment.active:
            text = (
                i18n.gettext("This appointment's type is not held on another platform.")
                if appointment.active
                else i18n.gettext("Nothing was changed: this appointment was cancelled meanwhile.")
            )
            return await dialog(result=Result(text, False), status=409)
        link = video_links.check(typed)
        if isinstance(link, video_links.VideoLinkRefusal):
            message = i18n.gettext(REFUSALS[link], max=video_links.MAX_LENGTH)
            return await dialog(values={FIELD: typed}, errors={FIELD: message}, status=422)
        outcome = await booking.set_video_link(
            appointment_id=appointment.id, link=link, actor=staff.actor()
        )
        if outcome.code is not OutcomeCode.VIDEO_LINK_SET:
            text = i18n.gettext("Nothing was changed: this appointment was cancelled meanwhile.")
            return await dialog(result=Result(text, False), status=409)
        code = "video_link_saved" if link else "video_link_removed"
        return _done(request, slot.id, code) or await dialog(
            result=Result(said(code), True), changed=True
        )


route_handlers = [VideoLink]
