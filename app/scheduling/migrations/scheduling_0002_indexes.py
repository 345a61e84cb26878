"""Indexes for availability search, overlap checks and holds. Partial indexes on open slots work the same on SQLite and PostgreSQL; PostgreSQL also gets an exclusion constraint, so no practitioner can have two overlapping slots even if two openings race."""

from app.raw_migrations import sql_migration

ID = "2026-11-22T01:48:53:000000"
VERSION = "1.38.0"
DESCRIPTION = "slot indexes"

forwards = sql_migration(
    migration_id=ID,
    app_name="scheduling",
    description=DESCRIPTION,
    forwards=[
        "CREATE INDEX slot_open_by_time ON slot (clinic, starts_at) WHERE state = 'open'",
        "CREATE INDEX slot_open_by_activity ON slot (clinic, activity, starts_at) WHERE state = 'open'",
        "CREATE INDEX slot_practitioner_time ON slot (practitioner, starts_at)",
        "CREATE INDEX slot_hold_token ON slot (hold_token) WHERE hold_token IS NOT NULL",
        "CREATE INDEX slot_agenda ON slot (clinic, site, starts_at)",
        "CREATE UNIQUE INDEX practitioner_site_unique ON practitioner_site (practitioner, site)",
    ],
    backwards=[
        "DROP INDEX slot_open_by_time",
        "DROP INDEX slot_open_by_activity",
        "DROP INDEX slot_practitioner_time",
        "DROP INDEX slot_hold_token",
        "DROP INDEX slot_agenda",
        "DROP INDEX practitioner_site_unique",
    ],
    postgres_forwards=[
        "CREATE EXTENSION IF NOT EXISTS btree_gist",
        "ALTER TABLE slot ADD CONSTRAINT slot_no_overlap EXCLUDE USING gist (practitioner WITH =, tstzrange(starts_at, ends_at) WITH &&)",
    ],
)
