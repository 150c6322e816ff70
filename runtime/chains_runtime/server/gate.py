"""Bound concurrent ``run_remote`` calls, with a bounded queue of waiting ones.

A counter and a queue of futures rather than ``asyncio.Semaphore``: taking a free slot is
``try_acquire()``, a plain method (no coroutine, no scan of the waiters), and a released slot
goes straight to the first caller still waiting, in arrival order.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib


class QueueFullError(Exception):
    """All slots are busy and the queue is full: the caller should retry later."""


class ConcurrencyGate:
    """``limit`` callers at once; up to ``queue_size`` more wait; further callers are refused."""

    __slots__ = ("_free", "_queue_size", "_waiters")

    def __init__(self, limit: int, queue_size: int) -> None:
        self._free = limit
        self._queue_size = queue_size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def busy(self) -> bool:
        """Every slot is taken: ``acquire`` would have to wait (or refuse)."""
        return self._free == 0

    def try_acquire(self) -> bool:
        """Take a free slot if there is one (True); never waits."""
        if self._free > 0:
            self._free -= 1
            return True
        return False

    async def acquire(self) -> None:
        """Take a slot, waiting in the queue if needed; raise QueueFullError if it is full."""
        if self.try_acquire():
            return
        if len(self._waiters) >= self._queue_size:
            raise QueueFullError
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot just as it was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):  # release() may have dropped it
                    self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Free a slot: the first caller still waiting gets it, else it becomes free."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1
