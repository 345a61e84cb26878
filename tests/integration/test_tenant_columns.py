"""Every table is per clinic, and could be distributed by it (docs/scaling.md): each table
of piccolo_conf's APP_REGISTRY carries a non-null `clinic` pointing at Clinic, every
unique index (and PostgreSQL exclusion constraint) includes `clinic`, and every foreign
key joins rows of one clinic. What does not is listed below, each with why; a new table,
unique index or key that breaks the rule and is not listed fails, and so does an entry
that no longer matches anything (the list stays true).

The indexes are read from the migrated database itself (the SQL migrations make most of
them), on SQLite in one run and PostgreSQL in the other."""

from __future__ import annotations

from piccolo.columns import ForeignKey
from piccolo.table import Table

import piccolo_conf
from app.db import engine, is_postgres
from tenants.tables import Clinic

# Platform-level tables: no `clinic` column.
PLATFORM_TABLES = {
    "clinic": "the tenants themselves (a reference table on Citus)",
}
# Per-clinic tables whose `clinic` may be NULL.
NULLABLE_CLINIC = {
    "inbound_sms": "an SMS from a number no clinic wrote to is kept once, for its provider's id",
}
# Unique indexes (table, columns) that do not include `clinic`. Two kinds:
# GLOBAL: unique across the platform by design (looked up before the clinic is known, or
#   a provider's own id): on Citus these tables' rows are found by that key, so they are
#   reference tables or the key gets the clinic once it is resolved (docs/scaling.md).
# ROW: unique over a per-clinic row's id. Our ids are serials of the whole database, so
#   the clinic is implied and (clinic, ...) would be equivalent; Citus needs it spelt out,
#   and the upserts naming these columns (ON CONFLICT) would name the clinic too.
GLOBAL = "global by design"
ROW = "keyed by a per-clinic row id"
UNIQUE_WITHOUT_CLINIC = {
    ("clinic_domain", ("host",)): GLOBAL,  # a host names one clinic: how a request finds it
    ("booking_session", ("token",)): GLOBAL,  # random bearer tokens in the URL
    ("call_file", ("key",)): GLOBAL,
    ("oidc_sign_in", ("state_digest",)): GLOBAL,  # the provider's redirect carries only it
    ("patient_space_session", ("token_key",)): GLOBAL,
    ("staff_invitation", ("token_digest",)): GLOBAL,
    ("staff_session", ("token_digest",)): GLOBAL,
    ("message", ("idempotency_key",)): GLOBAL,  # the key starts with the appointment id
    ("payment_request", ("idempotency_key",)): GLOBAL,
    ("inbound_sms", ("message_sid",)): GLOBAL,  # the SMS provider's id
    ("payment_webhook_event", ("processed_event",)): GLOBAL,  # the payment provider's id
    ("platform_event", ("event_id",)): GLOBAL,  # the video platform's id
    ("appointment", ("slot",)): ROW,  # one active appointment per slot (partial)
    ("appointment_reminders", ("appointment",)): ROW,
    ("call_room", ("appointment",)): ROW,
    ("external_session", ("appointment",)): ROW,
    ("offer", ("request",)): ROW,  # one open offer per wait request (partial)
    ("contact_detail", ("patient", "value")): ROW,
    ("practitioner_site", ("practitioner", "site")): ROW,
    ("service_activity", ("activity", "service")): ROW,
    ("service_practitioner", ("practitioner", "role", "service")): ROW,
}
# PostgreSQL only: exclusion constraints (Citus requires the clinic in them too).
EXCLUSIONS_WITHOUT_CLINIC = {
    ("slot", "slot_no_overlap"): ROW,  # no two overlapping slots of one practitioner
}


def registry_tables() -> dict[str, type[Table]]:
    registry = piccolo_conf.APP_REGISTRY
    return {
        table._meta.tablename: table
        for app_name in registry.app_configs
        for table in registry.get_table_classes(app_name)
    }


def clinic_column(table: type[Table]) -> ForeignKey | None:
    for column in table._meta.columns:
        if column._meta.name == "clinic":
            return column
    return None


def per_clinic() -> dict[str, type[Table]]:
    return {name: t for name, t in registry_tables().items() if name not in PLATFORM_TABLES}


async def unique_indexes(tablename: str) -> set[tuple[str, ...]]:
    """The column sets of the table's unique indexes, its primary key aside."""
    if is_postgres():
        rows = await engine().run_ddl(
            "SELECT array_agg(a.attname::text ORDER BY a.attname) AS columns"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)"
            f" WHERE c.relname = '{tablename}' AND i.indisunique AND NOT i.indisprimary"
            " GROUP BY i.indexrelid"
        )
        return {tuple(row["columns"]) for row in rows}
    found = set()
    for index in await engine().run_ddl(f"PRAGMA index_list('{tablename}')"):
        if index["unique"] and index["origin"] != "pk":
            info = await engine().run_ddl(f"PRAGMA index_info('{index['name']}')")
            found.add(tuple(sorted(row["name"] for row in info)))
    return found


async def test_every_table_carries_the_clinic(database):
    tables = registry_tables()
    assert len(tables) > 40  # the registry was read
    without = {name for name, table in tables.items() if clinic_column(table) is None}
    assert without == set(PLATFORM_TABLES), (
        f"tables without a clinic column: {sorted(without - set(PLATFORM_TABLES))}"
        f"; listed but carrying one: {sorted(set(PLATFORM_TABLES) - without)}"
    )
    nullable = set()
    for name, table in per_clinic().items():
        column = clinic_column(table)
        assert isinstance(column, ForeignKey), f"{name}.clinic is not a foreign key"
        assert column._foreign_key_meta.resolved_references is Clinic, name
        if column._meta.null:
            nullable.add(name)
    assert nullable == set(NULLABLE_CLINIC), f"clinic may be NULL in {sorted(nullable)}"


async def test_every_unique_index_includes_the_clinic_or_is_listed(database):
    unlisted, found = [], set()
    for name in per_clinic():
        for columns in await unique_indexes(name):
            if "clinic" in columns:
                continue
            key = (name, tuple(sorted(columns)))
            found.add(key)
            if key not in UNIQUE_WITHOUT_CLINIC:
                unlisted.append(key)
    assert not unlisted, f"unique indexes without the clinic, not on the list: {unlisted}"
    stale = set(UNIQUE_WITHOUT_CLINIC) - found
    assert not stale, f"listed, but no such unique index any more: {sorted(stale)}"


async def test_every_exclusion_constraint_includes_the_clinic_or_is_listed(database):
    if not is_postgres():
        import pytest

        pytest.skip("exclusion constraints are PostgreSQL's (the SQLite run has none)")
    rows = await engine().run_ddl(
        "SELECT c.relname AS tablename, k.conname AS name,"
        " array_agg(a.attname::text) FILTER (WHERE a.attname IS NOT NULL) AS columns"
        " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
        " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(k.conkey)"
        " WHERE k.contype = 'x' GROUP BY c.relname, k.conname"
    )
    found = {
        (row["tablename"], row["name"]) for row in rows if "clinic" not in (row["columns"] or [])
    }
    assert found == set(EXCLUSIONS_WITHOUT_CLINIC)


async def test_every_foreign_key_joins_rows_of_one_clinic(demo_data):
    """Per-clinic tables point at per-clinic tables or at Clinic (never at a platform-level
    table that Citus could not co-locate); in the seeded data no row points at another
    clinic's row."""
    tables = per_clinic()
    checked = 0
    for name, table in tables.items():
        for column in table._meta.foreign_key_columns:
            target = column._foreign_key_meta.resolved_references
            if column._meta.name == "clinic":
                continue
            target_name = target._meta.tablename
            assert target_name in tables, f"{name}.{column._meta.name} -> {target_name}"
            rows = await engine().run_ddl(
                f'SELECT count(*) AS n FROM "{name}" child JOIN "{target_name}" parent'
                f' ON parent.id = child."{column._meta.name}" WHERE parent.clinic != child.clinic'
            )
            assert rows[0]["n"] == 0, f"{name}.{column._meta.name} crosses clinics"
            checked += 1
    assert checked > 50
