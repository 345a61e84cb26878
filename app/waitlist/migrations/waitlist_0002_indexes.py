"""One open offer per request at a time; the sweep reads waiting requests in order."""

from app.raw_migrations import sql_migration

ID = "2026-12-02T18:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "earlier-slot offer indexes"

forwards = sql_migration(
    migration_id=ID,
    app_name="waitlist",
    description=DESCRIPTION,
    forwards=[
        "CREATE UNIQUE INDEX offer_one_open ON offer (request) WHERE outcome = 'open'",
        "CREATE INDEX wait_request_queue ON wait_request (clinic, status, created_at)",
    ],
    backwards=["DROP INDEX offer_one_open", "DROP INDEX wait_request_queue"],
)
