"""Live sessions are counted per clinic and client or person, and purged by expiry."""

from app.raw_migrations import sql_migration

ID = "2026-11-23T10:00:00:000003"
VERSION = "1.38.0"
DESCRIPTION = "booking session limit and purge indexes"

forwards = sql_migration(
    migration_id=ID,
    app_name="booking",
    description=DESCRIPTION,
    forwards=[
        "CREATE INDEX booking_session_client ON booking_session (clinic, client_key, expires_at)",
        "CREATE INDEX booking_session_identity ON booking_session (clinic, identity_key, expires_at)",
        "CREATE INDEX booking_session_expires ON booking_session (expires_at)",
    ],
    backwards=[
        "DROP INDEX booking_session_client",
        "DROP INDEX booking_session_identity",
        "DROP INDEX booking_session_expires",
    ],
)
