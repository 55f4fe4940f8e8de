"""`FairSlots`: a freed slot goes to the next tenant in turn, each tenant's requests first come first served; a
request that stops waiting (timed out, cancelled) holds nothing and loses no slot, even when one was granted to it
as it gave up."""

from __future__ import annotations

import asyncio

from cxreport.http.fair_slots import FairSlots


async def _queued(slots: FairSlots, who: str, order: list[str]) -> None:
    assert await slots.acquire(who[0], 60)
    order.append(who)


def test_a_freed_slot_goes_to_the_next_tenant_in_turn() -> None:
    async def main() -> list[str]:
        slots = FairSlots(1)
        assert await slots.acquire("a", 0)  # the one slot, held
        order: list[str] = []
        waiting = [asyncio.ensure_future(_queued(slots, who, order)) for who in ("a1", "a2", "a3", "b1", "c1", "b2")]
        await asyncio.sleep(0)  # all queued
        for _ in waiting:
            slots.release()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        await asyncio.gather(*waiting)
        return order

    # a's three requests came first, but b and c each get the slot after a's first
    assert asyncio.run(main()) == ["a1", "b1", "c1", "a2", "b2", "a3"]


def test_free_slots_are_taken_at_once_and_come_back() -> None:
    async def main() -> tuple[list[bool], bool, bool]:
        slots = FairSlots(2)
        taken = [await slots.acquire("a", 0), await slots.acquire("b", 0)]
        third = await slots.acquire("c", 0.05)  # none free: not taken, after the wait
        slots.release()
        after = await slots.acquire("c", 0)
        return taken, third, after

    assert asyncio.run(main()) == ([True, True], False, True)


def test_a_request_that_times_out_leaves_the_queue() -> None:
    async def main() -> tuple[bool, bool, bool]:
        slots = FairSlots(1)
        assert await slots.acquire("a", 0)
        timed_out = await slots.acquire("b", 0.05)
        slots.release()  # nobody waits now: the slot is free again, not handed to the one that left
        again = await slots.acquire("c", 0)
        none_left = await slots.acquire("d", 0.01)
        return timed_out, again, none_left

    assert asyncio.run(main()) == (False, True, False)


def test_a_cancelled_request_leaves_the_queue() -> None:
    async def main() -> bool:
        slots = FairSlots(1)
        assert await slots.acquire("a", 0)
        gone = asyncio.ensure_future(slots.acquire("b", 60))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.gather(gone, return_exceptions=True)
        slots.release()
        return await slots.acquire("c", 0)

    assert asyncio.run(main()) is True


def test_a_slot_granted_as_its_request_gives_up_is_passed_on() -> None:
    async def main() -> tuple[bool, bool]:
        slots = FairSlots(1)
        assert await slots.acquire("a", 0)
        leaving = asyncio.ensure_future(slots.acquire("b", 60))
        staying = asyncio.ensure_future(slots.acquire("c", 60))
        await asyncio.sleep(0)
        slots.release()  # granted to b ...
        leaving.cancel()  # ... which is cancelled before it could resume
        await asyncio.gather(leaving, return_exceptions=True)
        return leaving.cancelled(), await asyncio.wait_for(staying, 5)  # c got the slot b gave up

    assert asyncio.run(main()) == (True, True)
