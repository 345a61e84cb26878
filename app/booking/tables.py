"""Appointments. A slot has at most one active appointment, enforced by a partial
unique index (see the migration), on top of the conditional update that takes it."""

from enum import StrEnum

from piccolo.columns import JSON, Date, ForeignKey, Integer, SmallInt, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.i18n import N_
from app.patients.tables import Patient
from app.scheduling.tables import Activity, AppointmentType, Practitioner, Slot
from tenants.tables import Clinic, WorkSite


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CONFIRMED = "confirmed"  # the patient confirmed their presence
    ARRIVED = "arrived"
    NO_SHOW = "no_show"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Source(StrEnum):
    """Where an appointment was booked."""

    ONLINE = "online"  # by the patient, on the portal
    STAFF = "staff"


# How a patient reads each status (the details page).
STATUS_LABELS = {
    AppointmentStatus.BOOKED: N_("Booked"),
    AppointmentStatus.CONFIRMED: N_("Presence confirmed"),
    AppointmentStatus.ARRIVED: N_("Arrived"),
    AppointmentStatus.NO_SHOW: N_("Missed"),
    AppointmentStatus.COMPLETED: N_("Completed"),
    AppointmentStatus.CANCELLED: N_("Cancelled"),
}
# Still to come: the patient may confirm, cancel, reschedule or say they have arrived.
OPEN_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


class Appointment(Table):
    clinic = ForeignKey(references=Clinic, null=False)
    slot = ForeignKey(references=Slot, null=False)
    site = ForeignKey(references=WorkSite, null=False)
    practitioner = ForeignKey(references=Practitioner, null=False)
    activity = ForeignKey(references=Activity, null=False)
    appointment_type = ForeignKey(references=AppointmentType, null=True, default=None)
    starts_at = Timestamptz()  # copied from the slot, so the agenda and messages need no join
    ends_at = Timestamptz()
    patient = ForeignKey(references=Patient, null=True, default=None)
    # What the patient typed: the confirmation goes there; for an unidentified
    # patient, also the provisional identity staff later attach to a file.
    contact_email = Varchar(length=254, null=True, default=None)
    contact_phone = Varchar(length=32, null=True, default=None)
    provisional = JSON(null=True, default=None)
    language = Varchar(length=2, default="fr")
    service = Integer(null=True, default=None)  # the online service booked, for rescheduling
    source = Varchar(length=8)  # Source: staff | online
    status = Varchar(length=16, default=AppointmentStatus.BOOKED.value)
    reason = Text(default="")
    details = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    created_by = Varchar(length=100, default="")
    cancelled_at = Timestamptz(null=True, default=None)
    cancellation_reason = Text(default="")  # typed by staff when they cancel
    # Another platform's link (Zoom, Teams…), typed by staff: app.booking.video_links.
    video_link = Varchar(length=500, default="")


class BookingSession(Table):
    """The portal wizard's state, kept on the server and keyed by an unguessable token
    carried in the URL (so the wizard works in a third-party iframe without cookies).
    The token is also the hold token of the slot under review. Rows hold personal data
    (what was typed at step 1) and are purged once expired (app.retention)."""

    clinic = ForeignKey(references=Clinic, null=False)
    site = ForeignKey(references=WorkSite, null=False)
    token = Varchar(length=64, unique=True)
    identity = JSON(default="{}")  # what the patient typed at step 1, shown back to them
    patient = ForeignKey(references=Patient, null=True, default=None)
    identified = Varchar(length=16, default="unidentified")  # identified | unidentified
    service = Integer(null=True, default=None)  # online service id (online_services app)
    reason = Text(default="")
    details = Text(default="")
    preference = Varchar(length=8, default="asap")  # asap | date
    from_date = Date(null=True, default=None)
    day_part = Varchar(length=16, null=True, default=None)
    shown = SmallInt(default=5)  # how many availabilities the list shows
    slot = ForeignKey(references=Slot, null=True, default=None)  # under review (held)
    appointment = ForeignKey(references=Appointment, null=True, default=None)
    language = Varchar(length=2, default="fr")
    # Digests, for the limits on live sessions and holds (app.booking.sessions).
    client_key = Varchar(length=64, default="")  # the client's address
    identity_key = Varchar(length=64, default="")  # the person typed (identification.identity_key)
    created_at = Timestamptz()
    expires_at = Timestamptz()
