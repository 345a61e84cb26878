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
from app.online_services.tables import OnlineService
from app.patients.tables import Patient
from app.raw_sql import placeholders, select_sql
from tenants.cache import TimedCache
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
    *, clinic_id: int, service_id: int, patient_id: int | None, today: date | None = None
) -> Criteria | None:
    """The availability search for this service and person; None when the service is not
    active or not theirs. Excluded practitioners are in the criteria, so never offered.
    `today` is the clinic's, when the caller has read it already."""
    service = next((s for s in await _services(clinic_id) if s.offer.id == service_id), None)
    if service is None:
        return None
    patient = await _patient(clinic_id, patient_id)
    if not is_eligible(service.rules, patient, today or await _today(clinic_id)):
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
    return OnlineOffer(services=await _services(clinic_id))


async def offered_activity_ids(*, clinic_id: int) -> set[int]:
    """Activities some active service puts online (its practitioner lists aside:
    use online_offer(...).offers(...) to judge one slot)."""
    return (await online_offer(clinic_id=clinic_id)).activity_ids


# Every slots page and hold reads the services: written once as SQL (app.raw_sql), and
# kept a second at most by each process (tenants.cache).
_SERVICES_SQL = select_sql(
    "online_service",
    [
        "id", "name_fr", "name_en", "description_fr", "description_en", "requires_file",
        "requires_file_number", "requires_family_doctor", "min_age", "max_age", "sexes",
        "with_own_family_doctor",
    ],
    'WHERE "clinic" = {} AND "active" = {} ORDER BY "display_order", "id"',
)  # fmt: skip
# The services' links in one statement: their active activities, then their practitioners
# by role (include, exclude, family_doctor).
_LINKS_SQL = (
    'SELECT l."service", l."activity" AS "linked", \'activity\' AS "role"'
    ' FROM "service_activity" l JOIN "activity" a ON a."id" = l."activity"'
    ' WHERE l."clinic" = {} AND a."active" = {} AND l."service" IN (%s)'
    ' UNION ALL SELECT p."service", p."practitioner", p."role" FROM "service_practitioner" p'
    ' WHERE p."clinic" = {} AND p."service" IN (%s)'
)
_cached: TimedCache[int, tuple[_Service, ...]] = TimedCache()


async def _services(clinic_id: int) -> tuple[_Service, ...]:
    """The clinic's active services, in display order."""
    return await _cached.get(clinic_id, lambda: _read_services(clinic_id))


async def _read_services(clinic_id: int) -> tuple[_Service, ...]:
    rows = await OnlineService.raw(_SERVICES_SQL, clinic_id, True)
    if not rows:
        return ()
    ids = [row["id"] for row in rows]
    listed = placeholders(len(ids))
    links: dict[tuple[int, str], set[int]] = {}
    for link in await OnlineService.raw(
        _LINKS_SQL % (listed, listed), clinic_id, True, *ids, clinic_id, *ids
    ):
        links.setdefault((link["service"], link["role"]), set()).add(link["linked"])
    return tuple(
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
                family_doctors=frozenset(links.get((row["id"], "family_doctor"), ())),
                min_age=row["min_age"],
                max_age=row["max_age"],
                sexes=frozenset(row["sexes"] or ""),
                with_own_family_doctor=row["with_own_family_doctor"],
            ),
            activity_ids=tuple(sorted(links.get((row["id"], "activity"), ()))),
            include=frozenset(links.get((row["id"], "include"), ())),
            exclude=frozenset(links.get((row["id"], "exclude"), ())),
        )
        for row in rows
    )


_PATIENT_SQL = (
    'SELECT p."date_of_birth", p."sex", p."file_number", p."family_doctor" AS "doctor",'
    ' d."clinic" AS "doctor_clinic", d."active" AS "doctor_active" FROM "patient" p'
    ' LEFT JOIN "practitioner" d ON d."id" = p."family_doctor"'
    ' WHERE p."id" = {} AND p."clinic" = {} AND p."status" = {}'
)


async def _patient(clinic_id: int, patient_id: int | None) -> PatientFacts | None:
    """The file's facts; None for no file, or one of another clinic or closed."""
    if patient_id is None:
        return None
    rows = await Patient.raw(_PATIENT_SQL, patient_id, clinic_id, "active")
    row = rows[0] if rows else None
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
    rows = await Clinic.raw('SELECT "time_zone" FROM "clinic" WHERE "id" = {}', clinic_id)
    zone = ZoneInfo(rows[0]["time_zone"]) if rows else None
    return clock.now().astimezone(zone).date()
