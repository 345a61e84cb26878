"""A booked slot in a closed range closes once its appointment is cancelled or moved."""

from app.raw_migrations import sql_migration

ID = "2026-12-02T02:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "slot closes when freed"

forwards = sql_migration(
    migration_id=ID,
    app_name="scheduling",
    description=DESCRIPTION,
    forwards=["ALTER TABLE slot ADD COLUMN closes_when_freed BOOLEAN NOT NULL DEFAULT FALSE"],
    backwards=["ALTER TABLE slot DROP COLUMN closes_when_freed"],
)
