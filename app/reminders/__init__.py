"""Each clinic's reminder schedule, and which schedule an appointment's reminders followed."""
