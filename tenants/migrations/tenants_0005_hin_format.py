from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-22T01:57:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "clinic health insurance number format"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="tenants", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Clinic",
        tablename="clinic",
        column_name="hin_format",
        db_column_name="hin_format",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "qc_ramq",
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
