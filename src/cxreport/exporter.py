"""`cxreport export`: a search's every match written to a file, with a progress bar."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import BinaryIO

from cxreport import service
from cxreport.progress import Progress
from cxreport.search import SearchParameters
from cxreport.store.base import Store


def export_to(store: Store, tenant_id: str, params: SearchParameters, export_format: str, output: str) -> int:
    """Write the export to `output` (`-`: standard output); return how many interactions it holds."""
    total = service.count(store, tenant_id, params)
    chunks = service.export(store, tenant_id, params, export_format)
    bar = Progress(f"exporting to {output}", total, show=output != "-")
    written = 0
    with ExitStack() as stack:
        target: BinaryIO = sys.stdout.buffer if output == "-" else stack.enter_context(open(output, "wb"))
        for chunk in chunks:
            target.write(chunk.data)
            written += chunk.records
            bar.advance(written, written)
    bar.finish()
    return written
