"""A contact appears once per file (so appending the form's contacts twice adds nothing),
and attempts are counted per clinic, key and time."""

from app.raw_migrations import sql_migration

ID = "2026-11-22T01:58:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique contact per file, identification attempt indexes"

forwards = sql_migration(
    migration_id=ID,
    app_name="patients",
    description=DESCRIPTION,
    forwards=[
        "CREATE UNIQUE INDEX contact_detail_unique_value ON contact_detail (patient, value)",
        "CREATE INDEX identification_attempt_client ON identification_attempt (clinic, client_key, attempted_at)",
        "CREATE INDEX identification_attempt_identity ON identification_attempt (clinic, identity_key, attempted_at)",
        "CREATE INDEX identification_attempt_hin ON identification_attempt (clinic, hin_key, attempted_at)",
    ],
    backwards=[
        "DROP INDEX contact_detail_unique_value",
        "DROP INDEX identification_attempt_client",
        "DROP INDEX identification_attempt_identity",
        "DROP INDEX identification_attempt_hin",
    ],
)
