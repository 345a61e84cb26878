"""An old portal slug names one site of its clinic (written by hand, as 0002)."""

from app.raw_migrations import sql_migration

ID = "2026-12-02T02:26:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "previous site slug unique per clinic"

forwards = sql_migration(
    migration_id=ID,
    app_name="tenants",
    description=DESCRIPTION,
    forwards=[
        "CREATE UNIQUE INDEX site_slug_redirect_clinic_old_slug "
        "ON site_slug_redirect (clinic, old_slug)",
    ],
    backwards=[
        "DROP INDEX site_slug_redirect_clinic_old_slug",
    ],
)
