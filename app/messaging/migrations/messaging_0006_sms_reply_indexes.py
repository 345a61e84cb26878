"""One opt-out per number and clinic; a reply finds the latest SMS sent to its number."""

from app.raw_migrations import sql_migration

ID = "2026-12-02T18:30:16:220401"
VERSION = "1.38.0"
DESCRIPTION = "SMS reply indexes"

forwards = sql_migration(
    migration_id=ID,
    app_name="messaging",
    description=DESCRIPTION,
    forwards=[
        "CREATE UNIQUE INDEX sms_opt_out_number ON sms_opt_out (clinic, phone)",
        "CREATE INDEX message_sms_recipient ON message (recipient, sent_at) WHERE channel = 'sms'",
    ],
    backwards=[
        "DROP INDEX sms_opt_out_number",
        "DROP INDEX message_sms_recipient",
    ],
)
