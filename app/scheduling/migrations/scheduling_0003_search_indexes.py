"""Indexes for availability search (booking.search): each branch of its query is an
equality on activity and day part (and practitioner, when the patient chose some),
then a range on starts_at, so it reads open slots already in start order and stops
after the page. With more equality columns than any other slot index, these win
the planner's choice even on SQLite, which keeps no statistics unless ANALYZE runs.

The two open-slot indexes of migration 0002 are no longer read by the search, and
every booking had to update them: they go."""

from app.raw_migrations import sql_migration

ID = "2026-11-22T02:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search indexes"

forwards = sql_migration(
    migration_id=ID,
    app_name="scheduling",
    description=DESCRIPTION,
    forwards=[
        "CREATE INDEX slot_open_search ON slot (clinic, activity, day_part, starts_at) WHERE state = 'open'",
        "CREATE INDEX slot_open_search_practitioner ON slot (clinic, activity, day_part, practitioner, starts_at) WHERE state = 'open'",
        "DROP INDEX slot_open_by_time",
        "DROP INDEX slot_open_by_activity",
    ],
    backwards=[
        "DROP INDEX slot_open_search",
        "DROP INDEX slot_open_search_practitioner",
        "CREATE INDEX slot_open_by_time ON slot (clinic, starts_at) WHERE state = 'open'",
        "CREATE INDEX slot_open_by_activity ON slot (clinic, activity, starts_at) WHERE state = 'open'",
    ],
)
