"""The front desk's search (app/patients/search.py): the folded names of the files already
there, and the indexes each kind of query narrows by, per clinic. On PostgreSQL the
searched text columns compare byte by byte (COLLATE "C"), so a prefix is an index range
whatever the database's locale."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

from app.patients.normalise import fold_name
from app.raw_migrations import _Raw

ID = "2026-12-02T02:30:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "patient search indexes"

INDEXES = (
    "CREATE INDEX patient_folded_last ON patient (clinic, folded_last, folded_first)",
    "CREATE INDEX patient_folded_first ON patient (clinic, folded_first)",
    "CREATE INDEX patient_file_number ON patient (clinic, file_number)",
    "CREATE INDEX patient_birth_date ON patient (clinic, date_of_birth)",
    "CREATE INDEX contact_detail_value ON contact_detail (clinic, value)",
)
LENGTHS = {"folded_first": 100, "folded_last": 100, "health_insurance_number": 32, "file_number": 32}


async def _forwards() -> None:
    for row in await _Raw.raw("SELECT id, first_name, last_name FROM patient"):
        await _Raw.raw(
            "UPDATE patient SET folded_first = {}, folded_last = {} WHERE id = {}",
            fold_name(row["first_name"]),
            fold_name(row["last_name"]),
            row["id"],
        )
    if engine_finder().engine_type == "postgres":
        for column in LENGTHS:
            await _Raw.raw(f'ALTER TABLE patient ALTER COLUMN {column} TYPE varchar({LENGTHS[column]}) COLLATE "C"')
        # The identification index on the HIN, rebuilt by the ALTER, keeps serving equality.
    for statement in INDEXES:
        await _Raw.raw(statement)


async def _backwards() -> None:
    for statement in INDEXES:
        await _Raw.raw(f"DROP INDEX {statement.split()[2]}")


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="patients", description=DESCRIPTION)
    manager.add_raw(_forwards)
    manager.add_raw_backwards(_backwards)
    return manager
