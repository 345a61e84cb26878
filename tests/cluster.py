"""Two real app instances behind a real HAProxy for the tests: deploy/cluster.py (what
`make cluster` runs) on free ports, on the suite's database (DATABASE_URL, CLOCK_OFFSET_SECONDS
and SECRET_KEY come from the root conftest, so the instances share the suite's clock) and
a Redis database of the suite's.

    with running_cluster(redis_url, logs) as cluster:
        async with browser(cluster, "127.0.1.7") as patient: ...

A browser connects from an address of its own on the loopback network (127.0.0.0/8 is all
this machine's): HAProxy forwards that address in X-Forwarded-For and the app, trusting
HAProxy only, counts every limit by it, as it would count real patients behind the load
balancer. HAProxy names the instance that answered (X-Served-By: app1 or app2) and logs
one line per request (`requests`). Without haproxy the tests that need it are skipped,
and fail under CI=true."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from conftest import free_port, require
from deploy.cluster import Cluster, haproxy_binary, restart, start, stop

INSTANCES = ("app1", "app2")


@contextlib.contextmanager
def running_cluster(redis_url: str, logs: Path) -> Iterator[Cluster]:
    require("HAProxy (apt-get install haproxy)", haproxy_binary() is not None)
    cluster = start(
        env={**os.environ, "REDIS_URL": redis_url},
        port=free_port(),
        instance_ports=(free_port(), free_port()),
        logs=logs,
        show_server=True,
    )
    try:
        yield cluster
    finally:
        stop(cluster)


def browser(
    cluster: Cluster, address: str, clinic: str = "demo", instance: str | None = None
) -> httpx.AsyncClient:
    """A browser at `address` (127.x.y.z) on the clinic's host: through HAProxy, or straight
    to one instance (`instance`: app1 or app2) as HAProxy itself would reach it."""
    port = cluster.instance(instance).port if instance else cluster.port
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Host": f"{clinic}.localhost"},
        transport=httpx.AsyncHTTPTransport(local_address=address),
        timeout=httpx.Timeout(20, read=None),
    )


def served_by(response: httpx.Response) -> str | None:
    return response.headers.get("x-served-by")


def both_serving(cluster: Cluster, timeout: float = 15) -> None:
    """Every instance running (a killed one started again) and HAProxy sending each of
    them traffic: health checks through the load balancer until both have answered."""
    for instance in cluster.instances:
        if instance.process.poll() is not None:
            restart(cluster, instance.name)
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while seen != set(INSTANCES):
        assert time.monotonic() < deadline, f"HAProxy sends no traffic to {set(INSTANCES) - seen}"
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.get(f"http://127.0.0.1:{cluster.port}/healthz", timeout=2)
            if answer.status_code == 200:
                seen.add(served_by(answer) or "")
        time.sleep(0.05)


@dataclass(frozen=True)
class Logged:
    """One request as HAProxy logged it."""

    client: str
    server: str  # app1, app2, or <NOSRV>
    status: int
    termination: str  # HAProxy's two letters: "--" for a normal end, "SH" cut by the server...
    method: str
    path: str


# option httplog: client:port [date] frontend backend/server Tq/Tw/Tc/Tr/Ta status bytes
# - - termination conns queues "METHOD path HTTP/1.1"
_LINE = re.compile(
    r"^(?P<client>[\d.]+):\d+ \[[^\]]+\] \S+ \S+/(?P<server>\S+) \S+ (?P<status>-?\d+) \S+ "
    r"\S+ \S+ (?P<termination>\S{4}) \S+ \S+ \"(?P<method>\S+) (?P<path>\S+)"
)


def requests(cluster: Cluster) -> list[Logged]:
    found = []
    for line in cluster.haproxy.log.read_text().splitlines():
        if match := _LINE.match(line):
            found.append(
                Logged(
                    match["client"],
                    match["server"],
                    int(match["status"]),
                    match["termination"][:2],
                    match["method"],
                    match["path"],
                )
            )
    return found


def server_went_down(cluster: Cluster, name: str) -> bool:
    return f"Server app/{name} is DOWN" in cluster.haproxy.log.read_text()
