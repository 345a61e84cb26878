"""The administration pages listed on the administration index: (route name, label msgid)."""

from app.i18n import N_

ADMIN_PAGES: tuple[tuple[str, str], ...] = (("staff:admin_accounts", N_("Staff accounts")),)
