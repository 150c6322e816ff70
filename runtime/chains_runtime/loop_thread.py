"""An event loop on a background thread, for sync code that must run a coroutine to its end.

Sync remote stubs (``chains_runtime.stubs``, ``chains_runtime.stub_base``) run their HTTP
calls on one: the calling thread waits, and the server's own event loop is never touched.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from chains_runtime.errors import ChainsUsageError

T = TypeVar("T")


class LoopThread:
    """A background event loop thread, for the HTTP calls of sync stubs."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="chains-sync-stubs", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise ChainsUsageError("a sync remote stub was called from its own event loop thread")
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self.loop.close()
