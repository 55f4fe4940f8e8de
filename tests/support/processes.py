"""`cxreport serve` as a real process on a loopback port, for tests that kill it, run several, or need it
outside the test process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from support.servers import free_port

COMMAND = str(Path(sys.executable).parent / "cxreport")


def launch_server(database_url: str, port: int | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    """`cxreport serve` on a loopback port, started but not yet waited for; without rate limits (these tests'
    clients share a key and outrun 100 requests/s: tests/test_limits.py checks the limits)."""
    port = port or free_port()
    process = subprocess.Popen(
        [COMMAND, "serve", "--database", database_url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "CXREPORT_RATE_LIMIT": "0"},
    )
    return f"http://127.0.0.1:{port}", process


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    """Return once `/health` answers 200; fail if the server exits or takes over 30 s (then kill it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"cxreport serve exited at start with status {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:  # not listening yet: poll again until the deadline
            pass
        time.sleep(0.05)
    process.kill()
    process.wait()
    raise AssertionError(f"{base} did not come up within 30 s")


def start_server(database_url: str, port: int | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    """`cxreport serve` on a loopback port, once `/health` answers 200 (see `launch_server`)."""
    base, process = launch_server(database_url, port)
    wait_until_up(base, process)
    return base, process


@contextmanager
def served(database_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    base, process = start_server(database_url)
    try:
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
