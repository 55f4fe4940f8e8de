"""WAL checkpoints on a thread of their own, for bulk imports.

In WAL mode a commit appends pages to the write-ahead log, and a checkpoint later copies them into the
database file and syncs it. By default the committing connection runs that checkpoint itself, so an import
stops at every commit until the copy and the `fdatasync` are done. A bulk import instead turns automatic
checkpoints off on its connections and asks this thread for a passive checkpoint after each commit: the copy
and the wait for the disk overlap the import's next batch. Passive checkpoints never block a writer; when
one falls behind and the log passes `max_wal_bytes`, the next commit waits for it, so the log stays bounded.
Durability is unchanged: a commit is durable (to a process crash) once it is in the log, as before.
"""

from __future__ import annotations

import os
import sqlite3
import threading


class BackgroundCheckpoints:
    def __init__(self, path: str, max_wal_bytes: int = 1 << 30) -> None:
        self._path = path
        self._max_wal_bytes = max_wal_bytes
        self._wanted = threading.Condition()
        self._requested = 0
        self._done = 0
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="cxreport-checkpoints", daemon=True)
        self._thread.start()

    def after_commit(self) -> None:
        """Ask for a checkpoint; wait for the previous ones first if the log has grown past its bound."""
        with self._wanted:
            self._requested += 1
            self._wanted.notify_all()
            if self._wal_bytes() > self._max_wal_bytes:
                target = self._requested
                self._wanted.wait_for(lambda: self._done >= target or self._closing)

    def close(self) -> None:
        with self._wanted:
            self._closing = True
            self._wanted.notify_all()
        self._thread.join()

    def _wal_bytes(self) -> int:
        try:
            return os.path.getsize(self._path + "-wal")
        except OSError:  # no log file (yet, or just checkpointed away): nothing to bound
            return 0

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA busy_timeout = 30000")
            while True:
                with self._wanted:
                    self._wanted.wait_for(lambda: self._requested > self._done or self._closing)
                    if self._closing:
                        return
                    target = self._requested
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                with self._wanted:
                    self._done = target
                    self._wanted.notify_all()
        finally:
            connection.close()
