"""HAProxy in front of the benchmark's app instances, as production runs it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time as timer
from pathlib import Path

CONFIG = """\
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    option forwardfor
    option http-keep-alive
frontend web
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
{servers}
"""


def start_balancer(port: int, app_ports: list[int]) -> subprocess.Popen:
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        raise SystemExit("haproxy is not installed (apt-get install -y haproxy)")
    servers = "\n".join(
        f"    server app{n} 127.0.0.1:{p} check inter 1s fall 2 rise 1 maxconn 200"
        for n, p in enumerate(app_ports, 1)
    )
    folder = Path(tempfile.mkdtemp(prefix="bench-haproxy-"))
    config = folder / "haproxy.cfg"
    config.write_text(CONFIG.format(port=port, servers=servers))
    process = subprocess.Popen(
        [binary, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = timer.monotonic() + 10
    while timer.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                timer.sleep(1.5)  # the first health checks mark the servers up
                return process
        timer.sleep(0.05)
    process.kill()
    raise SystemExit("haproxy did not start")
