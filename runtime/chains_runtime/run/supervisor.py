"""``chains-run --serve`` keeps a chain up: a chainlet process that dies is started again.

Each restart waits a backoff delay (0.5 s, doubling up to 10 s; back to 0.5 s once the process
has been ready for 30 s) and is logged on stderr: which chainlet, how it ended, the attempt and
the delay. The new process serves on the same socket (``chains-run`` keeps every listening
socket open), so its URL does not change and connections that arrive meanwhile wait in the
socket's queue. The other chainlets keep serving: a caller's ``/readyz`` does not depend on its
dependencies, and its calls to the dead one wait, or fail like any unreachable dependency.

A restarted process that fails its ``__init__`` (or is not ready within the startup timeout)
is killed and restarted again, with the same backoff, for as long as ``chains-run`` runs: the
cause may be outside the chain (a file, a service) and go away. Only the first start of a chain
fails ``chains-run`` on such an error (see ``Launcher.start``).
"""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import httpx

from chains_runtime.run.processes import (
    ChainletProcess,
    StartupError,
    readiness_client,
    wait_ready,
)

if TYPE_CHECKING:
    from chains_runtime.run.launcher import Launcher

FIRST_DELAY_SEC = 0.5
MAX_DELAY_SEC = 10.0
STABLE_AFTER_SEC = 30.0
"""A process ready this long has recovered: its next restart starts again at FIRST_DELAY_SEC."""
_POLL_SEC = 0.1


def restart_delay(attempt: int) -> float:
    """The wait before restart ``attempt`` (1, 2, ...) of a series: 0.5, 1, 2, 4, 8, 10, 10..."""
    return min(FIRST_DELAY_SEC * float(2 ** min(attempt - 1, 32)), MAX_DELAY_SEC)


@dataclass
class _Watch:
    """What the supervisor knows of one chainlet's current process."""

    ready_at: float | None
    """When the current process was (last known) ready; None while a restart is not ready."""
    attempt: int = 0
    """Restarts in the current series (0: never restarted, or up long enough since)."""
    restart_at: float | None = None
    not_ready: str | None = None
    """Why the supervisor killed a restarted process (it failed __init__, or was too slow)."""
    readiness: asyncio.Task[None] | None = None
    log_shown: bool = False
    """The log tail of a failure was shown since the last good start (shown once, not per try)."""


class Supervisor:
    """Restarts the dead processes of a started ``Launcher`` (see the module docstring)."""

    def __init__(self, launcher: Launcher) -> None:
        self._launcher = launcher
        self._reporter = launcher.reporter
        now = time.monotonic()
        self._watches = [_Watch(ready_at=now) for _ in launcher.processes]

    async def keep_up(self) -> NoReturn:
        """Watch the chain's processes until cancelled (by SIGINT / SIGTERM)."""
        async with readiness_client() as client:
            try:
                while True:
                    for index in range(len(self._watches)):
                        self._check(index, client)
                    await asyncio.sleep(_POLL_SEC)
            finally:
                tasks = [w.readiness for w in self._watches if w.readiness is not None]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    def _check(self, index: int, client: httpx.AsyncClient) -> None:
        watch = self._watches[index]
        now = time.monotonic()
        if watch.restart_at is not None:
            if now >= watch.restart_at:
                try:
                    process = self._launcher.restart(index)
                except OSError as exc:  # no memory, no file descriptors, ...
                    watch.attempt += 1
                    delay = restart_delay(watch.attempt)
                    name = self._launcher.processes[index].name
                    self._reporter.error(
                        f"cannot restart chainlet `{name}`: {exc}; "
                        f"trying again in {delay:g} s (attempt {watch.attempt})"
                    )
                    watch.restart_at = now + delay
                    return
                watch.restart_at = None
                watch.ready_at = None
                watch.readiness = asyncio.create_task(self._await_ready(watch, process, client))
            return
        process = self._launcher.processes[index]
        status = process.exit_status()
        if status is None:
            return
        if watch.readiness is not None:
            watch.readiness.cancel()
            watch.readiness = None
        if watch.ready_at is not None and now - watch.ready_at >= STABLE_AFTER_SEC:
            watch.attempt = 0
            watch.log_shown = False
        watch.attempt += 1
        delay = restart_delay(watch.attempt)
        how = watch.not_ready or status.describe()
        self._reporter.error(
            f"chainlet `{process.name}` (pid {process.pid}) {how}; restarting it in "
            f"{delay:g} s (attempt {watch.attempt})"
        )
        if (watch.not_ready or status.signal is None) and not watch.log_shown:
            watch.log_shown = True
            self._launcher.report_log(process)  # it ended by itself: its log may say why
        watch.not_ready = None
        watch.restart_at = now + delay

    async def _await_ready(
        self, watch: _Watch, process: ChainletProcess, client: httpx.AsyncClient
    ) -> None:
        deadline = time.monotonic() + self._launcher.options.startup_timeout
        try:
            await wait_ready(process, client, deadline)
        except StartupError as exc:
            if process.exit_status() is None:  # failed __init__ or too slow: try again later
                watch.not_ready = exc.reason
                process.signal_group(signal.SIGKILL)
            return
        watch.log_shown = False
        watch.ready_at = time.monotonic()
        self._reporter.progress(
            f"chainlet `{process.name}` restarted (pid {process.pid}), ready at {process.url}"
        )
