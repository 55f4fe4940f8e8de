"""`cxreport follow-queue-log`: a live queue_log, followed as `tail -F` does, each line's events stored as it comes.

- Every `poll` seconds the file is read from where the follower stands; the complete lines read (at most
  `batch_lines` at once) are translated (`importers.asterisk`) and their events stored in one transaction
  (`service.events.store_events`), then the position after them is stored (`Store.set_follow_position`). A
  line still being written (no newline yet) waits for its end.
- **Rotation** (the file renamed and a new one created, as logrotate does): the old file is read to its end,
  then the new one from its start. **Truncation** (copytruncate): the file is read again from its start.
- **Restart**: the follower goes on from the stored position in the same file (its device and inode), or, when
  the file was rotated meanwhile, first from that position in the rotated file if it is still beside it
  (`queue_log.1`, `queue_log-20261204` …), then from the start of the new one. Lines are stored before their
  position, so a follower killed in between reads a few lines again: their events are duplicates (each line's
  ids are deterministic) and change nothing; none is lost.
- A bad line is reported on stderr as `FILE: line L: reason` and skipped.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from cxreport.errors import InvalidRecord
from cxreport.importers.asterisk import translate
from cxreport.importers.base import ImportOptions
from cxreport.service.events import Incoming, incoming, store_events
from cxreport.store.base import FollowPosition, Store

_CHUNK = 1 << 20


def file_id(stat: os.stat_result) -> str:
    return f"{stat.st_dev}:{stat.st_ino}"


@dataclass
class Reading:
    """An open file being followed: its identity, where the stored lines end, and the line count there."""

    stream: BinaryIO
    identity: str
    offset: int
    line: int
    pending: bytes = b""
    tail: bytes = b""
    """The last bytes stored (up to 4 KiB before `offset`): when the file no longer holds them there, it was
    truncated and written again past the position between two polls."""


class Follower:
    def __init__(self, store: Store, tenant_id: str, path: str, options: ImportOptions, *, poll: float = 0.2,
                 batch_lines: int = 2000, err: TextIO | None = None) -> None:
        self.store, self.tenant_id, self.path, self.options = store, tenant_id, path, options
        self.poll, self.batch_lines = poll, batch_lines
        self.err = err or sys.stderr
        self.stored_lines = 0

    def run(self, stop: threading.Event) -> None:
        reading = self._resume(stop)
        while reading is not None and not stop.is_set():
            self._check_truncation(reading)
            self._drain(reading)
            successor = self._successor(reading)
            if successor is not None:
                self._drain(reading)  # what was written to the old file after the last read
                reading.stream.close()
                reading = successor
                self._note(f"{self.path}: rotated; following the new file from its start")
                continue
            stop.wait(self.poll)
        if reading is not None:
            reading.stream.close()

    # --- opening -----------------------------------------------------------------------------------------

    def _resume(self, stop: threading.Event) -> Reading | None:
        stored = self.store.follow_position(self.tenant_id, self.options.source, self.path)
        while not stop.is_set():
            try:
                stream = open(self.path, "rb")  # noqa: SIM115  (closed by run)
            except FileNotFoundError:
                stop.wait(self.poll)
                continue
            identity = file_id(os.fstat(stream.fileno()))
            if stored is None:
                return Reading(stream, identity, 0, 0)
            if stored.file_id == identity and os.fstat(stream.fileno()).st_size >= stored.offset:
                stream.seek(stored.offset)
                self._note(f"{self.path}: going on from line {stored.line + 1}")
                return Reading(stream, identity, stored.offset, stored.line)
            if stored.file_id != identity:
                self._finish_rotated(stored)
            return Reading(stream, identity, 0, 0)
        return None

    def _finish_rotated(self, stored: FollowPosition) -> None:
        """The file was rotated while no follower ran: read the rest of the old one, if it is still beside it."""
        folder, name = os.path.split(os.path.abspath(self.path))
        for candidate in sorted(os.listdir(folder)):
            if not candidate.startswith(name) or candidate == name:
                continue
            full = os.path.join(folder, candidate)
            try:
                if file_id(os.stat(full)) != stored.file_id:
                    continue
                stream = open(full, "rb")  # noqa: SIM115
            except OSError:
                continue
            with stream:
                stream.seek(stored.offset)
                self._note(f"{self.path}: rotated while stopped; reading the rest of {full} first")
                self._drain(Reading(stream, stored.file_id, stored.offset, stored.line))
            return

    def _successor(self, reading: Reading) -> Reading | None:
        """A new file at the path (rotation)."""
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            return None  # renamed away, the new one not created yet
        if file_id(current) != reading.identity:
            try:
                stream = open(self.path, "rb")  # noqa: SIM115
            except FileNotFoundError:
                return None
            return Reading(stream, file_id(os.fstat(stream.fileno())), 0, 0)
        return None

    def _check_truncation(self, reading: Reading) -> None:
        """A file truncated in place (copytruncate) is read again from its start."""
        descriptor = reading.stream.fileno()
        if os.fstat(descriptor).st_size < reading.offset or (
            reading.tail and os.pread(descriptor, len(reading.tail), reading.offset - len(reading.tail)) != reading.tail
        ):
            self._note(f"{self.path}: truncated; reading it again from its start")
            reading.stream.seek(0)
            reading.offset, reading.line, reading.pending, reading.tail = 0, 0, b"", b""
            self._save(reading)

    # --- reading and storing -----------------------------------------------------------------------------

    def _drain(self, reading: Reading) -> None:
        """Store every complete line the file holds beyond the position, in batches of `batch_lines`."""
        while True:
            data = reading.stream.read(_CHUNK)
            if not data:
                return
            lines = (reading.pending + data).split(b"\n")
            reading.pending = lines.pop()
            for start in range(0, len(lines), self.batch_lines):
                self._store(reading, lines[start:start + self.batch_lines])

    def _store(self, reading: Reading, lines: list[bytes]) -> None:
        batch: list[Incoming] = []
        text = b"\n".join(lines) + b"\n"
        for item in translate(io.BytesIO(text), self.options):
            number = reading.line + item.line
            if item.error is not None:
                self._note(f"{self.path}: line {number}: {item.error}")
                continue
            try:
                batch += [incoming(event, 0, self.tenant_id) for event in item.events]
            except InvalidRecord as error:
                self._note(f"{self.path}: line {number}: {error.message}")
        if batch:
            store_events(self.store, self.tenant_id, batch)
        reading.offset += len(text)
        reading.line += len(lines)
        reading.tail = text[-4096:]
        self.stored_lines += len(lines)
        self._save(reading)

    def _save(self, reading: Reading) -> None:
        position = FollowPosition(reading.identity, reading.offset, reading.line)
        self.store.set_follow_position(self.tenant_id, self.options.source, self.path, position)

    def _note(self, message: str) -> None:
        print(message, file=self.err, flush=True)


def follow(store: Store, tenant_id: str, path: str, options: ImportOptions,
           install: Callable[[threading.Event], None] | None = None) -> int:
    """Follow `path` until `stop` is set (by `install`'s signal handlers); the lines stored."""
    stop = threading.Event()
    if install is not None:
        install(stop)
    follower = Follower(store, tenant_id, os.path.abspath(path), options)
    follower.run(stop)
    return follower.stored_lines
