"""Stop a ``run_remote`` call when its caller leaves or its deadline passes.

``CallGuard`` wraps the part of a call that may wait (the concurrency queue, the user's
``run_remote``): when the deadline passes, or the client disconnects, it cancels the task that
serves the request, and the ``with`` block raises ``DeadlineExceeded`` or ``CallerGone``.
Cancelling the task also cancels the dependency calls it awaits: their connections are closed,
so each dependency in turn notices a disconnect and cancels its own work.

The hot path stays cheap: the deadline is one timer handle (only when there is a deadline), and
the disconnect watch (a task awaiting ``receive()``) starts only once a call has lasted
``WATCH_AFTER_SEC`` or has to queue, by one ``Watchlist`` timer for all calls: a quick call
never pays for a task or a timer. A caller that leaves is noticed within about that delay.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Final

from starlette.types import Receive

from chains_runtime.server.asgi import wait_for_disconnect

WATCH_AFTER_SEC: Final = 0.02
"""How long a call runs before the server starts watching for its client's disconnect."""

MAX_BUDGET_DIGITS: Final = 10
"""``x-chains-deadline-ms`` takes at most this many digits (about 115 days)."""


class CallerGone(Exception):
    """The client disconnected while its call was queued or running; the call was cancelled."""


class DeadlineExceeded(Exception):
    """The call's deadline passed while it was queued or running; the call was cancelled."""


class BadDeadlineHeader(Exception):
    """The ``x-chains-deadline-ms`` value is not a whole number of milliseconds."""


def parse_budget(value: bytes) -> float:
    """The time budget in seconds of an ``x-chains-deadline-ms`` value (BadDeadlineHeader)."""
    if not (0 < len(value) <= MAX_BUDGET_DIGITS and value.isdigit()):
        raise BadDeadlineHeader
    return int(value) / 1000


def budget_of(budget_header: bytes | None, own_limit_sec: float | None) -> float | None:
    """The time budget of a call in seconds: the smaller of the caller's budget (the header)
    and the chainlet's own limit; None when neither is set. BadDeadlineHeader for a bad value."""
    if budget_header is None:
        return own_limit_sec
    budget = parse_budget(budget_header)
    return budget if own_limit_sec is None else min(own_limit_sec, budget)


def deadline_exceeded(budget_sec: float, endpoint: str) -> DeadlineExceeded:
    """``endpoint``: the method the message names (``run_remote``, a model's ``predict``)."""
    return DeadlineExceeded(
        f"the call's deadline ({budget_sec:g} s from its arrival) passed before {endpoint} "
        "finished; it was cancelled"
    )


class Watchlist:
    """The calls in flight that do not watch for their client's disconnect yet.

    One timer per ``WATCH_AFTER_SEC`` (only while calls are in flight), not one per call,
    starts the watch of each call that has run that long: a call that ends sooner costs a dict
    insertion and removal. ``bind`` gives it the server's loop when the server starts.
    """

    __slots__ = ("_timer", "calls", "endpoint", "loop")

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        """The method the calls run, as ``DeadlineExceeded`` messages name it."""
        self.calls: dict[CallGuard, float] = {}
        """Each call not watched yet, and when it started (loop time)."""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Serve calls on ``loop`` from now on (a server restarted on a new loop forgets the
        old one's calls)."""
        self.loop, self.calls, self._timer = loop, {}, None

    def add(self, guard: CallGuard, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self.loop:
            self.bind(loop)
        self.calls[guard] = loop.time()
        if self._timer is None:
            self._timer = loop.call_later(WATCH_AFTER_SEC, self._sweep)

    def _sweep(self) -> None:
        self._timer = None
        loop = self.loop
        if loop is None:  # pragma: no cover - a timer exists only after add()
            return
        due = loop.time() - WATCH_AFTER_SEC
        started = [guard for guard, since in self.calls.items() if since <= due]
        for guard in started:
            del self.calls[guard]
            guard.watch()
        if self.calls:
            first = min(self.calls.values())
            self._timer = loop.call_at(first + WATCH_AFTER_SEC, self._sweep)


def no_time_left(endpoint: str) -> DeadlineExceeded:
    return DeadlineExceeded(
        f"the call arrived with no time left in its budget; {endpoint} was not started"
    )


class CallGuard:
    """``with CallGuard(receive, watchlist, deadline, budget):`` cancels the block when the
    client leaves or the deadline (``time.monotonic()`` seconds, or None) passes; see the module
    docstring. ``budget`` (seconds) is only quoted in the ``DeadlineExceeded`` message."""

    __slots__ = (
        "_budget",
        "_deadline",
        "_deadline_timer",
        "_reason",
        "_receive",
        "_task",
        "_watcher",
        "_watchlist",
    )

    def __init__(
        self,
        receive: Receive,
        watchlist: Watchlist,
        deadline: float | None,
        budget: float | None,
    ) -> None:
        self._receive = receive
        self._watchlist = watchlist
        self._deadline = deadline
        self._budget = budget
        self._reason: type[Exception] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[object] | None = None

    def __enter__(self) -> CallGuard:
        # With the loop given, current_task() skips get_running_loop(), whose fork check is a
        # getpid() system call per call.
        task = asyncio.current_task(self._watchlist.loop)
        if task is None:  # the first call, or a loop that is not the one bound
            task = asyncio.current_task()
            if task is None:  # pragma: no cover - always inside a request task
                raise RuntimeError("CallGuard must be used inside a task")
        self._task = task
        loop = task.get_loop()
        self._watchlist.add(self, loop)
        if self._deadline is not None:
            left = max(self._deadline - time.monotonic(), 0.0)
            self._deadline_timer = loop.call_later(left, self._stop, DeadlineExceeded)
        return self

    def watch(self) -> None:
        """Start watching for the client's disconnect now (e.g. before waiting in a queue)."""
        if self._watcher is None and self._reason is None and self._task is not None:
            self._watchlist.calls.pop(self, None)
            self._watcher = self._task.get_loop().create_task(self._watch())

    async def _watch(self) -> None:
        await wait_for_disconnect(self._receive)
        self._stop(CallerGone)

    def _stop(self, reason: type[Exception]) -> None:
        if self._reason is None and self._task is not None:
            self._reason = reason
            self._task.cancel()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        watcher = self._watcher
        if watcher is None:
            self._watchlist.calls.pop(self, None)
        elif not watcher.done():
            watcher.cancel()
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        reason, task = self._reason, self._task
        if reason is None or task is None:
            return
        # As asyncio.timeout does: our cancellation becomes our exception, another one (the
        # server shutting down) goes on as a cancellation (Python 3.10 cannot tell them apart).
        uncancel = getattr(task, "uncancel", None)  # Python 3.11+
        outside = uncancel() > 0 if uncancel is not None else False
        if not outside and exc_type is asyncio.CancelledError:
            if reason is DeadlineExceeded:
                raise deadline_exceeded(self._budget or 0.0, self._watchlist.endpoint) from exc
            raise reason from exc
