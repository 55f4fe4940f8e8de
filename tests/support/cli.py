"""The `cxreport` command as scripts run it: the installed console script in a subprocess, bound to a working
folder and a database; checks on what it prints (one error line, rejections, the import summary, the demo)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxreport.store import Store, open_store
from cxreport.store.base import PageRequest, Query
from support.data import SEED_TENANT_ID


def _console_script() -> str:
    beside = Path(sys.executable).parent / "cxreport"
    if beside.exists():
        return str(beside)
    found = shutil.which("cxreport")
    assert found is not None, "the cxreport console script is not installed"
    return found


CXREPORT = _console_script()


def clean_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CXREPORT_")}
    env.update(extra)
    return env


def run(
    cwd: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [CXREPORT, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=env if env is not None else clean_env(),
    )
    return subprocess.CompletedProcess(
        completed.args, completed.returncode, completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8")
    )


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def assert_one_error_line(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exactly one line on stderr, starting `cxreport: error:`; a non-zero exit; no traceback."""
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cxreport: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def assert_one_rejection_line(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """A file whose content cannot be read is reported like a rejected record: one line, exit status 1."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("rejected: "), line
    for fragment in fragments:
        assert fragment in line, line
    return line


@dataclass
class Cli:
    """The command bound to one working folder and one database."""

    cwd: Path
    url: str

    def __call__(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
        return run(self.cwd, *args, "--database", self.url, stdin=stdin)

    @contextmanager
    def store(self) -> Iterator[Store]:
        opened = open_store(self.url)
        try:
            yield opened
        finally:
            opened.close()

    def records(self, tenant_id: str) -> list[dict[str, Any]]:
        with self.store() as store:
            page = store.search(tenant_id, PageRequest(Query(), limit=100_000, offset=0))
        assert page.total == len(page.docs)
        return [json.loads(doc) for doc in page.docs]

    def record_ids(self, tenant_id: str) -> set[str]:
        return {record["interactionId"] for record in self.records(tenant_id)}

    def create_tenant(self, *extra: str, name: str = "Acme") -> dict[str, Any]:
        result = self("tenants", "create", "--name", name, "--json", *extra)
        assert_ok(result)
        created: dict[str, Any] = json.loads(result.stdout)
        return created


def make_record(number: int, tenant_id: str | None = None, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "interactionId": f"00000000-0000-4000-8000-{number:012d}",
        "startTimestamp": f"2018-01-{1 + number % 28:02d}T10:00:00.000Z",
        "endTimestamp": f"2018-01-{1 + number % 28:02d}T10:05:00.000Z",
        "channelType": "voice",
        "direction": "inbound",
    }
    if tenant_id is not None:
        record["tenantId"] = tenant_id
    record.update(fields)
    return record


def ndjson(records: list[Any]) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def counts_line(result: subprocess.CompletedProcess[str]) -> tuple[int, int, int, int]:
    """(inserted, updated, unchanged, rejected) from the import summary, the last line of stdout."""
    lines = result.stdout.strip().splitlines()
    assert lines, result
    match = re.search(r"(\d+) inserted, (\d+) updated, (\d+) unchanged, (\d+) rejected$", lines[-1])
    assert match, lines[-1]
    inserted, updated, unchanged, rejected = (int(group) for group in match.groups())
    return inserted, updated, unchanged, rejected


def rejected_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("rejected: ")]


def parse_demo(stdout: str) -> dict[str, Any]:
    lines = stdout.splitlines()
    assert lines[0] == f"demo tenant 'Your Tenant' (US/Eastern) id {SEED_TENANT_ID}", lines
    counts = re.fullmatch(r"records: (\d+) inserted, (\d+) updated, (\d+) unchanged", lines[1])
    key_id = re.fullmatch(r"admin key id:\s+(\S+)", lines[2])
    secret = re.fullmatch(r"secret:\s+(\S+)", lines[3])
    assert counts and key_id and secret, lines
    assert lines[4] == "the seed's request:"
    assert len(lines) == 6
    return {
        "counts": tuple(int(n) for n in counts.groups()),
        "key_id": key_id[1],
        "secret": secret[1],
        "curl": shlex.split(lines[5]),
    }
