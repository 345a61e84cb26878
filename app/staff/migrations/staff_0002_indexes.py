"""An email names one account of a clinic, a provider's subject one account too; failed
sign-ins are counted per clinic, key and time."""

from app.raw_migrations import sql_migration

ID = "2026-12-01T23:50:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique staff emails and provider subjects per clinic, sign-in failure indexes"

forwards = sql_migration(
    migration_id=ID,
    app_name="staff",
    description=DESCRIPTION,
    forwards=[
        "CREATE UNIQUE INDEX staff_account_email ON staff_account (clinic, email)",
        "CREATE UNIQUE INDEX staff_account_subject ON staff_account (clinic, oidc_issuer, oidc_subject)"
        " WHERE oidc_subject IS NOT NULL",
        "CREATE INDEX staff_session_account ON staff_session (account)",
        "CREATE INDEX sign_in_failure_account ON sign_in_failure (clinic, account_key, failed_at)",
        "CREATE INDEX sign_in_failure_client ON sign_in_failure (clinic, client_key, failed_at)",
    ],
    backwards=[
        "DROP INDEX staff_account_email",
        "DROP INDEX staff_account_subject",
        "DROP INDEX staff_session_account",
        "DROP INDEX sign_in_failure_account",
        "DROP INDEX sign_in_failure_client",
    ],
)
