"""Whatever a signed-in staff member's browser sends to the staff area (every staff
route, with real or mangled ids, the field names its forms use with good, odd or huge
values, URL-encoded or multipart, with or without htmx's headers), the answer is never a
5xx and the log holds no error (SPEC §11). The CSRF token is real, so requests reach the
handlers; an administrator is signed in, so every page is open to them.

Three tenths of FUZZ_REQUESTS (tests/integration/fuzz_budget.py) are these; every answer
is also checked for an injected script echoed unescaped and the other clinic's name."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import strategies as st

from tests.integration import fuzz_budget
from tests.integration.staff_helpers import signed_in
from tests.integration.test_fuzz_portal import TROUBLE, multipart, never_a_5xx
from tests.integration.test_isolation import SIGNS_OUT, STREAMS, concrete, demo_values

# Kept out: signing out (the walk needs its session) and the one account whose password or
# second factor a lucky example could change (the rest would meet the sign-in page).
LEFT_OUT = {*SIGNS_OUT, *STREAMS, "/staff/account/security/on", "/staff/account/security/off"}


def mangled_ids(path: str):
    """The concrete path, or one of its numbers swapped for a troublemaker."""
    numbers = re.findall(r"/(\d+)(?=/|$)", path)
    if not numbers:
        return st.just(path)
    odd = st.sampled_from(["0", "-1", "9" * 30, "²", "%00", "1.5", "99999999999"])
    swapped = st.builds(
        lambda n, v: path.replace(f"/{n}", f"/{quote(v, safe='%')}", 1),
        st.sampled_from(numbers),
        odd,
    )
    return st.one_of(st.just(path), st.just(path), swapped)


@pytest.fixture
async def staff_area(web_app, demo):
    values = await demo_values(demo)
    await signed_in(demo, "admin@demo.localhost")
    demo.headers["x-csrftoken"] = demo.cookies["csrftoken"]
    routes = []
    for route in web_app.routes:
        if not route.path.startswith("/staff") or route.path in LEFT_OUT:
            continue
        for method in sorted(set(route.methods) & {"GET", "POST"}):
            routes.append((method, concrete(route.path, values)))
    names: set[str] = set()
    token = demo.cookies["csrftoken"]
    for method, path in routes:
        if method == "GET":
            page = await demo.get(path)
            names |= set(re.findall(r'name="([a-z_]{1,40})"', page.text))
            found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
            token = found.group(1) if found else token
    names.discard("_csrf_token")
    return routes, sorted(names), token


def requests(routes, names, token):
    route = st.sampled_from(routes).flatmap(
        lambda r: mangled_ids(r[1]).map(lambda p, m=r[0]: (m, p))
    )
    values = st.one_of(
        st.sampled_from(["", "1", "on", "en", "fr", "2026-11-25", "09:00", "F", "a@example.org"]),
        st.sampled_from(TROUBLE),
        st.sampled_from(fuzz_budget.INJECTED),  # often: a page that echoes one must fail
        st.text(max_size=40),
        st.text(max_size=3).map(lambda t: t * 3000),
    )
    field = st.one_of(st.sampled_from(names), st.text(max_size=8))
    fields = st.lists(st.tuples(field, values), max_size=12)
    body = st.one_of(
        fields.map(lambda f: {"data": {"_csrf_token": token, **dict(f)}}),
        fields.map(lambda f: {"data": {"_csrf_token": token, **dict(f)}}),
        fields.map(
            lambda f: multipart(
                [("_csrf_token", token.encode(), False, None)]
                + [
                    (k, v.encode("utf-8", "replace"), i % 3 == 2, None)
                    for i, (k, v) in enumerate(f)
                ]
            )
        ).map(lambda built: {"content": built[0], "headers": {"content-type": built[1]}}),
    )
    query = st.lists(
        st.tuples(st.sampled_from(["q", "page", "day", "lang", *names[:20]]), values), max_size=3
    )
    headers = st.fixed_dictionaries(
        {},
        optional={
            "hx-request": st.sampled_from(["true", "false"]),
            "hx-target": st.sampled_from(["patient-results", "agenda", "dialog", "x y"]),
        },
    )
    return st.fixed_dictionaries({"route": route, "body": body, "query": query, "headers": headers})


async def send(client, request: dict):
    method, path = request["route"]
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in request["query"])
    url = path + (f"?{query[:16000]}" if query else "")
    headers = {**request["headers"], **request["body"].get("headers", {})}
    if method == "GET":
        return await client.get(url, headers=headers)
    if "data" in request["body"]:
        return await client.post(url, data=request["body"]["data"], headers=headers)
    return await client.post(url, content=request["body"]["content"], headers=headers)


async def test_no_staff_request_gets_a_5xx_or_logs_an_error(demo, staff_area, caplog):
    routes, names, token = staff_area
    assert len(routes) > 40 and len(names) > 30  # the staff area, and the forms' fields
    await never_a_5xx(
        requests(routes, names, token),
        lambda request: send(demo, request),
        caplog,
        "staff requests",
        fuzzer="staff",
        own_clinic=lambda request: "demo",
    )


OTHER_PARAMETERS = {"site_slug": "centre-ville", "view": "week", "day": "2026-11-25"}


async def test_an_id_no_row_can_have_is_404_on_every_route(web_app, demo, staff_area):
    """Each route with an id, its ids replaced by ones beyond a 32-bit serial (which SQLite
    overflows on and PostgreSQL refuses), or zero: the 404 page, on every route."""
    _routes, _names, token = staff_area
    walked = 0
    for route in web_app.routes:
        if ":int}" not in route.path or route.path in LEFT_OUT:
            continue
        for method in sorted(set(route.methods) & {"GET", "POST"}):
            for odd in ("0", str(2**31), "9" * 30):
                path = re.sub(r"\{\w+:int\}", odd, route.path)
                path = re.sub(
                    r"\{(\w+):\w+\}", lambda m: OTHER_PARAMETERS.get(m.group(1), "x"), path
                )
                answer = await demo.request(
                    method, path, data={"_csrf_token": token} if method == "POST" else None
                )
                assert answer.status_code == 404, (method, path, answer.status_code)
                walked += 1
    assert walked > 60
