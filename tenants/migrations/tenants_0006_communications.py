from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Time
from piccolo.columns.defaults.time import TimeCustom
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-22T02:08:44:344696"
VERSION = "1.38.0"
DESCRIPTION = "automated communications settings"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="tenants", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Clinic",
        tablename="clinic",
        column_name="notify_by_email",
        db_column_name="notify_by_email",
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

    manager.add_column(
        table_class_name="Clinic",
        tablename="clinic",
        column_name="notify_by_sms",
        db_column_name="notify_by_sms",
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

    manager.add_column(
        table_class_name="Clinic",
        tablename="clinic",
        column_name="quiet_hours_end",
        db_column_name="quiet_hours_end",
        column_class_name="Time",
        column_class=Time,
        params={
            "default": TimeCustom(hour=8, minute=0, second=0),
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
        table_class_name="Clinic",
        tablename="clinic",
        column_name="quiet_hours_start",
        db_column_name="quiet_hours_start",
        column_class_name="Time",
        column_class=Time,
        params={
            "default": TimeCustom(hour=21, minute=0, second=0),
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
        table_class_name="Clinic",
        tablename="clinic",
        column_name="sms_price_cents",
        db_column_name="sms_price_cents",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 5,
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
