"""Each activity and practitioner is linked once per service and role, and a clinic's
active services are read in display order."""

from app.raw_migrations import sql_migration

ID = "2026-11-22T01:59:16:000000"
VERSION = "1.38.0"
DESCRIPTION = "online service links unique, services by clinic"

forwards = sql_migration(
    migration_id=ID,
    app_name="online_services",
    description=DESCRIPTION,
    forwards=[
        "CREATE UNIQUE INDEX service_activity_unique ON service_activity (service, activity)",
        "CREATE UNIQUE INDEX service_practitioner_unique ON service_practitioner (service, practitioner, role)",
        "CREATE INDEX online_service_clinic ON online_service (clinic, active, display_order)",
    ],
    backwards=[
        "DROP INDEX service_activity_unique",
        "DROP INDEX service_practitioner_unique",
        "DROP INDEX online_service_clinic",
    ],
)
