"""`cxreport export`: a search's every match written to a file, with a progress bar.

Reading the store and writing the file overlap: a writer thread drains a short queue of chunks while the
next batch is read (both release the GIL while they wait on I/O), so the export costs about the slower of
the two rather than their sum. The queue is bounded, so memory stays flat."""

from __future__ import annotations

import queue
import sys
import threading
from contextlib import ExitStack
from typing import BinaryIO

from cxreport.cli.progress import Progress
from cxreport.service import interactions as service
from cxreport.service.search import SearchRequest
from cxreport.store.base import Store

_QUEUED_CHUNKS = 4
_DONE = b""


def export_to(store: Store, tenant_id: str, search: SearchRequest, export_format: str, output: str) -> int:
    """Write the export to `output` (`-`: standard output); return how many interactions it holds."""
    total = service.count(store, tenant_id, search)
    chunks = service.export(store, tenant_id, search, export_format)
    bar = Progress(f"exporting to {output}", total, show=output != "-")
    written = 0
    with ExitStack() as stack:
        target: BinaryIO = sys.stdout.buffer if output == "-" else stack.enter_context(open(output, "wb"))
        pending: queue.Queue[bytes] = queue.Queue(_QUEUED_CHUNKS)
        failures: list[BaseException] = []
        writer = threading.Thread(target=_drain, args=(pending, target, failures), daemon=True)
        writer.start()
        try:
            for chunk in chunks:
                if failures:
                    break
                pending.put(chunk.data)
                written += chunk.records
                bar.advance(written, written)
        finally:
            pending.put(_DONE)
            writer.join()
        if failures:
            raise failures[0]
    bar.finish()
    return written


def _drain(pending: queue.Queue[bytes], target: BinaryIO, failures: list[BaseException]) -> None:
    while (data := pending.get()) is not _DONE:
        if not failures:
            try:
                target.write(data)
            except OSError as error:  # reported by the reading thread, which stops
                failures.append(error)
