"""The staff agenda: day and week views per practitioner and per site (SPEC §3, §10).

views.py reads what a view shows in a few queries (typed, frozen), grid.py lays slots out
in rows of time (pure), routes.py answers the URLs, templates/staff/agenda/ draws them."""
