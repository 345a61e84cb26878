"""Telling a room and the clinic's waiting room what changed, after the commit. Like the
agenda's notifier it never fails the change: publish only queues."""

from __future__ import annotations

import json
import logging

from litestar.channels import ChannelsPlugin

from app.video.channels import RoomEvent, room_channel, waiting_channel
from app.video.rooms import RoomStatus

log = logging.getLogger("app.video")


class CallNotifier:
    def __init__(self, channels: ChannelsPlugin) -> None:
        self.channels = channels

    def room(self, clinic_id: int, appointment_id: int, event: RoomEvent) -> None:
        try:
            self.channels.publish(event.to_json(), room_channel(clinic_id, appointment_id))
        except Exception:  # noqa: BLE001 - a courtesy: the page shows the truth on refresh
            log.warning("video: could not publish to a room", exc_info=True)

    def state(self, clinic_id: int, status: RoomStatus) -> None:
        """The room's new state, to both sides and to every staff page of the clinic."""
        self.room(clinic_id, status.appointment_id, RoomEvent("state", status.to_dict()))
        try:
            self.channels.publish(
                json.dumps({"type": "waiting", "data": status.to_dict()}),
                waiting_channel(clinic_id),
            )
        except Exception:  # noqa: BLE001
            log.warning("video: could not publish to the waiting room", exc_info=True)
