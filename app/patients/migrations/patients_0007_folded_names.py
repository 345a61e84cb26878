"""Files get their names folded, for the front desk's search (filled and indexed in 0008)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T02:30:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "patient folded names"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="patients", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Patient",
        tablename="patient",
        column_name="folded_first",
        db_column_name="folded_first",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "default": "",
            "length": 100,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Patient",
        tablename="patient",
        column_name="folded_last",
        db_column_name="folded_last",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "default": "",
            "length": 100,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
