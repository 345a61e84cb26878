"""The dev outbox reads every kind of message the platform sends: a kind it cannot name
would break the page for every message of the clinic."""

from __future__ import annotations

from app import clock
from app.messaging.outbox_page import LABELS
from app.messaging.tables import KINDS, Message
from tests.integration import demo_lookup
from tests.moments import freeze


async def test_every_kind_of_message_is_named_on_the_dev_outbox(demo):
    freeze()
    clinic = await demo_lookup.clinic_id("demo")
    now = clock.now()
    kinds = (*KINDS, "staff_invitation")
    await Message.insert(
        *[
            Message(
                clinic=clinic,
                kind=kind,
                channel="email",
                due_at=now,
                next_attempt_at=now,
                idempotency_key=f"outbox-kind:{kind}",
                status="sent",
                created_at=now,
            )
            for kind in kinds
        ]
    )
    page = await demo.get("/dev/outbox")
    assert page.status_code == 200
    for kind in kinds:
        assert kind in LABELS
    assert "Fin de la téléconsultation" in page.text
