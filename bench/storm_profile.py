"""Where a storm request's time goes: one patient's walk, in process, each step timed
with its SQL statements counted, then the hold and the book under cProfile.

python -m bench.storm_profile --backend sqlite|postgres [--top 25] [--profile refused_hold]

A walk also tries, before its own, the slot the walk before it booked: the refused hold
(the page again, with what is left) that most of a storm's requests are.

Prints, per step, the wall time and this process's CPU time (medians of --repeat walks;
the profiled walks' CPU includes the profiler's) and the statements run, then
the profile's top functions by cumulative time; the figures go to stdout as JSON."""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time as timer

from bench import database
from bench.database import log
from bench.storm import SLOT_ID, identity, open_slots, token_of


async def measure(args) -> dict:
    import httpx

    from app.main import create_app
    from app.seed import seed
    from app.settings import load
    from tests.integration.query_log import recorded_statements
    from tests.integration.web import running

    await database.reset()
    await seed(schedules=False)
    service_id = (await open_slots(args.repeat + 1)).service_id
    steps: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}  # this process's CPU: the app's and the client's
    queries: dict[str, int] = {}
    profiler = cProfile.Profile()
    async with running(create_app(load())) as app:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://demo.localhost"
        ) as client:

            async def step(name: str, request, profile: bool = False):
                with recorded_statements() as counted:
                    started, cpu = timer.perf_counter(), timer.process_time()
                    if profile:
                        profiler.enable()
                    response = await request
                    if profile:
                        profiler.disable()
                    steps.setdefault(name, []).append((timer.perf_counter() - started) * 1000)
                    cpus.setdefault(name, []).append((timer.process_time() - cpu) * 1000)
                queries[name] = len(counted)
                if args.show_sql and profile and n == 1:
                    log(f"-- {name}")
                    for statement in counted:
                        log("   ", statement.sql[:300])
                return response

            profiled = set(args.profile.split(","))
            taken = None  # the slot the walk before booked
            for n in range(args.repeat):
                profile = n > 0  # the first walk warms caches and templates
                page = await step("identify_page", client.get("/centre-ville/"))
                who = {**identity(1 + n), "form_token": token_of(page.text)}
                done = await step("identify", client.post("/centre-ville/", data=who))
                service_url = done.headers["location"]
                page = await step("service_page", client.get(service_url))
                data = {
                    "service": service_id,
                    "reason": "Grippe",
                    "details": "",
                    "preference": "asap",
                    "form_token": token_of(page.text),
                }
                await step("service", client.post(service_url, data=data))
                slots_url = service_url.replace("/service", "/slots")
                listing = await step("slots_page", client.get(slots_url))
                slot = SLOT_ID.findall(listing.text)[0]
                if taken is not None:
                    refused = await step(
                        "refused_hold",
                        client.post(
                            slots_url,
                            data={"slot": taken, "form_token": token_of(listing.text)},
                            headers={"HX-Request": "true"},  # as the storm's phones send it
                        ),
                        profile and "refused_hold" in profiled,
                    )
                    assert refused.status_code == 409, refused.status_code
                held = await step(
                    "hold",
                    client.post(
                        slots_url, data={"slot": slot, "form_token": token_of(listing.text)}
                    ),
                    profile and "hold" in profiled,
                )
                review = await step("review_page", client.get(held.headers["location"]))
                await step(
                    "book",
                    client.post(
                        held.headers["location"], data={"form_token": token_of(review.text)}
                    ),
                    profile and "book" in profiled,
                )
                taken = slot
    figures = {
        name: {
            "median_ms": round(statistics.median(times), 2),
            "cpu_ms": round(statistics.median(cpus[name]), 2),
            "statements": queries[name],
        }
        for name, times in steps.items()
    }
    for name, figure in figures.items():
        log(
            f"  {name:14} {figure['median_ms']:8.2f} ms  cpu {figure['cpu_ms']:6.2f} ms"
            f"  {figure['statements']:3} statements"
        )
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    log(out.getvalue())
    return {"storm_profile": figures}


if __name__ == "__main__":
    database.main(
        __doc__,
        measure,
        repeat=(6, "walks measured (the first warms up)"),
        top=(40, "functions shown from the profile"),
        show_sql=(0, "1: print each step's statements (second walk)"),
        sort=("cumulative", "the profile's order: cumulative or tottime"),
        profile=("hold,book", "the steps profiled: hold, book, refused_hold"),
    )
