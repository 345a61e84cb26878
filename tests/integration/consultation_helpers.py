"""A call in our video room driven through its services, as the two windows would: the
patient arrives, the practitioner accepts, files are shared, a payment is asked, and the
call ends. For the end-of-consultation message and the details page that keeps it."""

from __future__ import annotations

from datetime import datetime

from app import clock
from app.events import PATIENT, Actor
from app.listeners import make_bus
from app.payments.tables import PaymentRequest
from app.settings import load
from app.video import files, rooms
from app.video.access import RoomPass, patient_pass
from app.video.tables import Side
from tests.integration.chat_helpers import link_of

JULIE = Actor.staff(1, "Dre Julie Roy")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def passes(clinic_id: int, appointment_id: int) -> tuple[RoomPass, RoomPass]:
    """The patient's pass (through the details link) and the practitioner's."""
    token = await link_of(appointment_id)
    patient = await patient_pass(
        secret=load().secret_key, clinic_id=clinic_id, token=token, now=clock.now()
    )
    assert isinstance(patient, RoomPass), patient
    staff = RoomPass(
        clinic_id=clinic_id,
        appointment_id=appointment_id,
        patient_id=patient.patient_id,
        practitioner_id=patient.practitioner_id,
        side=Side.STAFF,
        name="Dre Julie Roy",
        may_join=True,
        account_id=1,
        starts_at=patient.starts_at,
        ends_at=patient.ends_at,
    )
    return patient, staff


async def in_call(clinic_id: int, appointment_id: int) -> tuple[RoomPass, RoomPass]:
    patient, staff = await passes(clinic_id, appointment_id)
    bus = make_bus()
    await rooms.patient_arrived(patient, actor=PATIENT, bus=bus)
    assert await rooms.accept(staff, actor=JULIE, bus=bus) is not None
    return patient, staff


async def share(room: RoomPass, name: str = "ordonnance.pdf") -> files.SharedFile:
    shared = await files.share(room, name=name, content=PDF, actor=JULIE, bus=make_bus())
    assert isinstance(shared, files.SharedFile), shared
    return shared


async def hang_up(staff: RoomPass):
    return await rooms.end(staff, actor=JULIE, bus=make_bus())


async def ask_payment(
    clinic_id: int,
    appointment_id: int,
    cents: int = 4500,
    *,
    currency: str = "cad",
    status: str = "requested",
    at: datetime | None = None,
) -> int:
    """A payment request as H1's "Request payment" leaves it (the row only)."""
    row = PaymentRequest(
        clinic=clinic_id,
        appointment=appointment_id,
        amount_cents=cents,
        currency=currency,
        status=status,
        idempotency_key=f"test:{appointment_id}:{cents}:{status}",
        checkout_url="https://checkout.example.test/c/pay_1",
        created_at=at or clock.now(),
    )
    await row.save()
    return row.id
