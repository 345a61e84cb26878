"""Due messages are found by an index over the few that are not finished; a clinic's
usage is read by month; an appointment's messages are re-planned together."""

from app.raw_migrations import sql_migration

ID = "2026-11-22T02:10:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "outbox indexes"

forwards = sql_migration(
    migration_id=ID,
    app_name="messaging",
    description=DESCRIPTION,
    forwards=[
        "CREATE INDEX message_due ON message (next_attempt_at) WHERE status IN ('pending', 'sending')",
        "CREATE INDEX message_appointment ON message (appointment)",
        "CREATE INDEX message_usage ON message (clinic, channel, sent_at)",
    ],
    backwards=[
        "DROP INDEX message_due",
        "DROP INDEX message_appointment",
        "DROP INDEX message_usage",
    ],
)
