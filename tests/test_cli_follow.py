"""`cxreport follow-queue-log`, the installed console script against a real SQLite database: lines written to a
live queue_log while it follows are stored within a second; it survives a rotation and a truncation; killed
(SIGKILL) and restarted, it goes on from its stored position — through a rotation that happened while it was
down — without losing or duplicating a call; realtime figures (the statistics of today's queue entries) follow."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cxreport.service.realtime import Realtime
from cxreport.service.realtime_figures import RealtimeRequest, figure
from support.cli import CXREPORT, Cli, clean_env

TENANT = "2336d1ec-c956-47e1-b3b1-fe8fde81b2b4"


def call(n: int, start: int | None = None) -> str:
    """One answered call (3 lines) that ended a few seconds ago."""
    t = (start or int(time.time()) - 120) + n
    callid = f"{t}.{n}"
    return (f"{t}|{callid}|live|NONE|ENTERQUEUE||555{n:04d}|1|\n"
            f"{t + 5}|{callid}|live|Agent/1|CONNECT|5|{callid}9|2|\n"
            f"{t + 50}|{callid}|live|Agent/1|COMPLETECALLER|5|45|1|\n")


@pytest.fixture
def fcli(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path, f"sqlite:///{tmp_path}/f.db")
    cli.create_tenant("--id", TENANT)
    return cli


@pytest.fixture
def start_follower(fcli: Cli, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [CXREPORT, "follow-queue-log", "--tenant", TENANT, "--source", "pbx", "--database", fcli.url,
             str(tmp_path / "queue_log")],
            cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()  # waits, and closes its pipes


def wait_for(fcli: Cli, count: int, within: float = 10.0) -> list[dict[str, object]]:
    deadline = time.monotonic() + within
    while True:
        records = [r for r in fcli.records(TENANT) if r.get("interactionEndType") == "customer-disconnect"]
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.1)


def realtime(fcli: Cli, statistic: str) -> int:
    """The realtime figure's count now, as `/realtime-statistics` computes it (a fresh snapshot each time)."""
    with fcli.store() as store:
        now_us = int(time.time() * 1e6)
        count: int = figure(Realtime(store).snapshot(TENANT), RealtimeRequest(statistic), now_us)["count"]
    return count


def wait_for_figure(fcli: Cli, statistic: str, expected: int, within: float = 10.0) -> float:
    """Seconds until the figure shows `expected` (fails after `within`: a deadline, not a latency target)."""
    started = time.monotonic()
    while (found := realtime(fcli, statistic)) != expected:
        assert time.monotonic() - started < within, f"{statistic}: {found}, expected {expected}"
        time.sleep(0.05)
    return time.monotonic() - started


def append(path: Path, text: str) -> None:
    with open(path, "a") as out:
        out.write(text)


def test_follow_through_rotation_truncation_and_a_kill(fcli: Cli, tmp_path: Path,
                                                       start_follower: Callable[[], subprocess.Popen[bytes]]) -> None:
    log = tmp_path / "queue_log"
    log.write_text(call(0))
    follower = start_follower()
    assert len(wait_for(fcli, 1)) == 1
    written = time.monotonic()
    append(log, call(1))
    assert len(wait_for(fcli, 2)) == 2
    assert time.monotonic() - written < 3, "stored as it is written (the follower polls every 0.2 s)"
    third = call(2)
    append(log, third[:40])  # a line still being written: it waits for its end
    time.sleep(0.6)
    append(log, third[40:])
    assert len(wait_for(fcli, 3)) == 3
    # rotation as logrotate does it: renamed, the writer finishes its last line into the old file, a new file
    os.rename(log, tmp_path / "queue_log.1")
    append(tmp_path / "queue_log.1", call(3))
    log.write_text(call(4))
    assert len(wait_for(fcli, 5)) == 5
    # killed with no chance to clean up, then more calls, and a rotation while it is down
    follower.send_signal(signal.SIGKILL)
    follower.communicate()
    append(log, call(5))
    os.rename(log, tmp_path / "queue_log.1")
    append(tmp_path / "queue_log.1", call(6))
    log.write_text(call(7))
    follower = start_follower()
    assert len(wait_for(fcli, 8)) == 8
    # truncated in place (copytruncate): read again from the start
    with open(log, "w"):
        pass
    time.sleep(0.5)
    append(log, call(8))
    records = wait_for(fcli, 9)
    assert len(records) == 9
    assert sorted(r["customer"] for r in records) == [f"555{n:04d}" for n in range(9)], sorted(
        (r["startTimestamp"], r["customer"]) for r in records)[:3]
    assert all("flagged" not in r and len(r["queues"]) == 1 for r in records), "no call lost or doubled"
    # realtime figures: today's entries, and a call followed line by line as it happens
    today = time.strftime("%Y-%m-%d", time.gmtime())
    entered_today = sum(1 for r in records if str(r["queues"][0]["startTimestamp"]).startswith(today))
    assert realtime(fcli, "offered") == realtime(fcli, "answered") == entered_today
    assert realtime(fcli, "interactions-in-queue") == realtime(fcli, "interactions-in-conversation") == 0
    now, callid = int(time.time()), "live.10"
    append(log, f"{now}|{callid}|live|NONE|ENTERQUEUE||5550010|1|\n")
    wait_for_figure(fcli, "interactions-in-queue", 1)
    append(log, f"{now}|{callid}|live|Agent/1|CONNECT|0|{callid}9|1|\n")
    wait_for_figure(fcli, "interactions-in-conversation", 1)
    assert realtime(fcli, "interactions-in-queue") == 0
    append(log, f"{now + 1}|{callid}|live|Agent/1|COMPLETECALLER|0|1|1|\n")  # at entry + hold + calltime
    wait_for_figure(fcli, "interactions-in-conversation", 0)
    assert realtime(fcli, "answered") == entered_today + 1
    follower.send_signal(signal.SIGTERM)
    stderr = follower.communicate(timeout=10)[1].decode()
    assert follower.returncode == 0
    assert "Traceback" not in stderr and "stopped: " in stderr
    with fcli.store() as store:
        position = store.follow_position(TENANT, "pbx", str(log))
    assert position is not None and position.offset == log.stat().st_size and position.line == 6


def test_a_bad_line_is_reported_and_skipped(fcli: Cli, tmp_path: Path,
                                            start_follower: Callable[[], subprocess.Popen[bytes]]) -> None:
    log = tmp_path / "queue_log"
    log.write_text(call(0) + "1700000000|1.1|live|NONE|TELEPORT|\n" + call(1))
    follower = start_follower()
    assert len(wait_for(fcli, 2)) == 2
    follower.send_signal(signal.SIGTERM)
    stderr = follower.communicate(timeout=10)[1].decode()
    assert f"{log}: line 4: unknown event 'TELEPORT'" in stderr.splitlines()
