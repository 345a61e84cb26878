"""The sessions of "My appointments" (app.patient_space.sessions)."""

from piccolo.columns import ForeignKey, Integer, SmallInt, Timestamptz, Varchar
from piccolo.table import Table

from app.patients.tables import Patient
from tenants.tables import Clinic, WorkSite


class PatientSpaceSession(Table):
    """A person's way into "My appointments", behind an unguessable token in the URL (no
    cookie, so it works in the widget's iframe). First waiting for the code ("code"), then
    open ("open") for 30 minutes. A request that matched no file has one too, without a
    patient, so that nothing a client sees tells the two apart. Only a digest of the token
    is kept: a copy of the table opens nobody's appointments."""

    clinic = ForeignKey(references=Clinic, null=False)
    site = ForeignKey(references=WorkSite, null=False)
    token_key = Varchar(length=64, unique=True)  # sha256 of the token
    patient = ForeignKey(references=Patient, null=True, default=None)
    stage = Varchar(length=8, default="code")  # code | open
    tries = SmallInt(default=0)  # codes typed, right or wrong
    attempt = Integer(null=True, default=None)  # its identification attempt, forgotten once in
    language = Varchar(length=2, default="fr")
    created_at = Timestamptz()
    expires_at = Timestamptz()
