"""The administration index's entries: one (route name, label msgid) per administration page.

Each administration module adds its own line here; the index (``staff:administration``)
lists those whose route exists, in this order, with the label translated."""

from __future__ import annotations

ADMIN_PAGES: tuple[tuple[str, str], ...] = ()
