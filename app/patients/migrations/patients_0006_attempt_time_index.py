"""Attempts past every window are purged by time, across clinics."""

from app.raw_migrations import sql_migration

ID = "2026-11-23T10:00:00:000004"
VERSION = "1.38.0"
DESCRIPTION = "identification attempt purge index"

forwards = sql_migration(
    migration_id=ID,
    app_name="patients",
    description=DESCRIPTION,
    forwards=["CREATE INDEX identification_attempt_time ON identification_attempt (attempted_at)"],
    backwards=["DROP INDEX identification_attempt_time"],
)
