"""The audit log's one table. Insert only: the migration adds triggers that refuse UPDATE
and DELETE on both databases, so not even a stray query rewrites history.

The staff account, patient and appointment are plain numbers, not foreign keys: the log
outlives what it names (a merged file, a removed account), and a cascade would try to
delete history. The clinic is a foreign key that restricts: a clinic with a history
cannot be deleted by accident."""

from enum import StrEnum

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from tenants.tables import Clinic


class EntityKind(StrEnum):
    APPOINTMENT = "appointment"
    SCHEDULE = "schedule"  # an opening or a closing of slots
    SCHEDULE_TEMPLATE = "schedule_template"
    PATIENT = "patient"
    SETTING = "setting"
    ACCOUNT = "account"  # changes to a staff account, and its sign-ins


class AuditEntry(Table):
    clinic = ForeignKey(references=Clinic, null=False, on_delete=OnDelete.restrict)
    seq = Integer()  # 1, 2, 3… within the clinic: the chain's order
    at = Timestamptz()
    actor_kind = Varchar(length=16)  # app.events.ActorKind
    actor_account = Integer(null=True, default=None)  # the staff account, for kind staff
    actor_label = Varchar(length=200, default="")  # their name, or what the system did
    action = Varchar(length=64)  # "<entity kind>.<change>", e.g. "appointment.cancelled"
    entity_kind = Varchar(length=32)  # EntityKind
    entity_id = Varchar(length=100, default="")  # an id, or a setting's name
    patient_id = Integer(null=True, default=None)
    appointment_id = Integer(null=True, default=None)
    before = Text(null=True, default=None)  # canonical JSON (app.audit.serialise)
    after = Text(null=True, default=None)
    client = Varchar(length=64, default="")  # the address the change came from
    prev_hash = Varchar(length=64, default="")  # "" for a clinic's first row
    hash = Varchar(length=64)
