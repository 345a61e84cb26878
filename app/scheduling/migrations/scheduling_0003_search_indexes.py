"""Indexes for availability search (booking.search): each branch of its query is an
equality on activity and day part (and practitioner, when the patient chose some),
then a range on starts_at, so it reads open slots already in start order and stops
after the page. With more equality columns than any other slot index, these win
the planner's choice even on SQLite, which keeps no statistics unless ANALYZE runs."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-22T02:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search indexes"

FORWARDS = [
    "CREATE INDEX slot_open_search ON slot (clinic, activity, day_part, starts_at) WHERE state = 'open'",
    "CREATE INDEX slot_open_search_practitioner ON slot (clinic, activity, day_part, practitioner, starts_at) WHERE state = 'open'",
]
BACKWARDS = [
    "DROP INDEX slot_open_search",
    "DROP INDEX slot_open_search_practitioner",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="scheduling", description=DESCRIPTION)

    async def run():
        for statement in FORWARDS:
            await RawTable.raw(statement)

    async def run_backwards():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
