"""Indexes for identification: by health insurance number, by name and date of birth, and contacts in order."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-22T01:48:54:000000"
VERSION = "1.38.0"
DESCRIPTION = "patient lookup indexes"

FORWARDS = [
    "CREATE INDEX patient_hin ON patient (clinic, health_insurance_number)",
    "CREATE INDEX patient_identity ON patient (clinic, date_of_birth, last_name)",
    "CREATE INDEX contact_detail_patient ON contact_detail (patient, position)",
]
POSTGRES_FORWARDS = [

]
BACKWARDS = [
    "DROP INDEX patient_hin",
    "DROP INDEX patient_identity",
    "DROP INDEX contact_detail_patient",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="patients", description=DESCRIPTION)

    async def run():
        statements = list(FORWARDS)
        if engine_finder().engine_type == "postgres":
            statements += POSTGRES_FORWARDS
        for statement in statements:
            await RawTable.raw(statement)

    async def run_backwards():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
