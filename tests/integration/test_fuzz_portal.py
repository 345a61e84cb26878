"""Whatever a client sends to the portal (the wizard, the details page, the widget, odd
paths and tokens), the answer is never a 5xx and the log holds no error (SPEC §11).

Hypothesis builds each request: a route, with a real session or details token or a
mangled one; every form field and query parameter as a good value, arbitrary text,
raw bytes or a known troublemaker; sent URL-encoded, as raw bytes, or as multipart
parts (some of them files, some in a charset that does not exist); with or without
htmx's headers and a browser's Origin. Real form tokens are among the choices, so
requests get past the token check into the handlers.

Half of FUZZ_REQUESTS (tests/integration/fuzz_budget.py: 1,000 in all in the normal
suite) are the portal's; `python -m bench.fuzz` sends 10,000 (about a request per 10 ms
on this machine). Besides a 5xx or an error, an answer fails on an injected script
echoed unescaped, and on another clinic's name. The app runs on the session's event loop (the
database pool lives there), so hypothesis drives it from a worker thread."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, quote_from_bytes

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.figures
from tests.integration import fuzz_budget
from tests.integration.portal_helpers import (
    MARIE,
    book_marie_follow_up,
    choose_service,
    form_token,
    identify,
    my_sessions,
    open_follow_ups,
    slot_ids,
)
from tests.integration.waitlist_helpers import earlier_offer
from tests.moments import freeze

TROUBLE = [
    *fuzz_budget.INJECTED,
    "²",
    "٣",
    "9" * 5000,
    "\x00",
    "a\x00b",
    "é",
    "-1",
    "0",
    "2147483648",
    " ",
    "%",
    "%00",
    "../",
    "//evil.example/x",
    "\ufeff",
    "𝟗",
    "1e9",
    "１２",
    "<script>",
    "'\"",
    "\r\n",
    "\u202e",
]
WIZARD_FIELDS = [
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "health_insurance_number",
    "cell_phone",
    "email",
    "accept_terms",
    "service",
    "reason",
    "details",
    "preference",
    "from_date",
    "day_part",
    "slot",
    "body",  # the call's chat
    "until",  # "Tell me if an earlier appointment opens" (issue 15)
    "channel",
    "file",
    "contact",  # My appointments (issue 15)
    "code",
    "appointment",
]
QUERY_KEYS = ["lang", "shown", "error", "saved", "done", "slot", "service"]
MAX_QUERY = 16_000


@dataclass(frozen=True)
class Known:
    """Real values from a real walk through the wizard, for the fuzzer to mix in."""

    session: str
    details: str  # the details link's token
    video: str  # a teleconsultation's details link, its room open (NOW is 10 min before)
    form_tokens: tuple[str, ...]
    slots: tuple[str, ...]
    services: tuple[str, ...]
    my_code: str = ""  # a My appointments session waiting for its code
    my_list: str = ""  # and one open
    my_appointments: tuple[str, ...] = ()
    offer: str = ""  # an earlier-slot offer's one-step link token (issue 15)
    stop: str = ""  # its request's "Stop these messages" token


def text_values(known: Known):
    good = st.sampled_from(
        [
            *known.form_tokens,
            *known.slots,
            *known.services,
            *known.my_appointments,
            "asap",
            "date",
            "morning",
            "F",
            "on",
            "fr",
            "en",
            "2026-11-25",
            "email",
            "sms",
            MARIE["email"],
            MARIE["health_insurance_number"],
        ]
    )
    return st.one_of(
        good,
        st.sampled_from(TROUBLE),
        st.sampled_from(fuzz_budget.INJECTED),  # often: a page that echoes one must fail
        st.text(max_size=40),
        st.text(max_size=3).map(lambda t: t * 2000),
    )


def tokens(real: str):
    mangled = st.one_of(
        st.just(real),
        st.just(real),
        st.just(real),
        st.builds(lambda t, c: t[:-1] + c, st.just(real), st.characters()),
        st.builds(
            lambda t, n: t.replace(".", n, 1),
            st.just(real),
            st.sampled_from(["9" * 5000, "²", ".", ""]),
        ),
        st.sampled_from(TROUBLE),
        st.text(max_size=60),
    )
    return mangled.map(lambda t: quote(t, safe=""))


def routes(known: Known):
    """(method, path): mostly what the pages do, sometimes any method anywhere."""
    site = st.sampled_from(
        ["centre-ville"] * 8 + ["laval", "principal", "nope", "a", "static", "²", "x" * 300]
    )
    session = tokens(known.session)
    details = st.one_of(tokens(known.details), tokens(known.video))
    step = st.sampled_from(
        [
            ("GET", "service"),
            ("POST", "service"),
            ("GET", "slots"),
            ("POST", "slots"),
            ("GET", "review"),
            ("POST", "review"),
            ("GET", "done"),
            ("GET", "other"),
            # "Tell me if an earlier appointment opens" (issue 15).
            ("GET", "earlier"),
            ("POST", "earlier"),
        ]
    )
    wizard = st.builds(lambda s, t, m: (m[0], f"/{s}/b/{t}/{m[1]}"), site, session, step)
    action = st.sampled_from(
        [
            ("GET", ""),
            ("GET", "/calendar.ics"),
            ("GET", "/reschedule"),
            ("POST", "/reschedule"),
            ("POST", "/cancel"),
            ("POST", "/confirm"),
            ("POST", "/arrive"),
            ("POST", "/delete"),
            # The video room of a teleconsultation, its chat and files (issue 13).
            ("GET", "/room"),
            ("GET", "/room/chat"),
            ("POST", "/room/messages"),
            ("POST", "/room/files"),
            ("GET", "/room/files/" + "k" * 43),
            # The patient's "Pay" and the dev payment page (issue 14).
            ("GET", "/pay"),
            ("POST", "/pay/dev"),
        ]
    )
    appointment = st.builds(lambda t, m: (m[0], f"/a/{t}{m[1]}"), details, action)
    # My appointments (issue 15): the code page, the list, Book again, signing out.
    my_action = st.sampled_from(
        [("GET", "/code"), ("POST", "/code"), ("GET", ""), ("POST", "/again"), ("POST", "/out")]
    )
    my_token = st.one_of(tokens(known.my_code), tokens(known.my_list))
    mine = st.builds(lambda s, t, m: (m[0], f"/{s}/my/{t}{m[1]}"), site, my_token, my_action)
    page = st.sampled_from(
        [
            ("GET", "/"),
            ("POST", "/"),
            ("POST", "/"),
            ("GET", "/widget.js"),
            ("GET", "/embed"),
            ("GET", "/my"),
            ("POST", "/my"),
        ]
    )
    webhook = st.sampled_from(
        [
            ("POST", "/payments/webhook"),
            ("POST", "/platforms/reacts/webhook"),
            ("POST", "/sms/inbound"),  # the SMS provider's (issue 15)
        ]
    )
    plain = st.builds(lambda s, m: (m[0], f"/{s}{m[1]}"), site, page)
    # An earlier-slot offer's link and its stop link (issue 15).
    earlier = st.one_of(
        st.builds(
            lambda s, t, m: (m, f"/{s}/earlier/{t}"),
            site,
            tokens(known.offer),
            st.sampled_from(["GET", "POST"]),
        ),
        st.builds(
            lambda s, t, m: (m, f"/{s}/earlier/stop/{t}"),
            site,
            tokens(known.stop),
            st.sampled_from(["GET", "POST"]),
        ),
    )
    odd_path = st.one_of(
        st.sampled_from(
            [
                "/",
                "//evil.example/x",
                "/dev/outbox",
                "/healthz",
                # The providers' webhooks, sent anything (issue 14).
                "/payments/webhook",
                "/platforms/reacts/webhook",
                "/sms/inbound",
                "/static/css/app.css/x",
                "/static/%00",
                "/%00",
            ]
        ),
        st.text(max_size=30).map(lambda t: "/" + quote(t, safe="/")),
        st.binary(max_size=30).map(lambda b: "/" + quote_from_bytes(b, safe="/")),
    )
    anything = st.tuples(
        st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE"]),
        st.one_of(
            odd_path,
            wizard.map(lambda r: r[1]),
            appointment.map(lambda r: r[1]),
            mine.map(lambda r: r[1]),
        ),
    )
    return st.one_of(
        wizard, wizard, wizard, appointment, appointment, mine, plain, webhook, earlier, anything
    )


def multipart(fields: list[tuple[str, bytes, bool, str | None]]) -> tuple[bytes, str]:
    boundary = "fuzzboundary7MA4YWxkTrZu0gW"
    body = b""
    for name, value, as_file, charset in fields:
        disposition = f'form-data; name="{name}"' + ('; filename="x.txt"' if as_file else "")
        kind = f"\r\nContent-Type: text/plain; charset={charset}" if charset else ""
        body += (
            f"--{boundary}\r\nContent-Disposition: {disposition}{kind}\r\n\r\n".encode(
                "utf-8", "replace"
            )
            + value
            + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def requests(known: Known):
    values = text_values(known)
    names = st.one_of(st.sampled_from(["form_token", *WIZARD_FIELDS]), st.text(max_size=10))
    real_token = st.one_of(st.sampled_from(known.form_tokens), values)
    # Mostly a form as the page would send it (a form token, some of the fields), else anything.
    fields = st.one_of(
        st.fixed_dictionaries(
            {"form_token": real_token}, optional={name: values for name in WIZARD_FIELDS}
        ).map(lambda d: list(d.items())),
        st.lists(st.tuples(names, values), max_size=10),
    )
    as_bytes = st.one_of(values.map(lambda v: v.encode("utf-8", "replace")), st.binary(max_size=60))
    part = st.tuples(
        names, as_bytes, st.booleans(), st.sampled_from([None, None, "utf-8", "latin-1", "klingon"])
    )
    token_part = real_token.map(lambda t: ("form_token", t.encode("utf-8", "replace"), False, None))
    parts = st.tuples(token_part, st.lists(part, max_size=8)).map(lambda p: [p[0], *p[1]])
    query = st.lists(
        st.tuples(st.one_of(st.sampled_from(QUERY_KEYS), st.text(max_size=8)), values), max_size=3
    )
    header_text = st.text(
        st.characters(blacklist_categories=("Cc", "Cs")), max_size=20
    )  # what HTTP can carry
    headers = st.fixed_dictionaries(
        {},
        optional={
            "hx-request": st.sampled_from(["true", "false", "²"]),
            "hx-boosted": st.just("true"),
            "hx-history-restore-request": st.just("true"),
            "origin": st.sampled_from(
                ["http://demo.localhost"] * 4 + ["https://evil.example", "null", "²"]
            ),
            "sec-fetch-site": st.sampled_from(
                ["same-origin"] * 4 + ["cross-site", "same-site", "none", "x"]
            ),
            "accept-language": st.one_of(
                st.sampled_from(["en", "fr-CA", "*", "de;q=x"]), header_text
            ),
            "cookie": st.one_of(
                st.sampled_from(["lang=en", "lang=²", "csrftoken=x", "a"]), header_text
            ),
            "host": st.sampled_from(
                [
                    "demo.localhost",
                    "autre.localhost",
                    "localhost",
                    "demo.localhost:abc",
                    "x.demo.localhost",
                ]
            ),
        },
    )
    body = st.one_of(
        fields.map(lambda f: {"data": dict(f)}),
        fields.map(lambda f: {"data": dict(f)}),
        st.lists(st.tuples(st.text(max_size=10), st.binary(max_size=40)), max_size=6).map(
            lambda pairs: {
                "content": b"&".join(k.encode("utf-8", "replace") + b"=" + v for k, v in pairs),
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            }
        ),
        parts.map(multipart).map(
            lambda built: {"content": built[0], "headers": {"content-type": built[1]}}
        ),
    )
    return st.fixed_dictionaries(
        {
            "route": routes(known),
            "query": query,
            "headers": headers,
            "body": body,
        }
    )


async def send(client: httpx.AsyncClient, request: dict) -> httpx.Response:
    headers = {
        k: v.encode()
        for k, v in {**request["headers"], **request["body"].get("headers", {})}.items()
    }
    # A URL stays under what servers and httpx accept (64 KiB); 5,000 nines still fit.
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in request["query"])[
        :MAX_QUERY
    ]
    method, path = request["route"]
    url = path + (f"?{query}" if query else "")
    if method in ("GET", "HEAD"):
        return await client.request(method, url, headers=headers)
    body = request["body"]
    if "data" in body:
        return await client.request(method, url, data=body["data"], headers=headers)
    return await client.request(method, url, content=body["content"], headers=headers)


@pytest.fixture
async def known(demo) -> Known:
    freeze()
    await open_follow_ups(days=3)
    done = await book_marie_follow_up(demo)
    details = re.search(r'href="/a/([^"]+)"', done).group(1)
    service_url = (await identify(demo, MARIE)).headers["location"]
    await choose_service(demo, service_url, "Suivi avec mon médecin de famille")
    slots_url = service_url.replace("/service", "/slots")
    listing = await demo.get(slots_url)
    details_page = await demo.get(f"/a/{details}")
    identify_page = await demo.get("/centre-ville/")
    service_page = await demo.get(service_url)
    services = tuple(re.findall(r'<option value="(\d+)"', service_page.text))
    from tests.integration.video_helpers import book_teleconsultation
    from tests.moments import NOW

    video = await book_teleconsultation(NOW + timedelta(minutes=10))
    chat_page = await demo.get(f"/a/{video.token}/room/chat")
    my_code, my_list = await my_sessions(demo)
    my_pages = [await demo.get(f"/centre-ville/my{p}") for p in ("", f"/{my_code}/code")]
    my_pages.append(await demo.get(f"/centre-ville/my/{my_list}"))
    offer, stop = await earlier_offer(service_url.split("/b/")[1].split("/")[0])
    offer_page = await demo.get(f"/centre-ville/earlier/{offer}")
    stop_page = await demo.get(f"/centre-ville/earlier/stop/{stop}")
    assert offer_page.status_code == stop_page.status_code == 200
    return Known(
        session=service_url.split("/b/")[1].split("/")[0],
        details=details,
        video=video.token,
        form_tokens=tuple(
            {
                form_token(p.text)
                for p in (
                    listing,
                    details_page,
                    identify_page,
                    chat_page,
                    offer_page,
                    stop_page,
                    *my_pages,
                )
            }
        ),
        slots=tuple(str(s) for s in slot_ids(listing.text)),
        services=services,
        my_code=my_code,
        my_list=my_list,
        my_appointments=tuple(re.findall(r'name="appointment" value="(\d+)"', my_pages[-1].text)),
        offer=offer,
        stop=stop,
    )


async def never_a_5xx(
    strategy, send_one, caplog, what: str, *, fuzzer: str, own_clinic=None
) -> None:
    """Sends each request hypothesis draws from `strategy` (`send_one(request)` answers
    it, fuzzer's share of the budget); fails on the first 5xx, error logged, injected
    script echoed unescaped, or (with `own_clinic(request)`, the clinic whose host was
    asked) another clinic's name, with the request that caused it. With FIGURES_REPORT,
    counts them all and fails at the end."""
    caplog.set_level(logging.ERROR)
    loop = asyncio.get_running_loop()
    answered: dict[int, int] = {}
    figures = fuzz_budget.Figures()
    first: list = []  # the first offending request, when counting
    seen_logs = [0]

    def offends(problem: bool, detail) -> None:
        if not problem:
            return
        if tests.figures.REPORT is None:
            raise AssertionError(detail)
        first[:] = first or [detail]

    @settings(
        max_examples=fuzz_budget.examples(fuzzer),
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    @given(strategy)
    def never_fails(request):
        response = asyncio.run_coroutine_threadsafe(send_one(request), loop).result(timeout=60)
        answered[response.status_code] = answered.get(response.status_code, 0) + 1
        figures.requests += 1
        figures.server_errors += response.status_code >= 500
        offends(response.status_code >= 500, (response.status_code, request))
        records = caplog.records[seen_logs[0] :]
        seen_logs[0] = len(caplog.records)
        logged = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
        figures.errors_logged += len(logged)
        offends(bool(logged), (logged, request))
        echoed = fuzz_budget.unescaped_echo(response)
        figures.unescaped_echoes += echoed is not None
        offends(echoed is not None, (f"{echoed!r} echoed unescaped", request))
        if own_clinic is not None:
            leaked = fuzz_budget.foreign_name(response, own_clinic(request))
            figures.foreign_clinic_leaks += leaked is not None
            offends(leaked is not None, (f"{leaked!r} in the answer", request))

    started = loop.time()
    await asyncio.to_thread(never_fails)
    figures.seconds = round(loop.time() - started, 2)
    fuzz_budget.record(fuzzer, figures)
    print(f"\n{sum(answered.values())} {what}, by status: {dict(sorted(answered.items()))}")
    assert not first, first[0]


def host_clinic(request: dict) -> str | None:
    return fuzz_budget.clinic_of(request["headers"].get("host", "demo.localhost"))


async def test_no_request_gets_a_5xx_or_logs_an_error(demo, known, caplog):
    await never_a_5xx(
        requests(known),
        lambda request: send(demo, request),
        caplog,
        "fuzzed requests",
        fuzzer="portal",
        own_clinic=host_clinic,
    )
