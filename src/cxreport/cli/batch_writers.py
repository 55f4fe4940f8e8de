"""Writing prepared records in atomic batches on writer threads, while the caller goes on preparing.

Reading and validating records is Python work; writing them is mostly the database's (SQLite's C code,
which releases the GIL, or a PostgreSQL server process). Overlapping the two makes an import take about
as long as the slower of them instead of their sum. A store that can take several writers at once
(PostgreSQL) gets several: records are dealt to writers by interaction id, so every version of one
interaction goes through the same writer in file order and "the last one in the file wins" still holds.

A batch is one transaction (`Store.bulk_transaction`). A store that takes a batch in chunks (`Store.bulk_chunk`:
SQLite, whose batches are large) is handed each chunk as it fills and commits at the batch's end, so a big
batch never sits in memory whole.
"""

from __future__ import annotations

import queue
import threading
import zlib
from contextlib import AbstractContextManager
from types import TracebackType

from cxreport import clock
from cxreport.records.stored import StoredRecord
from cxreport.store.base import BulkUpsert, Store, UpsertCounts

_QUEUED_BATCHES = 2
"""Chunks waiting for each writer: enough to keep it busy, few enough to keep memory flat."""

Chunk = tuple[list[StoredRecord], bool]
"""Records for a writer, and whether they end its batch (then it commits)."""
_POLL_SECONDS = 0.1


class BatchWriters:
    """`add` records; each writer commits a batch whenever it holds `batch_size` of them. Leaving the
    `with` block commits what is left and waits for every writer; a writer's error is raised to the caller
    (at the next `add`, or on leaving the block), after which no further batch is started."""

    def __init__(self, store: Store, tenant_id: str, batch_size: int, writers: int = 1) -> None:
        self._store = store
        self._tenant_id = tenant_id
        self._batch_size = batch_size
        self._chunk = min(batch_size, store.bulk_chunk or batch_size)
        self._pending: list[list[StoredRecord]] = [[] for _ in range(max(1, writers))]
        self._in_batch = [0 for _ in self._pending]
        """Records handed to each writer in its open batch."""
        self._queues: list[queue.Queue[Chunk | None]] = [
            queue.Queue(maxsize=_QUEUED_BATCHES) for _ in self._pending
        ]
        self._counts = [UpsertCounts() for _ in self._pending]
        self._failed = threading.Event()
        self._error: BaseException | None = None
        self._threads = [
            threading.Thread(target=self._write_batches, args=(index,), name=f"cxreport-writer-{index}", daemon=True)
            for index in range(len(self._pending))
        ]

    def __enter__(self) -> BatchWriters:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if kind is None:
                self.flush()
        finally:
            if kind is not None:  # the caller failed: abandon what is queued and the open batch (rolled back)
                self._failed.set()
            for index in range(len(self._queues)):
                self._enqueue(index, None, even_after_failure=True)
            for thread in self._threads:
                thread.join()
        if kind is None:
            self._raise_if_failed()

    @property
    def counts(self) -> UpsertCounts:
        total = UpsertCounts()
        for counts in self._counts:
            total += counts
        return total

    def add(self, record: StoredRecord) -> None:
        index = zlib.crc32(record.interaction_id.encode()) % len(self._pending) if len(self._pending) > 1 else 0
        pending = self._pending[index]
        pending.append(record)
        in_batch = self._in_batch[index] + len(pending)
        last = in_batch >= self._batch_size
        if last or len(pending) >= self._chunk:
            self._pending[index] = []
            self._in_batch[index] = 0 if last else in_batch
            self._enqueue(index, (pending, last))

    def flush(self) -> None:
        """End every writer's batch with the records it holds, however few (at the end of a file, say)."""
        for index, pending in enumerate(self._pending):
            if pending or self._in_batch[index]:
                self._pending[index] = []
                self._in_batch[index] = 0
                self._enqueue(index, (pending, True))

    def _enqueue(self, index: int, batch: Chunk | None, even_after_failure: bool = False) -> None:
        while True:
            if self._failed.is_set() and not even_after_failure:
                self._raise_if_failed()
                return
            try:
                self._queues[index].put(batch, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                if self._failed.is_set() and even_after_failure:
                    self._drain(index)

    def _drain(self, index: int) -> None:
        try:
            while True:
                self._queues[index].get_nowait()
        except queue.Empty:  # drained: nothing was lost, these batches are abandoned on purpose
            pass

    def _write_batches(self, index: int) -> None:
        source = self._queues[index]
        transaction: AbstractContextManager[BulkUpsert] | None = None
        write: BulkUpsert | None = None
        counts = UpsertCounts()
        while (item := source.get()) is not None:
            if self._failed.is_set():
                continue
            chunk, last = item
            try:
                if transaction is None:
                    transaction = self._store.bulk_transaction(self._tenant_id)
                    write = transaction.__enter__()
                    counts = UpsertCounts()
                if chunk:
                    assert write is not None
                    counts += write(chunk, clock.now_us())
                if last:
                    committing, transaction = transaction, None
                    committing.__exit__(None, None, None)
                    self._counts[index] += counts
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread, which raises it
                if transaction is not None:  # the batch rolls back
                    failing, transaction = transaction, None
                    failing.__exit__(type(error), error, error.__traceback__)
                self._error = self._error or error
                self._failed.set()
        if transaction is not None:  # abandoned mid-batch (the caller failed): roll it back
            abandoned = RuntimeError("the import was abandoned")
            transaction.__exit__(RuntimeError, abandoned, None)

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
