"""An earlier-slot offer made by hand, for the tests that walk every route (the fuzzer,
tenant isolation): its link's and its stop link's real tokens."""

from __future__ import annotations

from datetime import timedelta

from app.booking.tables import BookingSession
from app.scheduling.tables import Slot
from app.settings import load
from app.waitlist import links
from app.waitlist.tables import Offer, WaitRequest
from tests.integration.portal_helpers import MARIE
from tests.moments import NOW


async def earlier_offer(session_token: str) -> tuple[str, str]:
    """Marie's session waits for an earlier appointment and is offered a free slot:
    (the offer's link token, the stop link's token)."""
    session = await BookingSession.select().where(BookingSession.token == session_token).first()
    slot = await Slot.select(Slot.id).where(Slot.state == "open").order_by(Slot.starts_at).first()
    wait = WaitRequest(
        clinic=session["clinic"],
        site=session["site"],
        service=session["service"],
        patient=session["patient"],
        channel="email",
        address=MARIE["email"],
        contact_email=MARIE["email"],
        until=NOW.date() + timedelta(days=30),
        nonce=links.new_nonce(),
        created_at=NOW,
    )
    await wait.save()
    offer = Offer(
        clinic=session["clinic"],
        request=wait.id,
        slot=slot["id"],
        nonce=links.new_nonce(),
        sent_at=NOW,
    )
    await offer.save()
    secret = load().secret_key
    return (
        links.make_token(secret, "offer", offer.id, offer.nonce),
        links.make_token(secret, "stop", wait.id, wait.nonce),
    )
