"""One-time codes, and outbox messages that carry one instead of being about an appointment."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, SmallInt, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Clinic(Table, tablename="clinic", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


class OneTimeCode(Table, tablename="one_time_code", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


ID = "2026-11-23T10:00:00:000005"
VERSION = "1.38.0"
DESCRIPTION = "one-time codes"


def _params(**params):
    return {
        "null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
        "choices": None, "db_column_name": None, "secret": False, **params,
    }


def _foreign_key(references, *, null: bool, on_delete: OnDelete):
    return _params(references=references, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None,
                   null=null, **({"default": None} if null else {}))


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="messaging", description=DESCRIPTION)
    manager.add_table(class_name="OneTimeCode", tablename="one_time_code", schema=None, columns=None)
    columns = [
        ("clinic", ForeignKey, _foreign_key(Clinic, null=False, on_delete=OnDelete.cascade)),
        ("subject", Varchar, _params(length=100, default="")),
        ("address_key", Varchar, _params(length=64, default="")),
        ("nonce", Varchar, _params(length=64, default="")),
        ("tries", SmallInt, _params(default=0)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
        ("expires_at", Timestamptz, _params(default=TimestamptzNow())),
        ("used_at", Timestamptz, _params(default=None, null=True)),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="OneTimeCode", tablename="one_time_code", column_name=name, db_column_name=name,
            column_class_name=column_class.__name__, column_class=column_class, params=params, schema=None,
        )
    manager.add_column(
        table_class_name="Message", tablename="message", column_name="one_time_code", db_column_name="one_time_code",
        column_class_name="ForeignKey", column_class=ForeignKey,
        params=_foreign_key(OneTimeCode, null=True, on_delete=OnDelete.set_null), schema=None,
    )
    return manager
