"""deploy/haproxy.cfg is a configuration HAProxy accepts, with and without the header that
names the instance; `make cluster` refuses settings two instances cannot share."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import require
from deploy.cluster import CONFIG, ROOT, haproxy_binary

ADDRESSES = {"LB_BIND": "127.0.0.1:18000", "APP1": "127.0.0.1:18001", "APP2": "127.0.0.1:18002"}


@pytest.mark.parametrize("show_server", [False, True])
def test_haproxy_accepts_the_configuration(show_server):
    binary = haproxy_binary()
    require("HAProxy (apt-get install haproxy)", binary is not None)
    env = {
        "PATH": os.environ["PATH"],
        **ADDRESSES,
        **({"LB_SHOW_SERVER": "1"} if show_server else {}),
    }
    checked = subprocess.run(
        [binary, "-c", "-f", str(CONFIG)], env=env, capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Configuration file is valid" in checked.stdout
    assert "WARNING" not in checked.stdout + checked.stderr


@pytest.mark.parametrize(
    "env, variable",
    [
        ({"DATABASE_URL": "sqlite:///var/clinic.db", "REDIS_URL": "redis://x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://u@127.0.0.1:5432/clinic"}, "REDIS_URL"),
    ],
)
def test_make_cluster_says_which_setting_two_instances_need(env, variable):
    refused = subprocess.run(
        [sys.executable, "-m", "deploy.cluster"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "SECRET_KEY": "x" * 32, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Configuration error: {variable}:"), lines
