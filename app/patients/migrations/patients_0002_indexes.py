"""Indexes for identification: by health insurance number, by name and date of birth, and contacts in order."""

from app.raw_migrations import sql_migration

ID = "2026-11-22T01:48:54:000000"
VERSION = "1.38.0"
DESCRIPTION = "patient lookup indexes"

forwards = sql_migration(
    migration_id=ID,
    app_name="patients",
    description=DESCRIPTION,
    forwards=[
        "CREATE INDEX patient_hin ON patient (clinic, health_insurance_number)",
        "CREATE INDEX patient_identity ON patient (clinic, date_of_birth, last_name)",
        "CREATE INDEX contact_detail_patient ON contact_detail (patient, position)",
    ],
    backwards=[
        "DROP INDEX patient_hin",
        "DROP INDEX patient_identity",
        "DROP INDEX contact_detail_patient",
    ],
)
