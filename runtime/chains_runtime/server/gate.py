"""Bound concurrent ``run_remote`` calls, with a bounded queue of waiting ones."""

from __future__ import annotations

import asyncio


class QueueFullError(Exception):
    """All slots are busy and the queue is full: the caller should retry later."""


class ConcurrencyGate:
    """``limit`` callers at once; up to ``queue_size`` more wait; further callers are refused."""

    def __init__(self, limit: int, queue_size: int) -> None:
        self._semaphore = asyncio.Semaphore(limit)
        self._queue_size = queue_size
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    async def acquire(self) -> None:
        """Take a slot, waiting in the queue if needed; raise QueueFullError if it is full."""
        if not self._semaphore.locked():
            await self._semaphore.acquire()  # a free slot: no wait
            return
        if self._waiting >= self._queue_size:
            raise QueueFullError
        self._waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self._waiting -= 1

    def release(self) -> None:
        self._semaphore.release()
