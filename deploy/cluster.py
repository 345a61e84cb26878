"""Two app instances behind HAProxy on this machine, as production runs them: `make cluster`
(python -m deploy.cluster), and the tests' fixture (tests/cluster.py).

Both instances are `python -m app serve` on the same PostgreSQL (DATABASE_URL) and Redis
(REDIS_URL), with one SECRET_KEY, each trusting X-Forwarded-For from HAProxy only
(TRUSTED_PROXIES); HAProxy (deploy/haproxy.cfg) balances them and checks their /healthz.
`make cluster` also runs one arq worker, which delivers the messages (with REDIS_URL the
web processes leave that to workers)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "haproxy.cfg"
HAPROXY = "/usr/sbin/haproxy"
LOOPBACK = "127.0.0.1"
START_S = 30  # an instance imports the whole app and connects to both services
STOP_S = 12  # uvicorn's graceful shutdown is 10 s (app.live.server)


class ClusterError(Exception):
    """Something did not start; the message says what and where its log is."""


@dataclass(frozen=True)
class Process:
    name: str
    process: subprocess.Popen
    log: Path


@dataclass(frozen=True)
class Instance(Process):
    port: int

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"


@dataclass
class Cluster:
    port: int  # HAProxy's
    instances: list[Instance]  # app1, app2: HAProxy's names for them
    haproxy: Process
    env: Mapping[str, str]  # what the instances share
    logs: Path
    others: tuple[Process, ...] = ()  # the worker, under `make cluster`

    def url(self, clinic: str = "demo", path: str = "/") -> str:
        return f"http://{clinic}.localhost:{self.port}{path}"

    def instance(self, name: str) -> Instance:
        return next(instance for instance in self.instances if instance.name == name)


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or (HAPROXY if Path(HAPROXY).exists() else None)


def instance_env(env: Mapping[str, str], port: int) -> dict[str, str]:
    """An instance's environment: the shared settings, its own port, HAProxy trusted."""
    return {
        **env,
        "HOST": LOOPBACK,
        "PORT": str(port),
        "TRUSTED_PROXIES": env.get("TRUSTED_PROXIES") or LOOPBACK,  # HAProxy connects from here
    }


def start(
    *,
    env: Mapping[str, str],
    port: int,
    instance_ports: tuple[int, int],
    logs: Path,
    show_server: bool = False,
    worker: bool = False,
) -> Cluster:
    """The instances (each healthy), then HAProxy in front of them, then the worker if asked.
    `env` must hold DATABASE_URL, REDIS_URL and SECRET_KEY. On failure everything started
    is stopped again and ClusterError names the log to read."""
    binary = haproxy_binary()
    if binary is None:
        raise ClusterError("haproxy is not installed (Debian package `haproxy`)")
    logs.mkdir(parents=True, exist_ok=True)
    started: list[Process] = []
    try:
        instances = []
        for number, instance_port in enumerate(instance_ports, start=1):
            instance = _spawn_instance(f"app{number}", env, instance_port, logs)
            started.append(instance)
            instances.append(instance)
        for instance in instances:
            _wait_healthy(instance, f"http://{instance.address}/healthz")
        haproxy = _spawn(
            "haproxy",
            [binary, "-db", "-f", str(CONFIG)],
            {
                **env,
                "LB_BIND": f"{LOOPBACK}:{port}",
                **{f"APP{n}": i.address for n, i in enumerate(instances, start=1)},
                **({"LB_SHOW_SERVER": "1"} if show_server else {}),
            },
            logs,
        )
        started.append(haproxy)
        _wait_healthy(haproxy, f"http://{LOOPBACK}:{port}/healthz")
        others = []
        if worker:
            # make worker's command: the worker that rides out Redis restarts
            command = [sys.executable, "-m", "jobs.worker"]
            others.append(_spawn("worker", command, env, logs))
            started.append(others[-1])
        return Cluster(port, instances, haproxy, env, logs, tuple(others))
    except BaseException:
        for process in reversed(started):
            _stop(process)
        raise


def stop(cluster: Cluster) -> None:
    """HAProxy first (no new requests), then the instances, each given its graceful stop."""
    for process in (*cluster.others, cluster.haproxy, *cluster.instances):
        _stop(process)


def restart(cluster: Cluster, name: str) -> Instance:
    """The instance started again on its port (after a crash, say), once healthy; HAProxy
    sends it traffic again after its next two good checks."""
    index = next(n for n, instance in enumerate(cluster.instances) if instance.name == name)
    _stop(cluster.instances[index])
    port = cluster.instances[index].port
    instance = _spawn_instance(name, cluster.env, port, cluster.logs, append=True)
    cluster.instances[index] = instance
    try:
        _wait_healthy(instance, f"http://{instance.address}/healthz")
    except BaseException:
        _stop(instance)
        raise
    return instance


def _spawn_instance(
    name: str, env: Mapping[str, str], port: int, logs: Path, append: bool = False
) -> Instance:
    command = [sys.executable, "-m", "app", "serve"]
    spawned = _spawn(name, command, instance_env(env, port), logs, append)
    return Instance(spawned.name, spawned.process, spawned.log, port)


def _spawn(
    name: str, command: list[str], env: Mapping[str, str], logs: Path, append: bool = False
) -> Process:
    log = logs / f"{name}.log"
    with open(log, "a" if append else "w") as output:  # the child keeps its own descriptor
        process = subprocess.Popen(
            command, cwd=ROOT, env=dict(env), stdout=output, stderr=subprocess.STDOUT
        )
    return Process(name, process, log)


def _wait_healthy(process: Process, url: str) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline and process.process.poll() is None:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise ClusterError(f"{process.name} did not start (GET {url}); see {process.log}")


def _stop(process: Process) -> None:
    if process.process.poll() is not None:
        return
    process.process.send_signal(signal.SIGTERM)
    try:
        process.process.wait(timeout=STOP_S)
    except subprocess.TimeoutExpired:
        process.process.kill()
        process.process.wait()


def _required(env: Mapping[str, str]) -> dict[str, str]:
    """The settings two instances must share, checked before anything starts."""
    from app.settings import VAR, SettingsError, key_file, load_database

    database = load_database(env)
    if database.kind != "postgres":
        raise SettingsError(
            "DATABASE_URL: two instances run on PostgreSQL, e.g. "
            "postgresql://postgres@127.0.0.1:5432/clinic"
        )
    if not env.get("REDIS_URL"):
        raise SettingsError(
            "REDIS_URL: required by two instances (open agendas, setting changes and jobs "
            "go through it), e.g. redis://127.0.0.1:6379/0"
        )
    # One key for both: a session, a form or a link signed by one is good on the other.
    return {**env, "SECRET_KEY": env.get("SECRET_KEY") or key_file(VAR / "secret_key")}


def _interrupted(_signal, _frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    from app.settings import SettingsError

    # Ctrl-C, and SIGTERM from whatever runs this (even where SIGINT came in ignored, as
    # for a background job): everything started is stopped in turn.
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        env = _required(os.environ)
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    port = int(env.get("CLUSTER_PORT", "8000"))
    for command in ("migrate", "seed"):
        if subprocess.run([sys.executable, "-m", "app", command], cwd=ROOT, env=env).returncode:
            return 1
    logs = ROOT / "var" / "cluster"
    try:
        cluster = start(
            env={**env, "PUBLIC_PORT": env.get("PUBLIC_PORT") or str(port)},
            port=port,
            instance_ports=(port + 1, port + 2),
            logs=logs,
            show_server=True,  # this machine only: see which instance answered
            worker=True,
        )
    except ClusterError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        "\n".join(
            [
                "",
                f"Two instances behind HAProxy: {cluster.url('demo', '/centre-ville/')}",
                f"  staff: {cluster.url('demo', '/staff/')}   "
                f"health: http://localhost:{port}/healthz",
                "  instances: "
                + ", ".join(f"{i.name} on {i.address}" for i in cluster.instances)
                + " (X-Served-By names the one that answered)",
                f"  logs: {logs}/ (haproxy.log: one line per request)",
                "Ctrl-C stops them all.",
            ]
        ),
        flush=True,
    )
    try:
        while all(p.process.poll() is None for p in (cluster.haproxy, *cluster.instances)):
            time.sleep(0.5)
        print("a process of the cluster stopped; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(cluster)


if __name__ == "__main__":
    sys.exit(main())
