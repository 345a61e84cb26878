"""The audit log is append-only (triggers refusing UPDATE and DELETE), its chain has one
row per position in a clinic (a unique (clinic, seq): two writers that raced past the
lock would fail rather than fork it), and the viewer's filters have their indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

from app.audit.triggers import create_statements, drop_statements
from app.raw_migrations import _Raw

ID = "2026-12-02T01:02:28:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only audit log, one row per chain position, viewer indexes"

INDEXES = (
    "CREATE UNIQUE INDEX audit_entry_chain ON audit_entry (clinic, seq)",
    "CREATE INDEX audit_entry_time ON audit_entry (clinic, at)",
    "CREATE INDEX audit_entry_patient ON audit_entry (clinic, patient_id)",
    "CREATE INDEX audit_entry_appointment ON audit_entry (clinic, appointment_id)",
    "CREATE INDEX audit_entry_actor ON audit_entry (clinic, actor_kind, actor_account)",
)
DROP_INDEXES = (
    "DROP INDEX audit_entry_chain",
    "DROP INDEX audit_entry_time",
    "DROP INDEX audit_entry_patient",
    "DROP INDEX audit_entry_appointment",
    "DROP INDEX audit_entry_actor",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def run() -> None:
        for statement in INDEXES + create_statements(engine_finder().engine_type):
            await _Raw.raw(statement)

    async def run_backwards() -> None:
        for statement in drop_statements(engine_finder().engine_type) + DROP_INDEXES:
            await _Raw.raw(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
