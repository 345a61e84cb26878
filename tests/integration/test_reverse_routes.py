"""app.reverse_routes keeps the path chosen for each route name: for every named route of
the app, with its parameters, it gives what Litestar's own route_reverse gives, and
refuses a value of the wrong type as Litestar does."""

from __future__ import annotations

from datetime import date

import pytest
from litestar import Litestar
from litestar.exceptions import NoRouteMatchFoundException
from litestar.types.internal_types import PathParameterDefinition

from app.main import create_app
from app.settings import load

SAMPLES = {int: 42, str: "centre-ville", date: date(2026, 11, 23)}


def named_routes(app: Litestar):
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if handler.name:
                yield (
                    handler.name,
                    {
                        part.name: part.type
                        for part in route.path_components
                        if isinstance(part, PathParameterDefinition)
                    },
                )


def test_every_named_route_reverses_as_litestar_reverses_it():
    app = create_app(load())
    checked = 0
    for name, parameters in named_routes(app):
        if not all(kind in SAMPLES or kind.__name__ == "Path" for kind in parameters.values()):
            continue
        values = {key: SAMPLES.get(kind, "css/site.css") for key, kind in parameters.items()}
        for _ in range(2):  # worked out, then kept
            assert app.route_reverse(name, **values) == Litestar.route_reverse(app, name, **values)
        checked += 1
    assert checked > 100


def test_a_value_of_the_wrong_type_and_an_unknown_name_are_refused():
    app = create_app(load())
    app.route_reverse("portal:slots", site_slug="centre-ville", token="t")
    with pytest.raises(NoRouteMatchFoundException):
        app.route_reverse("staff:admin_account", account_id="not a number")
    with pytest.raises(NoRouteMatchFoundException):
        app.route_reverse("no:such:route")
