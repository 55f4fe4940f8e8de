"""A SQLite store's connections live as long as the threads that opened them: a server whose worker threads come
and go with bursts of traffic (anyio ends idle ones) does not pile up connections, file descriptors and memory
maps, one per thread it ever started."""

from __future__ import annotations

import gc
import os
import stat
import threading
from pathlib import Path

from cxreport.store import open_store
from cxreport.store.sqlite import SqliteStore


def open_files(under: Path) -> int:
    """This process's descriptors of files under `under` (the test's database, its WAL and shared memory): other
    tests' leftovers in the same process (a server thread ending, a log file) open and close files of their own."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed since the listing
            continue
        count += target.startswith(str(under))
    return count


def test_the_connections_of_ended_threads_are_closed(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    store.migrate()
    store.ping()
    before = open_files(tmp_path)
    after_each: list[int] = []
    for _burst in range(4):
        workers = [threading.Thread(target=store.ping) for _ in range(20)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        gc.collect()
        after_each.append(open_files(tmp_path))
    # SQLite's unix VFS keeps a closed connection's descriptor of the database file while another connection of
    # the process holds a lock on it, and reuses it for the next open: at most one for each connection open at once
    # (20 threads; how many overlap depends on timing: 16 in a quiet run), never one per thread
    # started (without closing them: about 3 files for each of the 20 threads of every burst, 60 more a burst)
    assert max(after_each) - before <= 20 + 3, (before, after_each)
    assert after_each[-1] - after_each[0] <= 20, f"bounded by one burst, not growing with their number: {after_each}"
    store.ping()  # the store still serves from a live thread
    store.close()


def test_a_living_threads_connection_stays_open(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    store.migrate()
    ready, finish = threading.Event(), threading.Event()

    def hold() -> None:
        store.ping()
        ready.set()
        finish.wait(10)
        store.ping()  # the same connection, still usable

    worker = threading.Thread(target=hold)
    before = open_files(tmp_path)
    worker.start()
    ready.wait(10)
    gc.collect()
    holding = open_files(tmp_path)
    assert holding > before, "the waiting thread keeps its connection (the database and its WAL files)"
    finish.set()
    worker.join()
    gc.collect()
    assert open_files(tmp_path) < holding, "and it is closed once the thread has ended"
    store.close()


def test_a_new_database_and_its_wal_are_readable_by_the_owner_alone(tmp_path: Path) -> None:
    """The file holds the cursor-signing key and every tenant's data: 0600 whatever the umask, and SQLite gives
    its -wal and -shm files the same mode; an existing file keeps the mode its operator chose."""
    previous = os.umask(0o022)
    try:
        opened = SqliteStore(str(tmp_path / "new" / "cx.db"))
        opened.migrate()
        opened.ping()
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in (tmp_path / "new").iterdir()}
        opened.close()
        existing = tmp_path / "existing.db"
        existing.touch(mode=0o640)
        existing.chmod(0o640)
        SqliteStore(str(existing)).close()
    finally:
        os.umask(previous)
    assert modes == {"cx.db": 0o600, "cx.db-wal": 0o600, "cx.db-shm": 0o600}
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
