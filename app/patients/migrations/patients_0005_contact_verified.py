"""Contacts get a verified state; every contact already on a file was entered by staff or
before the portal could add any, so it starts verified."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T10:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "contact detail verified"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="patients", description=DESCRIPTION)

    manager.add_column(
        table_class_name="ContactDetail",
        tablename="contact_detail",
        column_name="verified",
        db_column_name="verified",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": True,
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
