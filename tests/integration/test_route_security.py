"""Security checks walked over the app's route table, so a new route is covered the day it
is added: the headers on every page (and on every answer to a form), each cookie's
flags, the CSRF token required by every staff write, and a staff session of one clinic
opening nothing on another's host. And the isolation sweep's own guard: a route with a
parameter the sweep has no value for fails it."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from html.parser import HTMLParser

import httpx
import pytest
from litestar import Litestar, get

from app.main import create_app
from app.settings import load
from app.staff.sessions import COOKIE as STAFF_COOKIE
from tenants.resolution import forget_cache
from tenants.tables import Clinic
from tests.integration import fuzz_budget
from tests.integration.staff_helpers import sign_in, signed_in
from tests.integration.test_isolation import (
    SIGNS_OUT,
    STREAMS,
    concrete,
    concrete_routes,
    demo_values,
)
from tests.integration.web import clinic_client, running

WEBSITE = "https://www.clinique-demo.ca"  # the website the demo clinic embeds its portal on
POLICY = re.compile(
    r"default-src 'self'; script-src 'self' 'sha256-[A-Za-z0-9+/]{43}='; object-src 'none'; "
    r"base-uri 'none'; form-action 'self'; frame-ancestors (?P<ancestors>.+)"
)
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Left out of the walks that sign in and post: signing out ends the walk's session; the
# second factor's on/off would change the account the walk is signed in with.
KEEPS_SESSION = {*SIGNS_OUT, "/staff/account/security/on", "/staff/account/security/off"}


def walked(app: Litestar, values: dict[str, str], methods: set[str], prefix: str = "/"):
    """(method, concrete path) for every route of `app` under `prefix` and these methods."""
    for route in app.routes:
        if route.path in STREAMS or not route.path.startswith(prefix):
            continue
        path = (
            "/static/css/app.css"
            if route.path == "/static/{file_path:path}"
            else concrete(route.path, values)
        )
        for method in sorted(set(route.methods) & methods):
            yield method, path


def ancestors(response: httpx.Response) -> str:
    policy = response.headers.get("content-security-policy", "")
    found = POLICY.fullmatch(policy)
    assert found, f"{response.request.method} {response.request.url.path}: policy {policy!r}"
    return found.group("ancestors")


def assert_protective(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "no-referrer", where
    assert response.status_code < 500, where


@pytest.fixture
async def walk(web_app, demo, autre):
    """Real values for every path parameter; the demo clinic's portal embeddable on its
    website; each clinic's administrator signed in on its own host."""
    values = await demo_values(demo)
    await Clinic.update({Clinic.embed_origins: WEBSITE}).where(Clinic.slug == "demo")
    forget_cache()
    await signed_in(demo, "admin@demo.localhost")
    await signed_in(autre, "admin@autre.localhost")
    return values


async def test_every_page_carries_the_headers_and_frames_only_where_the_clinic_says(
    web_app, demo, autre, walk
):
    pages = 0
    for method, path in walked(web_app, walk, {"GET"}):
        if path in KEEPS_SESSION:
            continue
        own, other = await demo.get(path), await autre.get(path)
        for response in (own, other):
            assert_protective(response)
        # The portal may be framed by the website the demo clinic lists, on its host only;
        # the staff area, the other clinic's pages and the platform's own by no one else.
        embeddable = not path.startswith(("/staff", "/static", "/healthz"))
        assert ancestors(own) == ("'self' " + WEBSITE if embeddable else "'self'"), path
        assert ancestors(other) == "'self'", path
        pages += 1
    assert pages > 60  # every GET route of the portal, the staff area and the rest


async def test_every_cookie_is_httponly_lax_and_secure_under_https(demo_data):
    """Every cookie the app sets on a browser's way through (the CSRF cookie, the language,
    the staff session) is out of scripts' reach and not sent by cross-site requests;
    under https (PUBLIC_SCHEME) each is Secure, and none is on plain http."""
    for scheme in ("http", "https"):
        settings = dataclasses.replace(load(), public_scheme=scheme)
        async with running(create_app(settings)) as app:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"{scheme}://demo.localhost"
            ) as client:
                answers = [
                    await client.get("/centre-ville/?lang=en"),
                    await client.get("/staff/sign-in"),
                    await sign_in(client, "admin@demo.localhost"),
                    await client.get("/staff/?lang=fr"),
                ]
        cookies = [c for answer in answers for c in answer.headers.get_list("set-cookie")]
        names = {cookie.split("=")[0] for cookie in cookies}
        assert names == {"csrftoken", "lang", STAFF_COOKIE}, names
        for cookie in cookies:
            flags = {flag.strip().split("=")[0].lower(): flag for flag in cookie.split(";")[1:]}
            assert "httponly" in flags and "domain" not in flags, cookie
            assert flags["samesite"].strip().lower() == "samesite=lax", cookie
            assert ("secure" in flags) == (scheme == "https"), cookie


async def row_counts() -> dict[str, int]:
    from piccolo.conf.apps import Finder

    return {t._meta.tablename: await t.count() for t in Finder().get_table_classes()}


async def test_every_staff_write_without_the_csrf_token_is_refused(web_app, demo, walk):
    """Every POST, PUT, PATCH and DELETE route under /staff, signed in as an administrator
    (so no role stops it first): without the token, or with another browser's, 403 and
    nothing written; with the page's own token the same request gets past the check."""
    others_token = None
    async with clinic_client(web_app, "demo") as stranger:
        await stranger.get("/staff/sign-in")
        others_token = stranger.cookies["csrftoken"]
    token = demo.cookies["csrftoken"]
    before = await row_counts()
    writes = [(m, p) for m, p in walked(web_app, walk, WRITES, "/staff") if p not in KEEPS_SESSION]
    assert len(writes) > 40
    for method, path in writes:
        for refused in (
            await demo.request(method, path, data={"note": "x"}),
            await demo.request(method, path, data={"_csrf_token": others_token}),
            await demo.request(method, path, headers={"x-csrftoken": others_token}),
        ):
            assert refused.status_code == 403, (method, path, refused.status_code)
            assert_protective(refused)
    assert await row_counts() == before, "a write without the token changed the database"
    # The control: the check, not something else, refused them.
    for method, path in writes:
        allowed = await demo.request(method, path, data={"_csrf_token": token})
        assert allowed.status_code != 403 or "rôle" in allowed.text, (method, path)


async def test_a_staff_session_of_one_clinic_is_no_session_on_another(web_app, demo, autre, walk):
    """Demo's administrator's session cookie sent to the other clinic's host, on every
    staff route: the same answer as with no session at all (the sign-in page), never a
    staff page; posts carry the other host's own CSRF token, so only the session decides."""
    session = demo.cookies[STAFF_COOKIE]
    token = autre.cookies["csrftoken"]
    routes = [
        (m, p)
        for m, p in walked(web_app, walk, {"GET", *WRITES}, "/staff")
        if p not in KEEPS_SESSION
    ]
    compared = 0
    async with clinic_client(web_app, "autre") as anonymous:
        await anonymous.get("/staff/sign-in")
        for method, path in routes:
            data = {"_csrf_token": token} if method != "GET" else None
            foreign = await autre.request(
                method,
                path,
                data=data,
                headers={"cookie": f"csrftoken={token}; {STAFF_COOKIE}={session}"},
            )
            data_anonymous = (
                {"_csrf_token": anonymous.cookies["csrftoken"]} if method != "GET" else None
            )
            nobody = await anonymous.request(method, path, data=data_anonymous)
            where = (method, path, foreign.status_code, nobody.status_code)
            assert foreign.status_code == nobody.status_code, where
            assert foreign.headers.get("location") == nobody.headers.get("location"), where
            assert "Clinique Démo" not in foreign.text and "Admin Autre" not in foreign.text
            compared += 1
    assert compared > 80


def test_the_isolation_sweep_fails_on_a_route_it_has_no_value_for():
    """A new route whose path parameter the sweep cannot fill stops the sweep with a
    message naming it (test_isolation raises when a '{' is left after `concrete`); a
    parameter it knows (an appointment id, a token) is filled, so the route is walked
    with the demo clinic's value on both hosts."""

    @get("/staff/gadgets/{gadget_id:int}", sync_to_thread=False)
    def gadget(gadget_id: int) -> str:
        return "gadget"

    @get("/staff/gadgets/for/{appointment_id:int}", sync_to_thread=False)
    def for_appointment(appointment_id: int) -> str:
        return "gadget"

    values = defaultdict(lambda: "42")
    known = Litestar(route_handlers=[for_appointment], openapi_config=None)
    assert [p for _, p in concrete_routes(known.routes, values)] == ["/staff/gadgets/for/42"]
    unknown = Litestar(route_handlers=[gadget, for_appointment], openapi_config=None)
    with pytest.raises(AssertionError, match=r"no value for a parameter of /staff/gadgets/\{"):
        list(concrete_routes(unknown.routes, values))


class Forms(HTMLParser):
    """The POST forms of a page: where each goes, its hidden values, its other fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "method": found.get("method", "get").lower(),
                    "action": found.get("action", ""),
                    "hidden": {},
                    "fields": set(),
                }
            )
        elif tag in ("input", "textarea", "select") and self.forms and found.get("name"):
            form = self.forms[-1]
            if found.get("type") == "hidden":
                form["hidden"][found["name"]] = found.get("value", "")
            elif found.get("type") not in ("submit", "button", "file"):
                form["fields"].add(found["name"])


MARKUP = '"><svg onload=fuzz(2)><script>fuzz(1)</script>'


async def test_a_script_typed_into_any_form_comes_back_escaped(web_app, demo, walk):
    """Every POST form of every page (the portal's and the staff area's, an administrator
    signed in), sent with markup in each of its fields: the answer never carries it as
    markup, and neither does any page afterwards (what was saved is escaped too)."""
    pages = [p for m, p in walked(web_app, walk, {"GET"}) if p not in KEEPS_SESSION]
    sent = 0
    for page in pages:
        answer = await demo.get(page)
        if "html" not in answer.headers.get("content-type", ""):
            continue
        parser = Forms()
        parser.feed(answer.text)
        for form in parser.forms:
            action = form["action"] or page
            if form["method"] != "post" or action.split("?")[0] in KEEPS_SESSION:
                continue
            data = {**{name: MARKUP for name in form["fields"]}, **form["hidden"]}
            reply = await demo.post(action, data=data)
            assert_protective(reply)
            assert not fuzz_budget.unescaped_echo(reply) and "<svg onload" not in reply.text, (
                action,
                reply.status_code,
            )
            sent += 1
    print(f"\n{sent} forms posted with markup, from {len(pages)} pages")
    assert sent > 40, sent
    for page in pages:
        again = await demo.get(page)
        if "html" in again.headers.get("content-type", ""):  # a CSV export runs no markup
            assert "<svg onload" not in again.text and "<script>fuzz" not in again.text, page
