"""The call's chat and shared files over HTTP, for the patient (under the details link,
/a/{token}/room/…) and the staff (/staff/calls/{appointment_id}/…).

Reading (the panel, a download) needs the appointment's link as long as the link itself
is valid, so the chat and the files stay on hand after the call (the details page lists
them); posting needs a room pass: for the patient the room's window
(app.video.access.patient_pass), for the staff a role that may join (a secretary reads
only). Every post is a plain form that works without JavaScript (then back to the
panel's page) and, with htmx, answers the panel; the other side hears of it as a
RoomEvent on the room's channel. Bad input is 422 with the message next to its field
and nothing stored; a file over the limit is 413 (422 to htmx, which swaps only that)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from litestar import Controller, Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from app import clock, i18n
from app.booking.links import PREFIX
from app.client_address import client_address
from app.events import PATIENT, Actor, EventBus
from app.htmx import is_fragment_request, page_or_fragment
from app.i18n import N_
from app.portal.details import AppointmentLinkInvalid, linked_appointment
from app.portal.form_tokens import check_form_token, form_token
from app.portal.guards import clinic_pages_only
from app.settings import Settings
from app.staff.accounts import StaffUser
from app.staff.pages import staff_page
from app.video import chat, files
from app.video.access import RoomPass, patient_pass
from app.video.channels import RoomEvent
from app.video.notify import CallNotifier
from app.video.record import CallRecord, call_record
from app.video.staff_routes import may_join, staff_room
from app.video.upload_form import MULTIPART_SLACK, read_upload, typed_fields
from tenants.resolution import ClinicRef

TEMPLATE = "video/chat_panel.html"
_TITLE = re.compile(r"^<title>.*?</title>", re.S)
BODY_LIMIT = files.MAX_BYTES + MULTIPART_SLACK
ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
MESSAGE_ERRORS = {
    chat.ChatRefusal.EMPTY: N_("Write a message."),
    chat.ChatRefusal.TOO_LONG: N_("A message has at most %(max)s characters."),
    chat.ChatRefusal.NUL: N_("This message contains a character that cannot be sent."),
}
FILE_ERRORS = {
    files.FileRefusal.MISSING: N_("Choose a file."),
    files.FileRefusal.TOO_BIG: N_("This file is too large: at most 10 MB."),
    files.FileRefusal.WRONG_TYPE: N_("Only PDF, PNG and JPEG files can be shared."),
}


def _message_error(refusal: chat.ChatRefusal) -> str:
    return i18n.gettext(MESSAGE_ERRORS[refusal], max=chat.MAX_CHARS)


def _closed() -> str:
    return i18n.gettext("The chat of this call is closed: nothing more can be sent.")


@dataclass(frozen=True)
class Panel:
    """Everything the panel shows: the record, and whether and where one may post."""

    record: CallRecord
    may_post: bool
    urls: dict[str, str]  # panel, message, files; file: the download URL without its key
    hidden: dict[str, str]  # the form's guard: a signed form token or the CSRF token
    side: str
    time_zone: str
    layout: str
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def _render(request: Request, panel: Panel, status: int = 200) -> Response:
    context = {"panel": panel, "layout": panel.layout, "accept": ACCEPT}
    render = staff_page if panel.layout == "staff/base.html" else page_or_fragment
    response = render(request, TEMPLATE, context, block="chat_panel", status_code=status)
    if is_fragment_request(request):
        # A part of the call page: its address and its title stay the call's.
        response.headers["HX-Push-Url"] = "false"
        response.content = _TITLE.sub("", response.content, count=1)
    return response


def _notify(channels: ChannelsPlugin, room: RoomPass, kind: str, data: dict) -> None:
    CallNotifier(channels).room(
        room.clinic_id, room.appointment_id, RoomEvent(kind, data, side=room.side.value)
    )


async def _post_message(
    request: Request, panel: Panel, room: RoomPass, text: str, channels: ChannelsPlugin
) -> Response:
    line = await chat.post(room, text)
    if isinstance(line, chat.ChatRefusal):
        errors = {"message": _message_error(line)}
        return _render(request, _with(panel, errors=errors, values={"message": text}), 422)
    _notify(channels, room, "chat", line.to_dict())
    return await _after_post(request, panel, room)


async def _share_file(
    request: Request,
    panel: Panel,
    room: RoomPass,
    upload_name: str,
    content: bytes,
    *,
    actor: Actor,
    bus: EventBus,
    channels: ChannelsPlugin,
) -> Response:
    shared = await files.share(room, name=upload_name, content=content, actor=actor, bus=bus)
    if isinstance(shared, files.FileRefusal):
        status = 413 if shared is files.FileRefusal.TOO_BIG else 422
        return _too_big(request, panel) if status == 413 else _file_refused(request, panel, shared)
    _notify(channels, room, "file", shared.to_dict())
    return await _after_post(request, panel, room)


def _file_refused(request: Request, panel: Panel, refusal: files.FileRefusal) -> Response:
    errors = {"file": i18n.gettext(FILE_ERRORS[refusal])}
    return _render(request, _with(panel, errors=errors), 422)


def _too_big(request: Request, panel: Panel) -> Response:
    errors = {"file": i18n.gettext(FILE_ERRORS[files.FileRefusal.TOO_BIG])}
    # htmx swaps a 413 over the whole page (base.html's responseHandling): a 422 swaps the panel.
    status = 422 if is_fragment_request(request) else 413
    return _render(request, _with(panel, errors=errors), status)


def _with(panel: Panel, **changes) -> Panel:
    return Panel(**{**panel.__dict__, **changes})


async def _after_post(request: Request, panel: Panel, room: RoomPass) -> Response:
    if not is_fragment_request(request):
        return Redirect(panel.urls["panel"], status_code=303)
    record = await call_record(clinic_id=room.clinic_id, appointment_id=room.appointment_id)
    return _render(request, _with(panel, record=record))


def _download(found: tuple[files.SharedFile, bytes] | None) -> Response:
    if found is None:
        raise NotFoundException("no such file here")
    shared, content = found
    return Response(
        content,
        media_type=shared.media_type,
        headers={
            "Content-Disposition": files.content_disposition(shared.name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


# The patient's side --------------------------------------------------------------------


@dataclass(frozen=True)
class PatientSide:
    """The link's appointment (a valid link: reading), and its room pass if any (posting)."""

    token: str
    clinic: ClinicRef
    appointment_id: int
    room: RoomPass | None
    guard: str  # the signed form token of this room's forms

    def urls(self, request: Request) -> dict[str, str]:
        reverse = request.app.route_reverse
        return {
            "panel": reverse("portal:room_chat", token=self.token),
            "message": reverse("portal:room_message", token=self.token),
            "files": reverse("portal:room_files", token=self.token),
            "file": reverse("portal:room_file", token=self.token, key="KEY").removesuffix("KEY"),
        }

    async def panel(self, request: Request) -> Panel:
        return Panel(
            record=await call_record(clinic_id=self.clinic.id, appointment_id=self.appointment_id),
            may_post=self.room is not None,
            urls=self.urls(request),
            hidden={"form_token": self.guard},
            side="patient",
            time_zone=self.clinic.time_zone,
            layout="base.html",
        )


def _scope(appointment_id: int) -> str:
    return f"room:{appointment_id}"


async def patient_side(settings: Settings, clinic: ClinicRef, token: str) -> PatientSide:
    appointment = await linked_appointment(settings, clinic, token)
    if not appointment.in_video_room:
        raise AppointmentLinkInvalid("not a video room")
    room = await patient_pass(
        secret=settings.secret_key, clinic_id=clinic.id, token=token, now=clock.now()
    )
    return PatientSide(
        token=token,
        clinic=clinic,
        appointment_id=appointment.id,
        room=room if isinstance(room, RoomPass) else None,
        guard=form_token(settings.secret_key, _scope(appointment.id)),
    )


def _patient_refusal(side: PatientSide, settings: Settings, fields: dict[str, str]) -> str | None:
    """Why a patient's post is refused before reading it: a stale page, or the room closed."""
    if not check_form_token(
        settings.secret_key, fields.get("form_token", ""), _scope(side.appointment_id)
    ):
        return i18n.gettext("This page expired. Please try again.")
    if side.room is None:
        return _closed()
    return None


class PatientChat(Controller):
    path = PREFIX + "/{token:str}/room"
    dependencies = {"side": Provide(patient_side)}
    # The signed link and a signed form token guard these (as on the details page: the
    # portal may live where the clinic's cookies are not sent).
    opt = {"exclude_from_csrf": True}
    guards = [clinic_pages_only]

    @get("/chat", name="portal:room_chat")
    async def panel(self, request: Request, side: PatientSide) -> Response:
        return _render(request, await side.panel(request))

    @post("/messages", name="portal:room_message")
    async def message(
        self, request: Request, side: PatientSide, settings: Settings, channels: ChannelsPlugin
    ) -> Response:
        fields = await typed_fields(request)
        panel = await side.panel(request)
        refused = _patient_refusal(side, settings, fields)
        if refused:
            values = {"message": fields.get("message", "")}
            return _render(request, _with(panel, errors={"form": refused}, values=values), 409)
        return await _post_message(request, panel, side.room, fields.get("message", ""), channels)

    @post(
        "/files",
        name="portal:room_files",
        request_max_body_size=BODY_LIMIT,
    )
    async def share(
        self,
        request: Request,
        side: PatientSide,
        settings: Settings,
        bus: EventBus,
        channels: ChannelsPlugin,
    ) -> Response:
        panel = await side.panel(request)
        try:
            upload = await read_upload(request, field="file", limit=files.MAX_BYTES)
        except RequestEntityTooLarge:
            return _too_big(request, panel)
        refused = _patient_refusal(side, settings, upload.fields)
        if refused:
            return _render(request, _with(panel, errors={"form": refused}), 409)
        actor = PATIENT.at(client_address(request, settings.trusted_proxies))
        return await _share_file(
            request,
            panel,
            side.room,
            upload.name,
            upload.content,
            actor=actor,
            bus=bus,
            channels=channels,
        )

    @get("/files/{key:str}", name="portal:room_file")
    async def file(self, side: PatientSide, key: str) -> Response:
        return _download(
            await files.download(
                clinic_id=side.clinic.id, appointment_id=side.appointment_id, key=key
            )
        )


# The staff's side ----------------------------------------------------------------------


async def _staff_panel(request: Request, room: RoomPass, clinic: ClinicRef) -> Panel:
    reverse = request.app.route_reverse
    appointment_id = room.appointment_id
    return Panel(
        record=await call_record(clinic_id=room.clinic_id, appointment_id=appointment_id),
        may_post=room.may_join,
        urls={
            "panel": reverse("staff:call_chat", appointment_id=appointment_id),
            "message": reverse("staff:call_message", appointment_id=appointment_id),
            "files": reverse("staff:call_files", appointment_id=appointment_id),
            "file": reverse(
                "staff:call_file", appointment_id=appointment_id, key="KEY"
            ).removesuffix("KEY"),
        },
        hidden={"_csrf_token": _csrf(request)},
        side="staff",
        time_zone=clinic.time_zone,
        layout="staff/base.html",
    )


def _csrf(request: Request) -> str:
    return ScopeState.from_scope(request.scope).csrf_token or ""


class StaffChat(Controller):
    path = "/calls/{appointment_id:int}"

    @get("/chat", name="staff:call_chat")
    async def panel(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, appointment_id: int
    ) -> Response:
        room = await staff_room(staff, appointment_id)
        return _render(request, await _staff_panel(request, room, clinic))

    @post("/messages", name="staff:call_message", guards=[may_join])
    async def message(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        appointment_id: int,
        channels: ChannelsPlugin,
    ) -> Response:
        room = await staff_room(staff, appointment_id)
        fields = await typed_fields(request)
        panel = await _staff_panel(request, room, clinic)
        if not room.may_join:  # a cancelled appointment
            values = {"message": fields.get("message", "")}
            return _render(request, _with(panel, errors={"form": _closed()}, values=values), 409)
        return await _post_message(request, panel, room, fields.get("message", ""), channels)

    @post(
        "/files",
        name="staff:call_files",
        guards=[may_join],
        request_max_body_size=BODY_LIMIT,
    )
    async def share(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        appointment_id: int,
        bus: EventBus,
        channels: ChannelsPlugin,
    ) -> Response:
        room = await staff_room(staff, appointment_id)
        panel = await _staff_panel(request, room, clinic)
        try:
            upload = await read_upload(request, field="file", limit=files.MAX_BYTES)
        except RequestEntityTooLarge:  # with htmx's CSRF header; a plain form's is the 413 page
            return _too_big(request, panel)
        if not room.may_join:
            return _render(request, _with(panel, errors={"form": _closed()}), 409)
        return await _share_file(
            request,
            panel,
            room,
            upload.name,
            upload.content,
            actor=staff.actor(),
            bus=bus,
            channels=channels,
        )

    @get("/files/{key:str}", name="staff:call_file")
    async def file(self, staff: StaffUser, appointment_id: int, key: str) -> Response:
        room = await staff_room(staff, appointment_id)
        return _download(
            await files.download(clinic_id=room.clinic_id, appointment_id=appointment_id, key=key)
        )
