"""Patient files and their ordered contact details (position 1 is the main contact)."""

from piccolo.columns import Boolean, Date, ForeignKey, SmallInt, Timestamptz, Varchar
from piccolo.table import Table

from app.patients.normalise import fold_name
from app.scheduling.tables import Practitioner
from tenants.tables import Clinic


class Patient(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    first_name = Varchar(length=100)
    last_name = Varchar(length=100)
    date_of_birth = Date()
    sex = Varchar(length=1)  # F | M | X
    health_insurance_number = Varchar(length=32, null=True, default=None)  # normalise.hin
    file_number = Varchar(length=32, null=True, default=None)
    family_doctor = ForeignKey(references=Practitioner, null=True, default=None)
    status = Varchar(length=16, default="active")
    created_at = Timestamptz()
    # The names folded (app.patients.normalise.fold_name), indexed per clinic, for the
    # front desk's search: neither database folds accents without an extension. Kept in
    # step by the constructor below and by every update of a name (name_columns).
    folded_first = Varchar(length=100, default="")
    folded_last = Varchar(length=100, default="")

    def __init__(self, _data=None, _ignore_missing=False, _exists_in_db=False, **kwargs):
        super().__init__(_data, _ignore_missing, _exists_in_db, **kwargs)
        # Every Patient(...) inserted or saved carries its folded names.
        if isinstance(self.first_name, str):
            self.folded_first = fold_name(self.first_name)
        if isinstance(self.last_name, str):
            self.folded_last = fold_name(self.last_name)


def name_columns(first_name: str, last_name: str) -> dict:
    """The values of an update that changes a file's names, folded ones included."""
    return {
        Patient.first_name: first_name,
        Patient.last_name: last_name,
        Patient.folded_first: fold_name(first_name),
        Patient.folded_last: fold_name(last_name),
    }


class ContactDetail(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    patient = ForeignKey(references=Patient, null=False)
    kind = Varchar(length=8)  # email | cell | home
    value = Varchar(length=254)  # normalised: lower-case email, E.164 phone
    position = SmallInt()
    # Whether the file vouches for it: entered by staff, or proved by the patient with a
    # one-time code. A contact typed on the portal is pending (False) until then, and
    # receives no message about the file's appointments but a brief booking confirmation.
    verified = Boolean(default=True)


class IdentificationAttempt(Table):
    """A failed (or in-flight) identification, counted for rate limiting and kept only
    for the length of the window. Keys are digests: no names or addresses in clear."""

    clinic = ForeignKey(references=Clinic, null=False)
    client_key = Varchar(length=64)  # the client's address (app.client_address.limit_key)
    identity_key = Varchar(length=64)  # the last name (folded) and the date of birth typed
    hin_key = Varchar(length=64, null=True, default=None)  # the health insurance number typed
    attempted_at = Timestamptz()


class Dependant(Table):
    """A file whose appointments another file's holder may book and see: a child, or a
    person a carer looks after. Linked by staff (administrative centre). One pair once
    (unique index in the migration); both files of the same clinic."""

    clinic = ForeignKey(references=Clinic, null=False)
    guardian = ForeignKey(references=Patient, null=False)  # the parent or carer
    dependant = ForeignKey(references=Patient, null=False)
    created_at = Timestamptz()
    created_by = Varchar(length=100, default="")
