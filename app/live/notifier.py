"""The after-commit listener that tells open agendas: one small event on the clinic's
channel per committed change. It never fails nor holds up the change it follows: the
plugin's publish only queues (its backend drops what Redis cannot take, see
app.live.channels), and anything else that goes wrong is logged and dropped: the page
still shows the truth when it is refreshed."""

from __future__ import annotations

import logging

from litestar.channels import ChannelsPlugin

from app.live.channels import agenda_channel
from app.live.touch import touched_by

log = logging.getLogger("app.live")


class AgendaNotifier:
    def __init__(self, channels: ChannelsPlugin) -> None:
        self.channels = channels

    async def on_change(self, event) -> None:
        """For AppointmentChanged and ScheduleChanged, registered after the commit."""
        try:
            touch = await touched_by(event)
            if touch is not None:
                self.channels.publish(touch.as_event(), agenda_channel(event.clinic_id))
        except Exception:  # noqa: BLE001 - the change is committed; its push is a courtesy
            log.warning("live agenda: could not publish a change", exc_info=True)
