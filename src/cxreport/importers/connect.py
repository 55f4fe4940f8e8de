"""Amazon Connect contact records (CTRs) → cxreport events: `cxreport import-events --format connect-ctr`.

Each contact record is one leg of an interaction; the legs of one interaction (`InitialContactId`, else the
first leg's own `ContactId`) share its interactionId, and each leg's events are made from that leg alone, so
legs may arrive in any order, in any number of files (`connect_legs.py` says what each leg becomes).

Versions: AWS delivers a record at least once and again whenever it changes (`LastUpdateTimestamp` moves). Every
event of a version names the leg (`sourceItem`: its ContactId) and the version (`sourceVersion`: the
LastUpdateTimestamp in epoch seconds), and its eventId includes the version: the store keeps every version's
events, and derivation applies only the newest version of each leg, whichever arrived first
(`docs/events.md`). Within one stream a version already seen (or older than one seen) is skipped; that memory
is bounded (`SEEN_CONTACTS_KEPT` contacts), the rest is correctness by derivation, not by memory.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import BinaryIO

from cxreport.importers.base import ImportOptions, Translated
from cxreport.importers.connect_legs import ContactError, leg_events
from cxreport.importers.connect_reading import read_contacts

SEEN_CONTACTS_KEPT = 65_536
"""How many ContactIds (with the newest version read) a stream remembers to skip repeated deliveries: a
bounded memory of about 10 MB, whatever the stream's size (redeliveries come close together in practice)."""


def translate(stream: BinaryIO, options: ImportOptions) -> Iterator[Translated]:
    """What each contact record of the (decompressed) stream becomes, in order, with the line where it starts."""
    seen: OrderedDict[str, int] = OrderedDict()
    for item in read_contacts(stream):
        if item.contact is None:
            yield Translated(item.line, error=item.error or "not a contact record")
            continue
        try:
            leg = leg_events(item.contact, options)
        except ContactError as error:
            yield Translated(item.line, error=str(error))
            continue
        newest = seen.get(leg.contact_id)
        if newest is not None and newest >= leg.version:
            yield Translated(item.line)  # a repeated delivery, or a version older than one already read
            continue
        seen[leg.contact_id] = leg.version
        seen.move_to_end(leg.contact_id)
        if len(seen) > SEEN_CONTACTS_KEPT:
            seen.popitem(last=False)
        yield Translated(item.line, leg.events)
