"""A clinic's reminder schedule (none stored: the default), and the schedule each
appointment's reminders were planned with, for the no-show rate per schedule."""

from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from app.booking.tables import Appointment
from tenants.tables import Clinic


class ReminderSchedule(Table):
    clinic = ForeignKey(references=Clinic, null=False, unique=True, on_delete=OnDelete.cascade)
    entries = Varchar(length=200)  # app.reminders.schedule's text, e.g. "3d:confirm,1d"
    updated_at = Timestamptz()


class AppointmentReminders(Table):
    """Written each time an appointment's reminders are planned (booked or moved): the
    schedule that applied then. The last planning wins."""

    clinic = ForeignKey(references=Clinic, null=False, on_delete=OnDelete.cascade)
    appointment = ForeignKey(
        references=Appointment, null=False, unique=True, on_delete=OnDelete.cascade
    )
    schedule = Varchar(length=200)
    planned_at = Timestamptz()
