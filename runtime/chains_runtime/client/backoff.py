"""When to try a call again: exponential backoff with full jitter, and ``Retry-After``."""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delay before retry ``n`` (0-based): uniform in ``[0, min(max_sec, base_sec * 2**n)]``.

    A ``Retry-After`` from a 503 replaces the computed delay, capped at ``max_retry_after_sec``.
    """

    base_sec: float = 0.1
    max_sec: float = 5.0
    max_retry_after_sec: float = 30.0

    def delay(self, retry: int, retry_after: str | None = None) -> float:
        if retry_after is not None:
            wait = parse_retry_after(retry_after)
            if wait is not None:
                return min(wait, self.max_retry_after_sec)
        return random.uniform(0.0, min(self.max_sec, self.base_sec * (2**retry)))


def parse_retry_after(value: str) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date)."""
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
