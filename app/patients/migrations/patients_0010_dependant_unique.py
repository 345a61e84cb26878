"""A guardian and a dependant are linked once; the guardian's list reads by its file."""

from app.raw_migrations import sql_migration

ID = "2026-12-02T18:26:22:000000"
VERSION = "1.38.0"
DESCRIPTION = "one link per guardian and dependant"

forwards = sql_migration(
    migration_id=ID,
    app_name="patients",
    description=DESCRIPTION,
    forwards=[
        "CREATE UNIQUE INDEX dependant_pair ON dependant (clinic, guardian, dependant)",
        "CREATE INDEX dependant_of ON dependant (clinic, dependant)",
    ],
    backwards=["DROP INDEX dependant_pair", "DROP INDEX dependant_of"],
)
