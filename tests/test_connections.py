"""`cxreport serve` as a real process under a low file limit, held by hundreds of sockets that send nothing,
trickle a request head or trickle a body (issue 17, item 4): the server closes them at their deadlines, keeps
its connections under the cap, `/health` keeps answering, and the log stays small. Also: asyncio's accept
errors reach the log once per interval."""

from __future__ import annotations

import logging
import os
import resource
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cxreport.http.connections import AcceptErrorFilter
from support.processes import COMMAND, wait_until_up
from support.servers import free_port

FILE_LIMIT = 256
HEADER_TIMEOUT = 2
BODY_TIMEOUT = 3
IDLE, TRICKLING_HEADS, TRICKLING_BODIES = 200, 150, 150
HOLD = 10.0
"""Seconds the sockets keep trying: several head and body deadlines."""


def _low_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_LIMIT, FILE_LIMIT))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048 and (hard == resource.RLIM_INFINITY or hard >= 2048):
        resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))  # this process holds the 500 sockets
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = {**os.environ, "CXREPORT_RATE_LIMIT": "0", "CXREPORT_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
           "CXREPORT_BODY_TIMEOUT": str(BODY_TIMEOUT)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [COMMAND, "serve", "--database", f"sqlite:///{tmp_path / 'cx.db'}", "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=log, env=env, preexec_fn=_low_file_limit,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, process)
            yield base, log_path
        finally:
            process.terminate()
            process.wait(timeout=30)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _connect(port: int) -> socket.socket | None:
    try:
        return socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:
        return None


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed the socket: end of file (after any answer it sent) or a reset."""
    sock.settimeout(0.05)
    try:
        while sock.recv(65536):
            pass
        return True
    except TimeoutError:
        return False
    except OSError:
        return True
    finally:
        sock.close()


def test_idle_and_trickling_sockets_are_closed_and_health_keeps_answering(server: tuple[str, Path]) -> None:
    base, log_path = server
    port = int(base.rsplit(":", 1)[1])
    heads = [s for s in (_connect(port) for _ in range(IDLE + TRICKLING_HEADS)) if s is not None]
    for sock in heads[IDLE:]:
        _send(sock, b"GET /health HTTP/1.1\r\nHost: x\r\n")
    bodies = [s for s in (_connect(port) for _ in range(TRICKLING_BODIES)) if s is not None]
    for sock in bodies:
        _send(sock, b"POST /v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100000\r\n\r\n{")
    probes: list[float] = []
    started = time.monotonic()
    with httpx.Client(base_url=base, timeout=2) as client:
        while time.monotonic() - started < HOLD:
            for sock in heads[IDLE:]:
                _send(sock, b"X")
            for sock in bodies:
                _send(sock, b" ")
            probe_started = time.monotonic()
            answered = False
            while not answered and time.monotonic() - probe_started < BODY_TIMEOUT + 4:
                try:
                    answered = client.get("/health", headers={"connection": "close"}).status_code == 200
                except httpx.HTTPError:  # refused at the cap: its slots free up at the deadlines
                    time.sleep(0.1)
            assert answered, f"/health did not answer within {BODY_TIMEOUT + 4} s"
            probes.append(time.monotonic() - probe_started)
            time.sleep(0.3)
    assert len(probes) >= 5
    # every socket has been closed by the server by now: reading gives end of file or a reset
    still_open = sum(not _closed_by_server(sock) for sock in heads + bodies)
    assert still_open == 0, f"{still_open} sockets were held past their deadlines"
    log = log_path.read_bytes()
    assert len(log) < 200_000, f"the log grew to {len(log)} bytes"
    assert log.count(b"Traceback") == 0


def test_accept_errors_are_logged_once_an_interval(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.asyncio.accept")
    accept_filter = AcceptErrorFilter(interval=60)
    logger.addFilter(accept_filter)
    try:
        with caplog.at_level(logging.ERROR, logger="test.asyncio.accept"):
            for _ in range(5000):
                try:
                    raise OSError(24, "Too many open files")
                except OSError as error:
                    logger.error("socket.accept() out of system resource\nsocket: <socket>", exc_info=error)
            logger.error("something else")
    finally:
        logger.removeFilter(accept_filter)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("socket.accept() out of system resource ([Errno 24] Too many open files)")
    assert caplog.records[0].exc_info is None
    assert messages[1] == "something else"
    accept_filter._last -= 61
    with caplog.at_level(logging.ERROR, logger="test.asyncio.accept"):
        logger.addFilter(accept_filter)
        try:
            logger.error("socket.accept() out of system resource")
        finally:
            logger.removeFilter(accept_filter)
    assert "4999 more since the last report" in caplog.records[-1].getMessage()
