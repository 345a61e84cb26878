"""Patient files and their ordered contact details (position 1 is the main contact)."""

from piccolo.columns import Boolean, Date, ForeignKey, SmallInt, Timestamptz, Varchar
from piccolo.table import Table

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
