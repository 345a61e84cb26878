"""The mail server refuses for a minute (down for half of it, then answering 451 to every
email), then accepts: every email goes once, none is lost, the SMS do not wait for
them. The minute passes on app.clock: the test moves it five seconds at a time and the
dispatcher runs at each step, as a worker does every second."""

from __future__ import annotations

from datetime import timedelta

from app import clock
from tests import figures
from tests.integration.messaging_helpers import outbox
from tests.integration.test_messaging_workers import book_many, every_message_once

APPOINTMENTS = 40  # 40 emails; Marie's 20 SMS besides
STEP = timedelta(seconds=5)


async def deliver_for(comms, span: timedelta) -> None:
    end = clock.now() + span
    while clock.now() < end:
        await comms.deliver()
        clock.advance(STEP)


async def test_a_mail_server_refusing_for_a_minute_loses_and_doubles_nothing(comms):
    appointments = await book_many(comms, APPOINTMENTS)
    started = clock.now()
    await comms.smtp.stop()  # down: connections refused
    await deliver_for(comms, timedelta(seconds=30))
    assert comms.smtp.received == []
    assert len(comms.sms.sent) == APPOINTMENTS // 2  # the SMS went meanwhile
    await comms.smtp.start()  # up again on its address, but refusing every email
    comms.smtp.refuse_data = "451 4.3.0 Mail server temporarily rejected message"
    await deliver_for(comms, timedelta(seconds=30))
    assert comms.smtp.received == []
    waiting = await outbox(kind="confirmation", channel="email", status="pending")
    assert len(waiting) == APPOINTMENTS and all(row["last_error"] for row in waiting)

    comms.smtp.refuse_data = None  # a minute on, it accepts
    assert clock.now() - started >= timedelta(minutes=1)
    await deliver_for(comms, timedelta(minutes=3))  # the backoff's next attempts
    figures.record(
        "smtp_refusing",
        {
            "emails": APPOINTMENTS,
            "received": len(comms.smtp.received),
            "distinct_received": len({m["Message-ID"] for m in comms.smtp.received}),
            "refused": len(comms.smtp.refused_ids),
        },
    )
    await every_message_once(comms, appointments)
    emails = await outbox(kind="confirmation", channel="email")
    assert min(row["attempts"] for row in emails) >= 2  # each was refused, then sent
    # What was refused is what was sent later: the same emails, by their Message-ID.
    assert set(comms.smtp.refused_ids) <= {m["Message-ID"] for m in comms.smtp.received}
    assert comms.smtp.refused_ids  # the 451s were met
