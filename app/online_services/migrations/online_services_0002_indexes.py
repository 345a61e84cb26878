"""Each activity and practitioner is linked once per service and role, and a clinic's
active services are read in display order."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-22T01:59:16:000000"
VERSION = "1.38.0"
DESCRIPTION = "online service links unique, services by clinic"

FORWARDS = [
    "CREATE UNIQUE INDEX service_activity_unique ON service_activity (service, activity)",
    "CREATE UNIQUE INDEX service_practitioner_unique ON service_practitioner (service, practitioner, role)",
    "CREATE INDEX online_service_clinic ON online_service (clinic, active, display_order)",
]
BACKWARDS = [
    "DROP INDEX service_activity_unique",
    "DROP INDEX service_practitioner_unique",
    "DROP INDEX online_service_clinic",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="online_services", description=DESCRIPTION)

    async def run():
        for statement in FORWARDS:
            await RawTable.raw(statement)

    async def run_backwards():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
