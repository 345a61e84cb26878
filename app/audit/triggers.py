"""The database's own refusal to rewrite the audit log: triggers that abort any UPDATE or
DELETE of audit_entry (and TRUNCATE on PostgreSQL). The migration creates them; the SQL
lives here so the migration and its reversal say the same thing."""

from __future__ import annotations

REFUSAL = "the audit log is append-only"

SQLITE_CREATE = (
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry"
    f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry"
    f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
)

POSTGRES_CREATE = (
    "CREATE OR REPLACE FUNCTION audit_entry_refuse() RETURNS trigger LANGUAGE plpgsql AS"
    f" $$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$",
    "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry"
    " FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse()",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse()",
)
POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS audit_entry_no_change ON audit_entry",
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry",
)


def create_statements(engine_type: str) -> tuple[str, ...]:
    return POSTGRES_CREATE if engine_type == "postgres" else SQLITE_CREATE


def drop_statements(engine_type: str) -> tuple[str, ...]:
    return POSTGRES_DROP if engine_type == "postgres" else SQLITE_DROP
