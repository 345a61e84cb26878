"""The staff agenda reads each slot's appointments, cancelled ones included (the partial
unique index on the slot covers only the active one)."""

from app.raw_migrations import sql_migration

ID = "2026-12-02T01:30:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "appointment by slot index"

forwards = sql_migration(
    migration_id=ID,
    app_name="booking",
    description=DESCRIPTION,
    forwards=["CREATE INDEX appointment_slot ON appointment (slot)"],
    backwards=["DROP INDEX appointment_slot"],
)
