"""The administration index's entries: (route name, label msgid), one line per page,
added by each administration area (the index lists those whose route exists)."""

from app.i18n import N_

ADMIN_PAGES: tuple[tuple[str, str], ...] = (("staff:admin_services", N_("Online services")),)
