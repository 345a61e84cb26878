"""Why staff cancelled an appointment (the reason the front desk types), kept with it."""

from app.raw_migrations import sql_migration

ID = "2026-12-02T01:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "appointment cancellation reason"

forwards = sql_migration(
    migration_id=ID,
    app_name="booking",
    description=DESCRIPTION,
    forwards=["ALTER TABLE appointment ADD COLUMN cancellation_reason TEXT NOT NULL DEFAULT ''"],
    backwards=["ALTER TABLE appointment DROP COLUMN cancellation_reason"],
)
