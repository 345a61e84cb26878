"""Stopping a real server a test started (coturn, the OpenID provider, app processes)."""

from __future__ import annotations

import subprocess


def stop_process(process: subprocess.Popen, timeout: float = 5) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
