"""Demo data, seeded idempotently: running it twice changes nothing the second time."""

from __future__ import annotations

from tenants.tables import Clinic, WorkSite

CLINICS = [
    {
        "slug": "demo",
        "name": "Clinique Démo",
        "time_zone": "America/Montreal",
        "default_language": "fr",
        "country": "CA",
        "phone": "514 555 0100",
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


async def seed() -> None:
    for spec in CLINICS:
        clinic_fields = {k: v for k, v in spec.items() if k != "sites"}
        clinic = await Clinic.objects().get(Clinic.slug == spec["slug"])
        if clinic is None:
            clinic = Clinic(**clinic_fields)
            await clinic.save()
        for site_spec in spec["sites"]:
            exists = await WorkSite.exists().where(
                (WorkSite.clinic == clinic.id) & (WorkSite.slug == site_spec["slug"])
            )
            if not exists:
                await WorkSite(clinic=clinic.id, **site_spec).save()
