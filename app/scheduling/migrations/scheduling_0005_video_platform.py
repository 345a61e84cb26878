"""An appointment type names its teleconsultation platform (SPEC §9)."""

from app.raw_migrations import sql_migration

ID = "2026-12-02T06:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "appointment type video platform"

forwards = sql_migration(
    migration_id=ID,
    app_name="scheduling",
    description=DESCRIPTION,
    forwards=[
        "ALTER TABLE appointment_type ADD COLUMN video_platform VARCHAR(16) NOT NULL DEFAULT 'none'"
    ],
    backwards=["ALTER TABLE appointment_type DROP COLUMN video_platform"],
)
