"""Opening and closing schedules, and schedule templates (staff:schedules_*)."""
