"""Per-process caches of what a clinic configures and every portal request reads (its
sites, its online services): a storm of patients on one clinic then reads them about once
a second instead of at every request.

A setting change forgets them all on every instance at once (app.tenancy_sync, with the
host → clinic cache); the short lifetime bounds what a lost message or a change made
outside the app (a migration, a script) can leave in force: SPEC §12's one second. Values
must be immutable (frozen dataclasses, tuples): every request shares them."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

SECONDS = 1.0
SIZE = 4096  # entries per cache: far more than the clinics and sites one instance serves

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")

_caches: list[TimedCache] = []


class TimedCache(Generic[Key, Value]):
    def __init__(self, seconds: float = SECONDS, size: int = SIZE) -> None:
        self.seconds, self.size = seconds, size
        self._entries: OrderedDict[Key, tuple[float, Value]] = OrderedDict()
        _caches.append(self)

    async def get(self, key: Key, load: Callable[[], Awaitable[Value]]) -> Value:
        """The value kept for `key`, or what `load` reads now. None is never kept: keys a
        stranger invents (a site slug) must not fill the cache."""
        now = time.monotonic()
        found = self._entries.get(key)
        if found is not None and now - found[0] < self.seconds:
            self._entries.move_to_end(key)
            return found[1]
        value = await load()
        if value is None:
            self._entries.pop(key, None)
            return value
        self._entries[key] = (now, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    def forget(self) -> None:
        self._entries.clear()


def forget_all() -> None:
    for cache in _caches:
        cache.forget()
