"""The link of another video platform (Zoom, Teams…), typed on the appointment by staff."""

from app.raw_migrations import sql_migration

ID = "2026-12-02T14:05:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "appointment video link"

forwards = sql_migration(
    migration_id=ID,
    app_name="booking",
    description=DESCRIPTION,
    forwards=["ALTER TABLE appointment ADD COLUMN video_link VARCHAR(500) NOT NULL DEFAULT ''"],
    backwards=["ALTER TABLE appointment DROP COLUMN video_link"],
)
