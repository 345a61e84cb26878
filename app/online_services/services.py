"""The online services a person may book (SPEC §4) and what they put online (SPEC §3).

A slot is online when an active service links its activity and does not leave out its
practitioner; creating a service therefore publishes already-opened slots at once, as
nothing is copied onto the slots. Eligibility is judged by app.online_services.eligibility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from app import clock
from app.booking.search import Criteria
from app.online_services.eligibility import PatientFacts, Rules, is_eligible, practitioners
from app.online_services.tables import OnlineService, ServiceActivity, ServicePractitioner
from app.patients.tables import Patient
from tenants.tables import Clinic


@dataclass(frozen=True)
class ServiceOffer:
    id: int
    name_fr: str
    name_en: str
    description_fr: str
    description_en: str


@dataclass(frozen=True)
class _Service:
    offer: ServiceOffer
    rules: Rules
    activity_ids: tuple[int, ...]
    include: frozenset[int]
    exclude: frozenset[int]


@dataclass(frozen=True)
class OnlineOffer:
    """What a clinic's active services put online, for the agenda's publication icons."""

    services: tuple[_Service, ...]

    @property
    def activity_ids(self) -> set[int]:
        return {activity for service in self.services for activity in service.activity_ids}

    def offers(self, *, activity_id: int, practitioner_id: int) -> bool:
        return any(
            activity_id in service.activity_ids
            and (not service.include or practitioner_id in service.include)
            and practitioner_id not in service.exclude
            for service in self.services
        )


async def eligible_services(*, clinic_id: int, patient_id: int | None) -> list[ServiceOffer]:
    """Every active service the person may book, whether or not it has availability now,
    in display order. None (unidentified): only the services open to all."""
    patient = await _patient(clinic_id, patient_id)
    today = await _today(clinic_id)
    return [s.offer for s in await _services(clinic_id) if is_eligible(s.rules, patient, today)]


async def search_criteria(
    *, clinic_id: int, service_id: int, patient_id: int | None
) -> Criteria | None:
    """The availability search for this service and person; None when the service is not
    active or not theirs. Excluded practitioners are in the criteria, so never offered."""
    found = await _services(clinic_id, service_id=service_id)
    if not found:
        return None
    service = found[0]
    patient = await _patient(clinic_id, patient_id)
    if not is_eligible(service.rules, patient, await _today(clinic_id)):
        return None
    chosen = practitioners(service.rules, service.include, service.exclude, patient)
    if chosen is None:
        # Eligible, but the service's own list leaves out their doctor: nothing to book.
        return Criteria(activity_ids=())
    include, exclude = chosen
    return Criteria(
        activity_ids=service.activity_ids,
        include_practitioners=include,
        exclude_practitioners=exclude,
    )


async def online_offer(*, clinic_id: int) -> OnlineOffer:
    return OnlineOffer(services=tuple(await _services(clinic_id)))


async def offered_activity_ids(*, clinic_id: int) -> set[int]:
    """Activities some active service puts online (its practitioner lists aside:
    use online_offer(...).offers(...) to judge one slot)."""
    return (await online_offer(clinic_id=clinic_id)).activity_ids


async def _services(clinic_id: int, *, service_id: int | None = None) -> list[_Service]:
    where = (OnlineService.clinic == clinic_id) & OnlineService.active.eq(True)
    if service_id is not None:
        where &= OnlineService.id == service_id
    rows = (
        await OnlineService.select()
        .where(where)
        .order_by(OnlineService.display_order, OnlineService.id)
    )
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    activities: dict[int, list[int]] = {service: [] for service in ids}
    for link in await ServiceActivity.select(
        ServiceActivity.service, ServiceActivity.activity
    ).where(
        (ServiceActivity.clinic == clinic_id)
        & ServiceActivity.service.is_in(ids)
        & ServiceActivity.activity.active.eq(True)
    ):
        activities[link["service"]].append(link["activity"])
    people: dict[tuple[int, str], set[int]] = {}
    for link in await ServicePractitioner.select(
        ServicePractitioner.service, ServicePractitioner.practitioner, ServicePractitioner.role
    ).where((ServicePractitioner.clinic == clinic_id) & ServicePractitioner.service.is_in(ids)):
        people.setdefault((link["service"], link["role"]), set()).add(link["practitioner"])
    return [
        _Service(
            offer=ServiceOffer(
                id=row["id"],
                name_fr=row["name_fr"],
                name_en=row["name_en"],
                description_fr=row["description_fr"],
                description_en=row["description_en"],
            ),
            rules=Rules(
                requires_file=row["requires_file"],
                requires_file_number=row["requires_file_number"],
                requires_family_doctor=row["requires_family_doctor"],
                family_doctors=frozenset(people.get((row["id"], "family_doctor"), ())),
                min_age=row["min_age"],
                max_age=row["max_age"],
                sexes=frozenset(row["sexes"] or ""),
                with_own_family_doctor=row["with_own_family_doctor"],
            ),
            activity_ids=tuple(sorted(activities[row["id"]])),
            include=frozenset(people.get((row["id"], "include"), ())),
            exclude=frozenset(people.get((row["id"], "exclude"), ())),
        )
        for row in rows
    ]


async def _patient(clinic_id: int, patient_id: int | None) -> PatientFacts | None:
    """The file's facts; None for no file, or one of another clinic or closed."""
    if patient_id is None:
        return None
    row = (
        await Patient.select(
            Patient.date_of_birth,
            Patient.sex,
            Patient.file_number,
            Patient.family_doctor.as_alias("doctor"),
            Patient.family_doctor.clinic.as_alias("doctor_clinic"),
            Patient.family_doctor.active.as_alias("doctor_active"),
        )
        .where(
            (Patient.id == patient_id)
            & (Patient.clinic == clinic_id)
            & (Patient.status == "active")
        )
        .first()
    )
    if row is None:
        return None
    doctor_here = (
        row["doctor"] is not None and row["doctor_clinic"] == clinic_id and row["doctor_active"]
    )
    return PatientFacts(
        date_of_birth=row["date_of_birth"],
        sex=row["sex"],
        file_number=row["file_number"],
        family_doctor_id=row["doctor"] if doctor_here else None,
    )


async def _today(clinic_id: int) -> date:
    clinic = await Clinic.select(Clinic.time_zone).where(Clinic.id == clinic_id).first()
    zone = ZoneInfo(clinic["time_zone"]) if clinic else None
    return clock.now().astimezone(zone).date()
