"""The demo files and services the portal shows, seeded once whatever the seed mode."""

from datetime import date

from app.online_services.tables import OnlineService, ServiceActivity
from app.patients.tables import ContactDetail, Patient
from app.seed import seed
from tenants.tables import Clinic
from tests.integration.demo_lookup import clinic_id


async def counts() -> tuple[int, ...]:
    return (
        await Patient.count(),
        await ContactDetail.count(),
        await OnlineService.count(),
        await ServiceActivity.count(),
    )


async def test_seeding_again_in_either_mode_adds_nothing(demo_data):
    before = await counts()
    await seed(schedules=True)
    await seed(schedules=False)
    assert await counts() == before == (3, 5, 5, 5)


async def test_the_demo_files_are_as_described(demo_data):
    demo = await clinic_id("demo")
    rows = (
        await Patient.select(
            Patient.first_name,
            Patient.last_name,
            Patient.date_of_birth,
            Patient.sex,
            Patient.health_insurance_number,
            Patient.family_doctor.name.as_alias("doctor"),
        )
        .where(Patient.clinic == demo)
        .order_by(Patient.last_name)
    )
    assert rows == [
        {
            "first_name": "Jean",
            "last_name": "Côté",
            "date_of_birth": date(1972, 11, 3),
            "sex": "M",
            "health_insurance_number": "COTJ72110318",
            "doctor": None,
        },
        {
            "first_name": "Marie",
            "last_name": "Tremblay",
            "date_of_birth": date(1985, 4, 12),
            "sex": "F",
            "health_insurance_number": "TREM85541219",
            "doctor": "Dre Julie Roy",
        },
    ]
    marie_contacts = (
        await ContactDetail.select(ContactDetail.position, ContactDetail.kind, ContactDetail.value)
        .where(ContactDetail.patient.last_name == "Tremblay")
        .order_by(ContactDetail.position)
    )
    assert [tuple(c.values()) for c in marie_contacts] == [
        (1, "cell", "+15145550101"),
        (2, "email", "marie.tremblay@example.org"),
    ]


async def test_each_clinic_checks_its_own_kind_of_health_insurance_number(demo_data):
    formats = {
        row["slug"]: row["hin_format"]
        for row in await Clinic.select(Clinic.slug, Clinic.hin_format)
    }
    assert formats == {"demo": "qc_ramq", "autre": "fr_nir"}
