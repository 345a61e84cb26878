"""Which services a person sees, and which slots a service offers them (SPEC §3, §4)."""

from datetime import date, datetime, time, timezone

from app import clock
from app.booking.search import Criteria, search
from app.listeners import make_bus
from app.online_services.services import (
    ServiceOffer,
    eligible_services,
    offered_activity_ids,
    online_offer,
    search_criteria,
)
from app.online_services.tables import OnlineService, ServiceActivity, ServicePractitioner
from app.patients.tables import Patient
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Practitioner
from tenants.resolution import forget_cache
from tests.integration.demo_lookup import (
    activity_id,
    clinic_id,
    patient_id,
    practitioner_id,
    service_id,
    site_id,
)
from tests.integration.engine_fixtures import RECEPTION
from tests.moments import NOW

TUESDAY = date(2026, 11, 24)
DEMO_SERVICES = [
    "Urgent consultation",
    "Follow-up with my family doctor",
    "Vaccination",
    "Teleconsultation",
]


async def names(clinic: int, patient: int | None) -> list[str]:
    return [
        offer.name_en for offer in await eligible_services(clinic_id=clinic, patient_id=patient)
    ]


async def open_slots(
    clinic: int, practitioner: str, site: str, activity: str, start: int = 9, end: int = 10
) -> None:
    await SchedulingService(clinic_id=clinic, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await practitioner_id(clinic, practitioner),
        site_id=await site_id(clinic, site),
        activity_id=await activity_id(clinic, activity),
        day=TUESDAY,
        start=time(start),
        end=time(end),
    )


async def offered_practitioners(clinic: int, criteria: Criteria | None) -> set[str]:
    assert criteria is not None
    return {
        slot.practitioner_name
        for slot in await search(clinic_id=clinic, criteria=criteria, limit=50)
    }


async def new_service(
    clinic: int, activities: list[str], practitioners: dict[str, str] | None = None, **values
) -> int:
    service = OnlineService(clinic=clinic, name_fr="Essai", name_en="Trial", **values)
    await service.save()
    for activity in activities:
        await ServiceActivity(
            clinic=clinic, service=service.id, activity=await activity_id(clinic, activity)
        ).save()
    for name, role in (practitioners or {}).items():
        await ServicePractitioner(
            clinic=clinic,
            service=service.id,
            practitioner=await practitioner_id(clinic, name),
            role=role,
        ).save()
    forget_cache()  # made outside the app: in force at once here (tenants.cache)
    return service.id


# -- who sees what -------------------------------------------------------------------


async def test_an_unidentified_person_sees_only_the_services_open_to_all(demo_id):
    assert await names(demo_id, None) == ["Urgent consultation"]


async def test_a_patient_sees_every_service_they_qualify_for_even_without_availability(demo_id):
    # No slot is open anywhere: the services are listed all the same.
    assert await names(demo_id, await patient_id(demo_id, "Tremblay")) == DEMO_SERVICES
    assert await names(demo_id, await patient_id(demo_id, "Côté")) == [
        "Urgent consultation",
        "Vaccination",
        "Teleconsultation",
    ]


async def test_offers_carry_both_languages(demo_id):
    first = (await eligible_services(clinic_id=demo_id, patient_id=None))[0]
    assert first == ServiceOffer(
        id=await service_id(demo_id, "Urgent consultation"),
        name_fr="Consultation urgente",
        name_en="Urgent consultation",
        description_fr="Un problème de santé qui ne peut pas attendre : fièvre, infection, douleur, blessure légère.",  # noqa: E501 - the text as read
        description_en="A health problem that cannot wait: fever, infection, pain, minor injury.",
    )


async def test_a_clinic_with_criteria_everywhere_turns_strangers_away(demo_id):
    autre_id = await clinic_id("autre")
    assert await names(autre_id, None) == []
    assert await names(autre_id, await patient_id(autre_id, "Dubois")) == ["Consultation"]


async def test_another_clinics_patient_counts_as_unidentified(demo_id):
    autre_id = await clinic_id("autre")
    assert await names(demo_id, await patient_id(autre_id, "Dubois")) == ["Urgent consultation"]
    assert await names(autre_id, await patient_id(demo_id, "Tremblay")) == []


async def test_a_closed_file_counts_as_unidentified(demo_id):
    marie = await patient_id(demo_id, "Tremblay")
    await Patient.update({Patient.status: "inactive"}).where(Patient.id == marie)
    assert await names(demo_id, marie) == ["Urgent consultation"]


async def test_inactive_services_are_hidden_and_order_is_the_clinics(demo_id):
    await OnlineService.update({OnlineService.active: False}).where(
        OnlineService.name_en == "Vaccination"
    )
    forget_cache()  # a change made outside the app (tenants.cache)
    await OnlineService.update({OnlineService.display_order: 9}).where(
        OnlineService.name_en == "Urgent consultation"
    )
    forget_cache()  # a change made outside the app (tenants.cache)
    assert await names(demo_id, await patient_id(demo_id, "Tremblay")) == [
        "Follow-up with my family doctor",
        "Teleconsultation",
        "Urgent consultation",
    ]


async def test_a_family_doctor_who_left_no_longer_counts(demo_id):
    await Practitioner.update({Practitioner.active: False}).where(
        Practitioner.name == "Dre Julie Roy"
    )
    assert "Follow-up with my family doctor" not in await names(
        demo_id, await patient_id(demo_id, "Tremblay")
    )


async def test_each_criterion_read_from_the_file(demo_id):
    marie, jean = await patient_id(demo_id, "Tremblay"), await patient_id(demo_id, "Côté")
    await Patient.update({Patient.file_number: "D-1002"}).where(Patient.id == jean)
    await OnlineService.delete().where(OnlineService.clinic == demo_id)
    forget_cache()  # a change made outside the app (tenants.cache)
    cases = [
        ({"requires_file": True}, {}, {marie, jean}),
        ({"requires_file_number": True}, {}, {jean}),
        ({"requires_family_doctor": True}, {}, {marie}),
        ({}, {"Dre Julie Roy": "family_doctor"}, {marie}),
        ({}, {"Dr Marc Gagnon": "family_doctor"}, set()),
        ({"min_age": 50}, {}, {jean}),
        ({"min_age": 40, "max_age": 45}, {}, {marie}),
        ({"sexes": "F"}, {}, {marie}),
        ({"sexes": "MX"}, {}, {jean}),
        ({"requires_file_number": True, "sexes": "M", "max_age": 50}, {}, set()),
    ]
    for values, people, expected in cases:
        service = await new_service(demo_id, ["Vaccination"], people, **values)
        seen = {p for p in (marie, jean) if await names(demo_id, p) == ["Trial"]}
        assert seen == expected, values | people
        assert await names(demo_id, None) == []
        await OnlineService.delete().where(OnlineService.id == service)
        forget_cache()  # a change made outside the app (tenants.cache)


async def test_age_is_counted_on_the_clinics_date(demo_id):
    await OnlineService.delete().where(OnlineService.clinic == demo_id)
    forget_cache()  # a change made outside the app (tenants.cache)
    await new_service(demo_id, ["Vaccination"], min_age=18)
    teen = Patient(
        clinic=demo_id,
        first_name="Léa",
        last_name="Roy",
        date_of_birth=date(2008, 11, 24),
        sex="F",
        created_at=NOW,
    )
    await teen.save()
    clock.freeze(
        datetime(2026, 11, 24, 4, 30, tzinfo=timezone.utc)
    )  # 23:30 on the 23rd in Montreal
    assert await names(demo_id, teen.id) == []
    clock.freeze(datetime(2026, 11, 24, 5, 30, tzinfo=timezone.utc))  # 00:30 on her birthday
    assert await names(demo_id, teen.id) == ["Trial"]


# -- what a service offers -------------------------------------------------------------


async def test_criteria_carry_the_services_activities(demo_id):
    urgent = await service_id(demo_id, "Urgent consultation")
    assert await search_criteria(clinic_id=demo_id, service_id=urgent, patient_id=None) == Criteria(
        activity_ids=(await activity_id(demo_id, "Consultation urgente"),)
    )


async def test_no_criteria_for_a_service_that_is_not_theirs(demo_id):
    follow_up = await service_id(demo_id, "Follow-up with my family doctor")
    assert await search_criteria(clinic_id=demo_id, service_id=follow_up, patient_id=None) is None
    assert (
        await search_criteria(
            clinic_id=demo_id, service_id=follow_up, patient_id=await patient_id(demo_id, "Côté")
        )
        is None
    )
    assert await search_criteria(
        clinic_id=demo_id, service_id=follow_up, patient_id=await patient_id(demo_id, "Tremblay")
    )


async def test_no_criteria_for_an_inactive_or_another_clinics_service(demo_id):
    urgent = await service_id(demo_id, "Urgent consultation")
    autre_id = await clinic_id("autre")
    assert await search_criteria(clinic_id=autre_id, service_id=urgent, patient_id=None) is None
    consultation = await service_id(autre_id, "Consultation")
    camille = await patient_id(autre_id, "Dubois")
    assert (
        await search_criteria(clinic_id=demo_id, service_id=consultation, patient_id=camille)
        is None
    )
    await OnlineService.update({OnlineService.active: False}).where(OnlineService.id == urgent)
    forget_cache()  # a change made outside the app (tenants.cache)
    assert await search_criteria(clinic_id=demo_id, service_id=urgent, patient_id=None) is None


async def test_an_excluded_practitioners_slots_are_never_offered(demo_id):
    await open_slots(demo_id, "Luc Bergeron, inf.", "centre-ville", "Vaccination")
    await open_slots(demo_id, "Sophie Lavoie, IPS", "laval", "Vaccination")
    vaccination = await service_id(demo_id, "Vaccination")
    jean = await patient_id(demo_id, "Côté")
    criteria = await search_criteria(clinic_id=demo_id, service_id=vaccination, patient_id=jean)
    assert await offered_practitioners(demo_id, criteria) == {
        "Luc Bergeron, inf.",
        "Sophie Lavoie, IPS",
    }
    bergeron = await practitioner_id(demo_id, "Luc Bergeron, inf.")
    await ServicePractitioner(
        clinic=demo_id, service=vaccination, practitioner=bergeron, role="exclude"
    ).save()
    forget_cache()
    criteria = await search_criteria(clinic_id=demo_id, service_id=vaccination, patient_id=jean)
    assert criteria.exclude_practitioners == (bergeron,)
    assert await offered_practitioners(demo_id, criteria) == {"Sophie Lavoie, IPS"}
    offer = await online_offer(clinic_id=demo_id)
    vaccine = await activity_id(demo_id, "Vaccination")
    assert not offer.offers(activity_id=vaccine, practitioner_id=bergeron)
    assert offer.offers(
        activity_id=vaccine, practitioner_id=await practitioner_id(demo_id, "Sophie Lavoie, IPS")
    )


async def test_an_included_list_offers_only_those_practitioners(demo_id):
    await open_slots(demo_id, "Dre Julie Roy", "centre-ville", "Consultation urgente")
    await open_slots(demo_id, "Dr Marc Gagnon", "laval", "Consultation urgente")
    urgent = await service_id(demo_id, "Urgent consultation")
    await ServicePractitioner(
        clinic=demo_id,
        service=urgent,
        practitioner=await practitioner_id(demo_id, "Dr Marc Gagnon"),
        role="include",
    ).save()
    criteria = await search_criteria(clinic_id=demo_id, service_id=urgent, patient_id=None)
    assert await offered_practitioners(demo_id, criteria) == {"Dr Marc Gagnon"}


async def test_follow_up_with_my_family_doctor_offers_only_my_doctor(demo_id):
    await open_slots(demo_id, "Dre Julie Roy", "centre-ville", "Suivi")
    await open_slots(demo_id, "Dr Marc Gagnon", "laval", "Suivi")
    follow_up = await service_id(demo_id, "Follow-up with my family doctor")
    criteria = await search_criteria(
        clinic_id=demo_id, service_id=follow_up, patient_id=await patient_id(demo_id, "Tremblay")
    )
    assert await offered_practitioners(demo_id, criteria) == {"Dre Julie Roy"}


async def test_a_new_service_puts_already_opened_slots_online_at_once(demo_id):
    await open_slots(demo_id, "Dr Marc Gagnon", "laval", "Suivi")
    suivi = await activity_id(demo_id, "Suivi")
    await OnlineService.update({OnlineService.active: False}).where(OnlineService.clinic == demo_id)
    forget_cache()  # a change made outside the app (tenants.cache)
    assert await offered_activity_ids(clinic_id=demo_id) == set()
    assert await eligible_services(clinic_id=demo_id, patient_id=None) == []

    created = await new_service(demo_id, ["Suivi"])
    assert await offered_activity_ids(clinic_id=demo_id) == {suivi}
    assert await names(demo_id, None) == ["Trial"]
    criteria = await search_criteria(clinic_id=demo_id, service_id=created, patient_id=None)
    assert await offered_practitioners(demo_id, criteria) == {"Dr Marc Gagnon"}


async def test_the_demo_puts_its_four_activities_online(demo_id):
    assert await offered_activity_ids(clinic_id=demo_id) == {
        await activity_id(demo_id, name)
        for name in ("Consultation urgente", "Suivi", "Vaccination", "Téléconsultation")
    }
