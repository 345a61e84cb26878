"""Migrations run from zero on the suite's database (SQLite or PostgreSQL), and the
demo seed is idempotent."""

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.conf.apps import Finder

from app.seed import seed
from conftest import reset_database
from tenants.tables import Clinic, WorkSite


async def test_migrations_from_zero_create_every_table_then_do_nothing():
    await reset_database()
    for table in Finder().get_table_classes():
        assert await table.table_exists(), table._meta.tablename
    again = await run_forwards(app_name="all")
    assert again.success


async def test_site_slug_is_unique_within_a_clinic_only(demo_data):
    import pytest

    demo = await Clinic.objects().get(Clinic.slug == "demo")
    autre = await Clinic.objects().get(Clinic.slug == "autre")
    await WorkSite(clinic=autre.id, slug="laval", name_fr="Laval FR", name_en="Laval FR").save()
    with pytest.raises(Exception):
        await WorkSite(clinic=demo.id, slug="laval", name_fr="Doublon", name_en="Duplicate").save()


async def test_seed_is_idempotent(demo_data):
    before = (await Clinic.count(), await WorkSite.count())
    await seed()
    await seed()
    assert (await Clinic.count(), await WorkSite.count()) == before == (2, 3)
    demo = await Clinic.objects().get(Clinic.slug == "demo")
    assert (demo.name, demo.time_zone, demo.default_language, demo.phone) == (
        "Clinique Démo",
        "America/Montreal",
        "fr",
        "514 555 0100",
    )
    sites = (
        await WorkSite.select(WorkSite.slug)
        .where(WorkSite.clinic == demo.id)
        .order_by(WorkSite.slug)
    )
    assert [s["slug"] for s in sites] == ["centre-ville", "laval"]
