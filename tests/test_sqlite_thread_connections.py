"""A SQLite store's connections live as long as the threads that opened them: a server whose worker threads come
and go with bursts of traffic (anyio ends idle ones) does not pile up connections, file descriptors and memory
maps, one per thread it ever started."""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

from cxreport.store import open_store


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_the_connections_of_ended_threads_are_closed(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    store.migrate()
    store.ping()
    before = open_files()
    after_each: list[int] = []
    for _burst in range(4):
        workers = [threading.Thread(target=store.ping) for _ in range(20)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        gc.collect()
        after_each.append(open_files())
    # SQLite's unix VFS keeps a closed connection's descriptor of the database file while another connection of
    # the process holds a lock on it, and reuses it for the next open: a few, never one per thread started
    # (without closing them: about 3 files for each of the 20 threads of every burst, 60 more a burst)
    assert max(after_each) - before < 20, (before, after_each)
    assert after_each[-1] - after_each[0] < 10, f"flat from burst to burst: {after_each}"
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
    before = open_files()
    worker.start()
    ready.wait(10)
    gc.collect()
    holding = open_files()
    assert holding > before, "the waiting thread keeps its connection (the database and its WAL files)"
    finish.set()
    worker.join()
    gc.collect()
    assert open_files() < holding, "and it is closed once the thread has ended"
    store.close()
