"""At most one active appointment per slot, enforced by the database: a partial unique index (the same SQL on SQLite and PostgreSQL), so even a bug cannot double-book."""

from app.raw_migrations import sql_migration

ID = "2026-11-22T01:48:55:000000"
VERSION = "1.38.0"
DESCRIPTION = "one active appointment per slot"

forwards = sql_migration(
    migration_id=ID,
    app_name="booking",
    description=DESCRIPTION,
    forwards=[
        "CREATE UNIQUE INDEX appointment_active_slot ON appointment (slot) WHERE status <> 'cancelled'",
        "CREATE INDEX appointment_agenda ON appointment (clinic, starts_at)",
        "CREATE INDEX appointment_patient ON appointment (patient)",
    ],
    backwards=[
        "DROP INDEX appointment_active_slot",
        "DROP INDEX appointment_agenda",
        "DROP INDEX appointment_patient",
    ],
)
