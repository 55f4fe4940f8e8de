"""A fixed number of slots shared by tenants in turn, on one event loop.

A slot that frees goes to the longest-waiting request of the next tenant in turn (round robin over the tenants
that have requests waiting), not to whoever asked first: a tenant sending forty statistics requests at once
waits behind its own, while another tenant's one request takes the next free slot.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque


class FairSlots:
    def __init__(self, count: int) -> None:
        self._free = count
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()
        """Each tenant's waiting requests, first come first; the tenants in the order their turns come."""

    async def acquire(self, tenant_id: str, wait_s: float) -> bool:
        """Take a slot, waiting `wait_s` seconds at most; False if none came by then (nothing is held)."""
        if self._free and not self._waiting:
            self._free -= 1
            return True
        granted = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(tenant_id, deque()).append(granted)
        try:
            async with asyncio.timeout(wait_s):
                await granted
        except TimeoutError:
            self._give_up(tenant_id, granted)
            return False
        except asyncio.CancelledError:
            self._give_up(tenant_id, granted)
            raise
        return True

    def release(self) -> None:
        """Give a slot back: to the first waiting request of the tenant whose turn it is, else to the free ones."""
        while self._waiting:
            tenant_id, queue = next(iter(self._waiting.items()))
            granted = queue.popleft()
            if queue:
                self._waiting.move_to_end(tenant_id)  # the tenant's next request waits for its next turn
            else:
                del self._waiting[tenant_id]
            if not granted.done():
                granted.set_result(None)
                return
        self._free += 1

    def _give_up(self, tenant_id: str, granted: asyncio.Future[None]) -> None:
        """A request stops waiting: out of its queue, or, if a slot was granted to it meanwhile, the slot passed on."""
        if granted.done() and not granted.cancelled():
            self.release()
            return
        queue = self._waiting.get(tenant_id)
        if queue is not None and granted in queue:
            queue.remove(granted)
            if not queue:
                del self._waiting[tenant_id]
