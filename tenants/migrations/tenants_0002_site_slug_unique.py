"""A site's slug is unique within its clinic (a composite index, written by hand:
Piccolo's Unique constraint emits ALTER TABLE … ADD CONSTRAINT, which SQLite lacks)."""

from app.raw_migrations import sql_migration

ID = "2026-11-22T01:43:56:000000"
VERSION = "1.38.0"
DESCRIPTION = "work site slug unique per clinic"

forwards = sql_migration(
    migration_id=ID,
    app_name="tenants",
    description=DESCRIPTION,
    forwards=[
        "CREATE UNIQUE INDEX work_site_clinic_slug ON work_site (clinic, slug)",
    ],
    backwards=[
        "DROP INDEX work_site_clinic_slug",
    ],
)
