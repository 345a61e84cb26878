"""The administration index's entries: one (route name, label msgid) per administration page.

Each administration module adds its own line here; the index (``staff:administration``)
lists those whose route exists, in this order, with the label translated."""

from __future__ import annotations

from app.i18n import N_

ADMIN_PAGES: tuple[tuple[str, str], ...] = (
    ("staff:admin_clinic", N_("Clinic")),
    ("staff:admin_sites", N_("Work sites")),
    ("staff:admin_services", N_("Online services")),
    ("staff:admin_catalogue", N_("Activities, appointment types and practitioners")),
    ("staff:admin_accounts", N_("Staff accounts")),
    ("staff:admin_embed", N_("Embed the portal")),
    ("staff:admin_sms_usage", N_("SMS usage")),
    ("staff:admin_reminders", N_("Reminder schedule")),
    ("staff:admin_no_shows", N_("No-show rate")),
    ("staff:admin_payments", N_("Payments")),
)
