"""Litestar, with the path each route name gives kept once worked out.

Litestar's route_reverse sorts the named route's paths and picks one at every call; a
page builds a dozen links (a slots page, six), and under a booking storm that choice was
a twentieth of the app's time. The route chosen for a name and a set of parameters never
changes once the app is built; the values still go in, checked as Litestar checks them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from litestar import Litestar
from litestar.exceptions import NoRouteMatchFoundException
from litestar.handlers import BaseRouteHandler
from litestar.types.internal_types import PathParameterDefinition
from litestar.utils import join_paths

_STR_ALLOWED = (datetime, date, time, timedelta, float, Path, UUID)  # as Litestar allows


class App(Litestar):
    def route_reverse(self, name: str | BaseRouteHandler, **path_parameters: Any) -> str:
        name = str(name) if isinstance(name, BaseRouteHandler) else name
        key = (name, frozenset(path_parameters))
        paths = self.__dict__.setdefault("_reverse_paths", {})
        components = paths.get(key)
        if components is None:
            components = paths[key] = self._components(name, key[1])
        output: list[str] = []
        for component in components:
            if isinstance(component, PathParameterDefinition):
                value = path_parameters.get(component.name)
                if not isinstance(value, component.type) and (
                    component.type not in _STR_ALLOWED or not isinstance(value, str)
                ):
                    raise NoRouteMatchFoundException(
                        f"Received type for path parameter {component.name} doesn't match "
                        f"declared type {component.type}"
                    )
                output.append(str(value))
            else:
                output.append(component)
        return join_paths(output)

    def _components(self, name: str, passed: frozenset[str]) -> list:
        """The path Litestar would choose: its route with the most parameters passed."""
        handler_index = self.get_handler_index_by_name(name)
        if handler_index is None:
            raise NoRouteMatchFoundException(f"Route {name} can not be found")
        routes = sorted(
            self.asgi_router.route_mapping[handler_index["identifier"]],
            key=lambda r: len(r.path_parameters),
            reverse=True,
        )
        chosen = next(
            (route for route in routes if passed.issuperset(route.path_parameters)), routes[-1]
        )
        return list(chosen.path_components)
