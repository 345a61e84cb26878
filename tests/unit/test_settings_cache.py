"""The per-process caches of clinics' sites and services (tenants.cache): a value is read
again once its second is over or once a setting change forgets it; nothing found is never
kept, and a cache never grows past its size."""

from __future__ import annotations

import pytest

from tenants import cache
from tenants.cache import TimedCache


class Source:
    def __init__(self) -> None:
        self.reads = 0
        self.value: str | None = "v1"

    async def load(self) -> str | None:
        self.reads += 1
        return self.value


@pytest.fixture
def now(monkeypatch) -> list[float]:
    moment = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: moment[0])
    return moment


async def test_a_value_is_kept_for_its_second_then_read_again(now):
    kept, source = TimedCache[str, str](), Source()
    assert await kept.get("site", source.load) == "v1"
    source.value = "v2"
    now[0] += cache.SECONDS - 0.01
    assert await kept.get("site", source.load) == "v1"
    assert source.reads == 1
    now[0] += 0.02
    assert await kept.get("site", source.load) == "v2"
    assert source.reads == 2


async def test_a_setting_change_forgets_every_cache_at_once(now):
    from tenants.resolution import forget_cache

    sites, services, source = TimedCache[str, str](), TimedCache[str, str](), Source()
    await sites.get("a", source.load)
    await services.get("b", source.load)
    source.value = "changed"
    forget_cache()  # what app.tenancy_sync calls on every instance
    assert await sites.get("a", source.load) == "changed"
    assert await services.get("b", source.load) == "changed"
    assert source.reads == 4


async def test_nothing_found_is_not_kept(now):
    kept, source = TimedCache[str, str](), Source()
    source.value = None
    for slug in ("made-up-1", "made-up-2", "made-up-1"):
        assert await kept.get(slug, source.load) is None
    assert source.reads == 3
    assert not kept._entries


async def test_the_least_recently_used_make_room(now):
    kept, source = TimedCache[int, str](size=3), Source()
    for key in (1, 2, 3):
        await kept.get(key, source.load)
    await kept.get(1, source.load)  # used again: 2 is now the oldest
    await kept.get(4, source.load)
    assert list(kept._entries) == [3, 1, 4]
