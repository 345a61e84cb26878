"""Demo data, seeded idempotently: running it twice changes nothing the second time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from app import clock
from app.events import Actor
from app.listeners import make_bus
from app.online_services.tables import OnlineService, ServiceActivity
from app.patients import normalise
from app.patients.tables import ContactDetail, Patient
from app.scheduling.services import SchedulingService
from app.scheduling.tables import (
    Activity,
    AppointmentType,
    Practitioner,
    PractitionerSite,
    ScheduleOpening,
    ScheduleTemplate,
    ScheduleTemplateBlock,
    Slot,
)
from app.settings import load_oidc
from app.staff.passwords import hash_password
from app.staff.tables import StaffAccount, StaffRole
from tenants.tables import Clinic, WorkSite

SEED = Actor.system("demo seed")

CLINICS = [
    {
        "slug": "demo",
        "name": "Clinique Démo",
        "time_zone": "America/Montreal",
        "default_language": "fr",
        "country": "CA",
        "phone": "514 555 0100",
        "hin_format": "qc_ramq",
        "sites": [
            {
                "slug": "centre-ville",
                "name_fr": "Centre-ville",
                "name_en": "Downtown",
                "address": "1000 rue Sainte-Catherine Ouest, Montréal (Québec) H3B 1A1",
                "phone": "514 555 0100",
                "contact_details": "Réception / Front desk: 514 555 0100 · accueil@demo.example.org",
                "patient_message_fr": "Présentez-vous 10 minutes avant votre rendez-vous avec votre carte d'assurance maladie.",
                "patient_message_en": "Please arrive 10 minutes early with your health insurance card.",
                "patient_can_check_in": True,
            },
            {
                "slug": "laval",
                "name_fr": "Laval",
                "name_en": "Laval",
                "address": "3000 boulevard Le Carrefour, Laval (Québec) H7T 2K9",
                "phone": "450 555 0200",
                "contact_details": "Réception / Front desk: 450 555 0200",
                "patient_message_fr": "Stationnement gratuit à l'arrière de l'immeuble.",
                "patient_message_en": "Free parking behind the building.",
            },
        ],
    },
    {
        "slug": "autre",
        "name": "Clinique Autre",
        "time_zone": "Europe/Paris",
        "default_language": "fr",
        "country": "FR",
        "phone": "01 45 55 01 00",
        "hin_format": "fr_nir",
        "sites": [
            {
                "slug": "principal",
                "name_fr": "Cabinet principal",
                "name_en": "Main office",
                "address": "12 rue de la Paix, 75002 Paris",
                "phone": "01 45 55 01 00",
                "contact_details": "Accueil : 01 45 55 01 00",
                "patient_message_fr": "Merci d'apporter votre carte Vitale.",
                "patient_message_en": "Please bring your Carte Vitale.",
            }
        ],
    },
]


APPOINTMENT_TYPES = {
    "demo": [
        {"name_fr": "Sur place", "name_en": "On site", "on_site": True},
        {
            "name_fr": "Télémédecine",
            "name_en": "Telemedicine",
            "on_site": False,
            "telemedicine": True,
            "video_platform": "builtin",
        },
        {"name_fr": "Téléphone", "name_en": "Telephone", "on_site": False, "telephone": True},
    ],
    "autre": [{"name_fr": "Au cabinet", "name_en": "In the office", "on_site": True}],
}

# name_fr, name_en, minutes, appointment type (by French name)
ACTIVITIES = {
    "demo": [
        ("Consultation urgente", "Urgent consultation", 15, "Sur place"),
        ("Suivi", "Follow-up", 30, "Sur place"),
        ("Vaccination", "Vaccination", 10, "Sur place"),
        ("Téléconsultation", "Teleconsultation", 20, "Télémédecine"),
    ],
    "autre": [("Consultation", "Consultation", 20, "Au cabinet")],
}

# name, kind, family doctor, sites
PRACTITIONERS = {
    "demo": [
        ("Dre Julie Roy", "gp", True, ["centre-ville"]),
        ("Dr Marc Gagnon", "gp", False, ["centre-ville", "laval"]),
        ("Sophie Lavoie, IPS", "nurse_practitioner", False, ["laval"]),
        ("Luc Bergeron, inf.", "nurse", False, ["centre-ville"]),
    ],
    "autre": [("Dr Claire Martin", "gp", True, ["principal"])],
}

WEEKDAYS = (0, 1, 2, 3, 4)
# template name: (weekdays, [(start, end, activity French name)])
TEMPLATES = {
    "demo": {
        "Julie Roy, semaine": (
            WEEKDAYS,
            [
                ("08:00", "12:00", "Suivi"),
                ("12:00", "15:00", "Consultation urgente"),
                ("15:00", "17:00", "Téléconsultation"),
            ],
        ),
        "Marc Gagnon, centre-ville": (
            (0, 2, 4),
            [("08:00", "12:00", "Consultation urgente"), ("12:00", "17:00", "Suivi")],
        ),
        "Marc Gagnon, Laval": (
            (1, 3),
            [("08:00", "12:00", "Consultation urgente"), ("12:00", "17:00", "Suivi")],
        ),
        "Sophie Lavoie, semaine": (
            WEEKDAYS,
            [("08:00", "12:00", "Consultation urgente"), ("12:00", "17:00", "Vaccination")],
        ),
        "Luc Bergeron, semaine": (WEEKDAYS, [("08:00", "17:00", "Vaccination")]),
    },
    "autre": {"Claire Martin, semaine": (WEEKDAYS, [("09:00", "12:00", "Consultation")])},
}
# template, practitioner, site, days ahead (from today)
APPLICATIONS = {
    "demo": [
        ("Julie Roy, semaine", "Dre Julie Roy", "centre-ville", 30),
        ("Marc Gagnon, centre-ville", "Dr Marc Gagnon", "centre-ville", 30),
        ("Marc Gagnon, Laval", "Dr Marc Gagnon", "laval", 30),
        ("Sophie Lavoie, semaine", "Sophie Lavoie, IPS", "laval", 30),
        ("Luc Bergeron, semaine", "Luc Bergeron, inf.", "centre-ville", 30),
    ],
    "autre": [("Claire Martin, semaine", "Dr Claire Martin", "principal", 7)],
}

# Online services, in display order. Criteria as in app.online_services.tables; a
# service without any is open to everyone, so `autre` (criteria only) turns strangers away.
SERVICES = {
    "demo": [
        {
            "name_fr": "Consultation urgente",
            "name_en": "Urgent consultation",
            "description_fr": "Un problème de santé qui ne peut pas attendre : fièvre, infection, douleur, blessure légère.",
            "description_en": "A health problem that cannot wait: fever, infection, pain, minor injury.",
            "activities": ["Consultation urgente"],
        },
        {
            "name_fr": "Suivi avec mon médecin de famille",
            "name_en": "Follow-up with my family doctor",
            "description_fr": "Un rendez-vous de suivi avec votre médecin de famille de la clinique.",
            "description_en": "A follow-up appointment with your family doctor at the clinic.",
            "activities": ["Suivi"],
            "requires_family_doctor": True,
            "with_own_family_doctor": True,
        },
        {
            "name_fr": "Vaccination",
            "name_en": "Vaccination",
            "description_fr": "Vaccins courants et saisonniers, pour les patients de la clinique.",
            "description_en": "Routine and seasonal vaccines, for the clinic's patients.",
            "activities": ["Vaccination"],
            "requires_file": True,
        },
        {
            "name_fr": "Téléconsultation",
            "name_en": "Teleconsultation",
            "description_fr": "Une consultation en vidéo depuis chez vous, pour les patients de la clinique.",
            "description_en": "A video consultation from home, for the clinic's patients.",
            "activities": ["Téléconsultation"],
            "requires_file": True,
        },
    ],
    "autre": [
        {
            "name_fr": "Consultation",
            "name_en": "Consultation",
            "description_fr": "Pour les patients suivis au cabinet.",
            "description_en": "For the office's own patients.",
            "activities": ["Consultation"],
            "requires_file": True,
        },
    ],
}

# Patient files; contacts in order (the first is the main contact), typed as people write them.
PATIENTS = {
    "demo": [
        {
            "first_name": "Marie",
            "last_name": "Tremblay",
            "date_of_birth": date(1985, 4, 12),
            "sex": "F",
            "health_insurance_number": "TREM85541219",
            "family_doctor": "Dre Julie Roy",
            "contacts": [("cell", "+1 514 555 0101"), ("email", "marie.tremblay@example.org")],
        },
        {
            "first_name": "Jean",
            "last_name": "Côté",
            "date_of_birth": date(1972, 11, 3),
            "sex": "M",
            "health_insurance_number": "COTJ72110318",
            "family_doctor": None,
            "contacts": [("email", "jean.cote@example.org")],
        },
    ],
    "autre": [
        {
            "first_name": "Camille",
            "last_name": "Dubois",
            "date_of_birth": date(1990, 5, 14),
            "sex": "F",
            "health_insurance_number": "290057512345669",
            "family_doctor": "Dr Claire Martin",
            "contacts": [("cell", "06 12 34 56 78"), ("email", "camille.dubois@example.fr")],
        },
    ],
}


# Staff accounts of the demo (the password is DEMO_PASSWORD, default "demo-password"):
# email, name, role, the practitioner whose agenda is theirs.
ACCOUNTS = {
    "demo": [
        ("admin@demo.localhost", "Admin Démo", StaffRole.ADMINISTRATOR, None),
        ("secretariat@demo.localhost", "Secrétariat Démo", StaffRole.SECRETARY, None),
        ("julie.roy@demo.localhost", "Dre Julie Roy", StaffRole.PRACTITIONER, "Dre Julie Roy"),
    ],
    "autre": [("admin@autre.localhost", "Admin Autre", StaffRole.ADMINISTRATOR, None)],
}
DEFAULT_DEMO_PASSWORD = "demo-password"


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


@lru_cache(maxsize=4)
def _demo_hash(password: str) -> str:
    return hash_password(password)  # once per process: argon2 is slow on purpose


async def seed(*, schedules: bool = True) -> None:
    """The demo clinics with their staff, activities, online services and patients;
    with schedules, their practitioners' slots from today on."""
    for spec in CLINICS:
        clinic_fields = {k: v for k, v in spec.items() if k != "sites"}
        clinic = await Clinic.objects().get(Clinic.slug == spec["slug"])
        if clinic is None:
            clinic = Clinic(**clinic_fields)
            await clinic.save()
        elif clinic.hin_format != spec["hin_format"]:  # a database seeded before the column existed
            await Clinic.update({Clinic.hin_format: spec["hin_format"]}).where(
                Clinic.id == clinic.id
            )
        if spec["slug"] == "demo":
            await _seed_single_sign_on(clinic.id)
        for site_spec in spec["sites"]:
            exists = await WorkSite.exists().where(
                (WorkSite.clinic == clinic.id) & (WorkSite.slug == site_spec["slug"])
            )
            if not exists:
                await WorkSite(clinic=clinic.id, **site_spec).save()
        staff = await _seed_staff(clinic)
        await _seed_online_services(clinic.id, SERVICES[clinic.slug], staff)
        await _seed_patients(clinic, PATIENTS[clinic.slug], staff)
        await _seed_accounts(clinic, staff)
        await _seed_payments(clinic.id, clinic.slug)
        if schedules:
            await _seed_scheduling(clinic, staff)
        if spec["slug"] == "demo":
            await _seed_reacts(clinic, staff, schedules=schedules)
            await _seed_other_platform(clinic, staff, schedules=schedules)


# -- the external integrated platform (issue 14, app.platforms): its own block ----------

REACTS_DAYS = 10  # weekdays from today with an hour of Reacts teleconsultations


async def _seed_reacts(clinic: Clinic, staff: Staff, *, schedules: bool) -> None:
    """A "Téléconsultation Reacts" type on the external platform (the simulator under
    `make run`), its activity, and with schedules Dre Julie Roy's 18:00–19:00 on weekdays (17:00–18:00 is the other platform's)."""
    type_id = await _get_or_create(
        AppointmentType,
        clinic.id,
        {"name_fr": "Téléconsultation Reacts"},
        {
            "name_en": "Reacts teleconsultation",
            "on_site": False,
            "telemedicine": True,
            "video_platform": "external",
        },
    )
    activity_id = await _get_or_create(
        Activity,
        clinic.id,
        {"name_fr": "Téléconsultation Reacts"},
        {"name_en": "Reacts teleconsultation", "duration_minutes": 20, "appointment_type": type_id},
    )
    if not schedules:
        return
    from app.scheduling.tables import Slot

    service = SchedulingService(clinic_id=clinic.id, bus=make_bus())
    today = clock.now().astimezone(ZoneInfo(clinic.time_zone)).date()
    for offset in range(REACTS_DAYS):
        day = today + timedelta(days=offset)
        if day.weekday() not in WEEKDAYS or await Slot.exists().where(
            (Slot.activity == activity_id) & (Slot.local_date == day)
        ):
            continue
        await service.open_manual(
            practitioner_id=staff.practitioners["Dre Julie Roy"],
            site_id=staff.sites["centre-ville"],
            activity_id=activity_id,
            day=day,
            start=time(18, 0),
            end=time(19, 0),
            actor=SEED,
        )


# Payments (administration): each clinic's currency and maximum (cents), and the amounts
# "Request payment" offers first: (label, cents), in order.
PAYMENTS = {
    "demo": ("cad", 100000, [("Consultation", 4500), ("Suivi", 3000)]),
    "autre": ("eur", 50000, []),
}


async def _seed_payments(clinic_id: int, slug: str) -> None:
    from app.payments.tables import PaymentPreset, PaymentSettings  # this block's own import

    currency, maximum, presets = PAYMENTS[slug]
    if not await PaymentSettings.exists().where(PaymentSettings.clinic == clinic_id):
        await PaymentSettings(clinic=clinic_id, currency=currency, maximum_cents=maximum).save()
    for position, (label, cents) in enumerate(presets, start=1):
        await _get_or_create(
            PaymentPreset,
            clinic_id,
            {"label": label},
            {"amount_cents": cents, "position": position},
        )


async def _seed_single_sign_on(clinic_id: int) -> None:
    """The demo clinic's provider from the OIDC_* settings, when they are set."""
    oidc = load_oidc()
    if oidc is None:
        return
    await Clinic.update(
        {
            Clinic.oidc_provider_name: oidc.provider_name,
            Clinic.oidc_issuer: oidc.issuer,
            Clinic.oidc_client_id: oidc.client_id,
            Clinic.oidc_client_secret: oidc.client_secret,
            Clinic.oidc_email_domains: oidc.email_domains,
            Clinic.oidc_tenant_ids: oidc.tenant_ids,
            Clinic.oidc_hosted_domains: oidc.hosted_domains,
        }
    ).where(Clinic.id == clinic_id)


async def _seed_accounts(clinic: Clinic, staff: "Staff") -> None:
    now = clock.now()
    for email, name, role, practitioner in ACCOUNTS[clinic.slug]:
        await _get_or_create(
            StaffAccount,
            clinic.id,
            {"email": email},
            {
                "name": name,
                "role": role,
                "active": True,
                "password_hash": _demo_hash(demo_password()),
                "practitioner": staff.practitioners[practitioner] if practitioner else None,
                "created_at": now,
                "updated_at": now,
            },
        )


async def _get_or_create(table, clinic_id: int, match: dict, values: dict | None = None) -> int:
    where = table.clinic == clinic_id
    for column, value in match.items():
        where &= getattr(table, column) == value
    row = await table.select(table.id).where(where).first()
    if row:
        return row["id"]
    created = table(clinic=clinic_id, **match, **(values or {}))
    await created.save()
    return created.id


def _time(text: str) -> time:
    return time.fromisoformat(text)


@dataclass(frozen=True)
class Staff:
    """Ids by name (French name for activities, slug for sites)."""

    sites: dict[str, int]
    activities: dict[str, int]
    practitioners: dict[str, int]


async def _seed_staff(clinic: Clinic) -> Staff:
    """Appointment types, activities and practitioners: what services and patient files
    refer to, so they exist in both seed modes."""
    slug = clinic.slug
    sites = {
        s["slug"]: s["id"] for s in await WorkSite.select().where(WorkSite.clinic == clinic.id)
    }
    types = {}
    for spec in APPOINTMENT_TYPES[slug]:
        types[spec["name_fr"]] = await _get_or_create(
            AppointmentType,
            clinic.id,
            {"name_fr": spec["name_fr"]},
            {k: v for k, v in spec.items() if k != "name_fr"},
        )
    activities = {}
    for name_fr, name_en, minutes, type_name in ACTIVITIES[slug]:
        activities[name_fr] = await _get_or_create(
            Activity,
            clinic.id,
            {"name_fr": name_fr},
            {"name_en": name_en, "duration_minutes": minutes, "appointment_type": types[type_name]},
        )
    practitioners = {}
    for name, kind, family_doctor, site_slugs in PRACTITIONERS[slug]:
        practitioners[name] = await _get_or_create(
            Practitioner,
            clinic.id,
            {"name": name},
            {"kind": kind, "is_family_doctor": family_doctor},
        )
        for site_slug in site_slugs:
            await _get_or_create(
                PractitionerSite,
                clinic.id,
                {"practitioner": practitioners[name], "site": sites[site_slug]},
            )
    return Staff(sites=sites, activities=activities, practitioners=practitioners)


async def _seed_scheduling(clinic: Clinic, staff: Staff) -> None:
    slug = clinic.slug
    sites, activities, practitioners = staff.sites, staff.activities, staff.practitioners
    templates = {}
    for name, (weekdays, blocks) in TEMPLATES[slug].items():
        template_id = await _get_or_create(ScheduleTemplate, clinic.id, {"name": name})
        templates[name] = template_id
        if not await ScheduleTemplateBlock.exists().where(
            ScheduleTemplateBlock.template == template_id
        ):
            await ScheduleTemplateBlock.insert(
                *[
                    ScheduleTemplateBlock(
                        clinic=clinic.id,
                        template=template_id,
                        weekday=day,
                        start_time=_time(start),
                        end_time=_time(end),
                        activity=activities[activity],
                    )
                    for day in weekdays
                    for start, end, activity in blocks
                ]
            )
    today = clock.now().astimezone(ZoneInfo(clinic.time_zone)).date()
    service = SchedulingService(clinic_id=clinic.id, bus=make_bus())
    for template, practitioner, site, days_ahead in APPLICATIONS[slug]:
        # Rolling: open from the day after the last one already opened, so a re-run
        # (or tomorrow's run) only extends the demo and never overlaps it.
        first_day = await _next_unopened_day(
            practitioners[practitioner], templates[template], today
        )
        last_day = today + timedelta(days=days_ahead - 1)
        if first_day <= last_day:
            await service.apply_template(
                template_id=templates[template],
                practitioner_id=practitioners[practitioner],
                site_id=sites[site],
                first_day=first_day,
                last_day=last_day,
                actor=SEED,
            )
    if slug == "demo":
        await _seed_demo_extras(service, practitioners, sites, activities, today)


# Another platform (Zoom, Teams…): a telemedicine type whose link staff type on each
# appointment, and an hour of it each weekday evening for Dre Julie Roy.
OTHER_PLATFORM_TYPE = {
    "name_fr": "Autre plateforme",
    "name_en": "Other platform",
    "on_site": False,
    "telemedicine": True,
    "video_platform": "link",
}
OTHER_PLATFORM_ACTIVITY = (
    "Téléconsultation (autre plateforme)",
    "Teleconsultation (other platform)",
)
OTHER_PLATFORM_TEMPLATE = ("Julie Roy, autre plateforme", "Dre Julie Roy", "centre-ville", 30)


async def _seed_other_platform(clinic: Clinic, staff: Staff, *, schedules: bool) -> None:
    type_id = await _get_or_create(
        AppointmentType,
        clinic.id,
        {"name_fr": OTHER_PLATFORM_TYPE["name_fr"]},
        {k: v for k, v in OTHER_PLATFORM_TYPE.items() if k != "name_fr"},
    )
    name_fr, name_en = OTHER_PLATFORM_ACTIVITY
    activity_id = await _get_or_create(
        Activity,
        clinic.id,
        {"name_fr": name_fr},
        {"name_en": name_en, "duration_minutes": 20, "appointment_type": type_id},
    )
    staff.activities[name_fr] = activity_id
    if not schedules:
        return
    name, practitioner, site, days_ahead = OTHER_PLATFORM_TEMPLATE
    template_id = await _get_or_create(ScheduleTemplate, clinic.id, {"name": name})
    if not await ScheduleTemplateBlock.exists().where(
        ScheduleTemplateBlock.template == template_id
    ):
        await ScheduleTemplateBlock.insert(
            *[
                ScheduleTemplateBlock(
                    clinic=clinic.id,
                    template=template_id,
                    weekday=day,
                    start_time=_time("17:00"),
                    end_time=_time("18:00"),
                    activity=activity_id,
                )
                for day in WEEKDAYS
            ]
        )
    today = clock.now().astimezone(ZoneInfo(clinic.time_zone)).date()
    practitioner_id = staff.practitioners[practitioner]
    first_day = await _next_unopened_day(practitioner_id, template_id, today)
    last_day = today + timedelta(days=days_ahead - 1)
    if first_day <= last_day:
        await SchedulingService(clinic_id=clinic.id, bus=make_bus()).apply_template(
            template_id=template_id,
            practitioner_id=practitioner_id,
            site_id=staff.sites[site],
            first_day=first_day,
            last_day=last_day,
            actor=SEED,
        )


async def _next_unopened_day(practitioner_id: int, template_id: int, today: date) -> date:
    last = (
        await ScheduleOpening.select(ScheduleOpening.last_day)
        .where(
            (ScheduleOpening.practitioner == practitioner_id)
            & (ScheduleOpening.template == template_id)
        )
        .order_by(ScheduleOpening.last_day, ascending=False)
        .first()
    )
    return max(today, last["last_day"] + timedelta(days=1)) if last else today


async def _seed_demo_extras(
    service: SchedulingService, practitioners: dict, sites: dict, activities: dict, today: date
) -> None:
    """A Saturday morning published later, and a recurrence (never online)."""
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    roy = practitioners["Dre Julie Roy"]
    has_future_manual = await Slot.exists().where(
        (Slot.practitioner == roy) & (Slot.origin == "manual") & (Slot.local_date >= today)
    )
    if not has_future_manual:
        await service.open_manual(
            practitioner_id=roy,
            site_id=sites["centre-ville"],
            activity_id=activities["Consultation urgente"],
            day=saturday,
            start=time(9, 0),
            end=time(11, 0),
            publish_at=clock.now() + timedelta(days=2),
            actor=SEED,
        )
    gagnon = practitioners["Dr Marc Gagnon"]
    has_recurrence = await Slot.exists().where(
        (Slot.practitioner == gagnon) & (Slot.origin == "recurrence") & (Slot.local_date >= today)
    )
    if not has_recurrence:
        await service.open_recurrence(
            practitioner_id=gagnon,
            site_id=sites["centre-ville"],
            activity_id=activities["Suivi"],
            rule="FREQ=WEEKLY;BYDAY=SA",
            first_day=today,
            last_day=today + timedelta(days=27),
            start=time(13, 0),
            end=time(15, 0),
            actor=SEED,
        )


async def _seed_online_services(clinic_id: int, specs: list[dict], staff: Staff) -> None:
    for order, spec in enumerate(specs):
        values = {k: v for k, v in spec.items() if k not in ("name_fr", "activities")}
        service_id = await _get_or_create(
            OnlineService,
            clinic_id,
            {"name_fr": spec["name_fr"]},
            {**values, "display_order": order},
        )
        for activity in spec["activities"]:
            await _get_or_create(
                ServiceActivity,
                clinic_id,
                {"service": service_id, "activity": staff.activities[activity]},
            )


async def _seed_patients(clinic: Clinic, specs: list[dict], staff: Staff) -> None:
    for spec in specs:
        values = {
            k: v
            for k, v in spec.items()
            if k not in ("health_insurance_number", "family_doctor", "contacts")
        }
        doctor = spec["family_doctor"]
        patient_id = await _get_or_create(
            Patient,
            clinic.id,
            {"health_insurance_number": normalise.hin(spec["health_insurance_number"])},
            {
                **values,
                "family_doctor": staff.practitioners[doctor] if doctor else None,
                "created_at": clock.now(),
            },
        )
        for position, (kind, raw) in enumerate(spec["contacts"], start=1):
            value = (
                normalise.email(raw)
                if kind == "email"
                else normalise.phone_e164(raw, region=clinic.country)
            )
            await _get_or_create(
                ContactDetail,
                clinic.id,
                {"patient": patient_id, "value": value},
                {"kind": kind, "position": position},
            )
