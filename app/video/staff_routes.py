"""The staff side of a call: the call window (opened in its own window from the waiting
room, the agenda or the appointment, so the note can be written beside it), "Accept"
and "Hang up" as plain form posts (htmx gets the window's state block back), and the
staff WebSocket.

Who: the staff session of the host's clinic (the middleware), then the room's pass
(app.video.access.staff_pass): another clinic's appointment, or another practitioner's,
is 404; a secretary sees the state, is offered no joining, and her socket relays
nothing of hers. Accept and end are for practitioners and administrators (a guard)."""

from __future__ import annotations

from litestar import Controller, Request, Response, WebSocket, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import i18n
from app.events import EventBus
from app.htmx import is_fragment_request
from app.settings import Settings
from app.staff.accounts import StaffUser
from app.staff.guards import requires
from app.staff.pages import staff_page
from app.staff.tables import StaffRole
from app.video import rooms, signalling
from app.video.access import RoomPass, patient_name, staff_pass
from app.video.notify import CallNotifier
from app.video.rooms import RoomStatus, room_status

# What a secretary may not do in a call: join it, accept, hang up, post in its chat.
may_join = requires(StaffRole.PRACTITIONER, StaffRole.ADMINISTRATOR)


async def staff_room(staff: StaffUser, appointment_id: int) -> RoomPass:
    """The room's pass, or 404: another clinic's, not a video room, another practitioner's."""
    room = await staff_pass(user=staff, appointment_id=appointment_id)
    if room is None:
        raise NotFoundException("no such call")
    return room


async def _window(
    request: Request,
    room: RoomPass,
    status: RoomStatus,
    *,
    error: str = "",
    code: int = 200,
) -> Response:
    patient = await patient_name(room.clinic_id, room.appointment_id, room.patient_id)
    appointment_id = room.appointment_id
    response = staff_page(
        request,
        "video/staff_call.html",
        {
            "room": room,
            "patient": patient,
            "status": status,
            "side": "staff",
            "error": error,
            "socket_path": request.app.route_reverse(
                "staff:call_socket", appointment_id=appointment_id
            ),
            "chat_url": request.app.route_reverse("staff:call", appointment_id=appointment_id)
            + "/chat",
        },
        block="call_state",
        status_code=code,
    )
    # The window refreshes its state block on every change: no history entry for each.
    response.headers.pop("HX-Push-Url", None)
    return response


class CallWindow(Controller):
    path = "/calls/{appointment_id:int}"

    @get("/", name="staff:call")
    async def show(self, request: Request, staff: StaffUser, appointment_id: int) -> Response:
        room = await staff_room(staff, appointment_id)
        status = await room_status(clinic_id=room.clinic_id, appointment_id=appointment_id)
        return await _window(request, room, status)

    @post("/accept", name="staff:call_accept", guards=[may_join])
    async def accept(
        self,
        request: Request,
        staff: StaffUser,
        appointment_id: int,
        bus: EventBus,
        channels: ChannelsPlugin,
    ) -> Response:
        room = await staff_room(staff, appointment_id)
        status = await rooms.accept(room, actor=staff.actor(), bus=bus)
        return await self._after(request, room, status, channels, refused=_not_waiting())

    @post("/end", name="staff:call_end", guards=[may_join])
    async def end(
        self,
        request: Request,
        staff: StaffUser,
        appointment_id: int,
        bus: EventBus,
        channels: ChannelsPlugin,
    ) -> Response:
        room = await staff_room(staff, appointment_id)
        status = await rooms.end(room, actor=staff.actor(), bus=bus)
        return await self._after(request, room, status, channels, refused=_no_call())

    async def _after(
        self,
        request: Request,
        room: RoomPass,
        status: RoomStatus | None,
        channels: ChannelsPlugin,
        *,
        refused: str,
    ) -> Response:
        if status is None:  # nothing changed: say why, with the room as it is
            current = await room_status(
                clinic_id=room.clinic_id, appointment_id=room.appointment_id
            )
            return await _window(request, room, current, error=refused, code=409)
        CallNotifier(channels).state(room.clinic_id, status)
        if is_fragment_request(request):
            return await _window(request, room, status)
        return Redirect(
            request.app.route_reverse("staff:call", appointment_id=room.appointment_id),
            status_code=303,
        )


def _not_waiting() -> str:
    return i18n.gettext("The patient is not in the waiting room.")


def _no_call() -> str:
    return i18n.gettext("There is no call to end.")


@websocket("/staff/calls/{appointment_id:int}/ws", name="staff:call_socket")
async def call_socket(
    socket: WebSocket,
    appointment_id: int,
    settings: Settings,
    bus: EventBus,
    channels: ChannelsPlugin,
) -> None:
    """Outside the signed-in router: its guard would close a socket with 4500; this one
    closes every refusal alike with 4403, before accept."""
    staff: StaffUser | None = socket.scope.get("state", {}).get("staff")
    room = await staff_pass(user=staff, appointment_id=appointment_id) if staff else None
    await signalling.serve(
        socket,
        room,
        channels=channels,
        settings=settings,
        bus=bus,
        actor=staff.actor() if staff else None,
    )
