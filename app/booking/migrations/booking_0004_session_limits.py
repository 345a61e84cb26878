"""Booking sessions remember, as digests, the client and the person they were started
for, so live sessions and holds can be limited per client and per person."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T10:00:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "booking session client and identity keys"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="booking", description=DESCRIPTION)
    for column_name in ("client_key", "identity_key"):
        manager.add_column(
            table_class_name="BookingSession",
            tablename="booking_session",
            column_name=column_name,
            db_column_name=column_name,
            column_class_name="Varchar",
            column_class=Varchar,
            params={
                "length": 64,
                "default": "",
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
