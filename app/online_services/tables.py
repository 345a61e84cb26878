"""What patients can book online: services linked to activities, with the practitioners
they include or exclude and the criteria a patient must meet to see them (SPEC §4)."""

from piccolo.columns import Boolean, ForeignKey, SmallInt, Text, Varchar
from piccolo.table import Table

from app.scheduling.tables import Activity, Practitioner
from tenants.tables import Clinic

PRACTITIONER_ROLES = ("include", "exclude", "family_doctor")


class OnlineService(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    name_fr = Varchar(length=200)
    name_en = Varchar(length=200)
    description_fr = Text(default="")
    description_en = Text(default="")
    active = Boolean(default=True)
    display_order = SmallInt(default=0)
    # Eligibility criteria. None set: open to the whole population, identified or not.
    requires_file = Boolean(default=False)  # has a file at the clinic
    requires_file_number = Boolean(default=False)
    requires_family_doctor = Boolean(default=False)  # an active practitioner of the clinic
    min_age = SmallInt(null=True, default=None)  # years, inclusive, in the clinic's time zone
    max_age = SmallInt(null=True, default=None)
    sexes = Varchar(length=3, default="")  # e.g. "F" or "FX"; empty: any
    # "family doctor is one of …" is the service's practitioners with role family_doctor.
    # Not a criterion but a filter: only the patient's own family doctor's slots
    # (and so the patient needs one, as a criterion would).
    with_own_family_doctor = Boolean(default=False)


class ServiceActivity(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    service = ForeignKey(references=OnlineService, null=False)
    activity = ForeignKey(references=Activity, null=False)


class ServicePractitioner(Table):
    """A practitioner the service includes (then only those), excludes, or names as an
    accepted family doctor."""

    clinic = ForeignKey(references=Clinic, null=False)
    service = ForeignKey(references=OnlineService, null=False)
    practitioner = ForeignKey(references=Practitioner, null=False)
    role = Varchar(length=16)  # include | exclude | family_doctor
