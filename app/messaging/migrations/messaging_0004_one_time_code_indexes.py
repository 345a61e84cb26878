"""One-time codes are looked up by subject, counted by address, and purged by expiry."""

from app.raw_migrations import sql_migration

ID = "2026-11-23T10:00:00:000006"
VERSION = "1.38.0"
DESCRIPTION = "one-time code indexes"

forwards = sql_migration(
    migration_id=ID,
    app_name="messaging",
    description=DESCRIPTION,
    forwards=[
        "CREATE INDEX one_time_code_subject ON one_time_code (clinic, subject, expires_at)",
        "CREATE INDEX one_time_code_address ON one_time_code (clinic, address_key, created_at)",
        "CREATE INDEX one_time_code_expires ON one_time_code (expires_at)",
        "CREATE INDEX message_one_time_code ON message (one_time_code)",
    ],
    backwards=[
        "DROP INDEX one_time_code_subject",
        "DROP INDEX one_time_code_address",
        "DROP INDEX one_time_code_expires",
        "DROP INDEX message_one_time_code",
    ],
)
