"""The default ``chains-run`` mode: every chainlet its own ``chains_runtime.serve`` process.

All listening sockets are bound first (port 0 on 127.0.0.1, or the ``--serve`` address for the
entrypoint), so every dependency URL is known before any child starts. Each child gets its
declared secrets and then its wiring (its dependencies' URLs, the service token: fresh, or
``CHAINS_SERVICE_TOKEN``; the entrypoint's API key) through two pipes, and its socket: nothing
secret is on a command line (readable by every local user) or in the environment (inherited by
whatever the chainlet starts). ``chains-run`` waits for every ``/readyz``, then calls the
entrypoint with the dependency client (or keeps serving, with ``--serve``: the listening sockets
stay open here, so a chainlet that dies is restarted on the same address, see ``supervisor``),
and always stops every child, also on SIGINT, SIGTERM and failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from chains_runtime.chainlet import ChainletBase
from chains_runtime.client import (
    DependencyClient,
    DependencyError,
    DependencyTimeoutError,
    ProtocolError,
    RemoteChainletError,
)
from chains_runtime.context import DEADLINE
from chains_runtime.contract import API_KEY_ENV, CONFIG_ENV, CONFIG_FILE_ENV, SERVICE_TOKEN_ENV
from chains_runtime.model_base import PREDICT_PATH, endpoint_name, is_model
from chains_runtime.protocol import DEADLINE_EXCEEDED, RUN_REMOTE_PATH
from chains_runtime.run.discovery import Chain
from chains_runtime.run.in_process import data_dir_of
from chains_runtime.run.inputs import CallInput
from chains_runtime.run.output import (
    OutputClosedError,
    Reporter,
    UnprintableItemError,
    stream_item_json,
)
from chains_runtime.run.processes import (
    ChainletProcess,
    StartupError,
    bind_listener,
    readiness_client,
    socket_url,
    spawn,
    stop,
    wait_ready,
)
from chains_runtime.run.secret_values import declared_secrets
from chains_runtime.run.supervisor import Supervisor
from chains_runtime.server.signature import RunRemoteSpec
from chains_runtime.server.websocket import WEBSOCKET_PATH
from chains_runtime.websocket import is_websocket_chainlet

EXIT_OK = 0
EXIT_FAILED = 1

RUN_GRACEFUL_SEC = 1.0
"""After a run, a child's in-flight requests (only after an interruption) get this long."""
SERVE_GRACEFUL_SEC = 30.0
"""With ``--serve``, in-flight requests get this long to finish after SIGTERM / Ctrl-C."""
KILL_MARGIN_SEC = 4.0
"""SIGKILL a child this long after its graceful period, if it is still there."""
ABORT_MARGIN_SEC = 1.0
"""The same after a failure or an interruption: nothing is waited for any more."""
_NO_TIMEOUT_SEC = 365 * 24 * 3600.0
_DEADLINE_SLACK_SEC = 0.25
"""A ``DeadlineExceeded`` answer this close to ``--timeout`` is that timeout (the chain got the
budget rounded down, and answers a little before the client gives up)."""
_VERBOSE_POLL_SEC = 0.1


@dataclass(frozen=True)
class ServeAddress:
    host: str
    port: int
    api_key: str | None


@dataclass(frozen=True)
class LaunchOptions:
    startup_timeout: float
    verbose: bool
    serve: ServeAddress | None = None
    private_env: frozenset[str] = frozenset()
    """Environment variables the chainlets do not inherit (those ``--secret KEY`` reads)."""
    server_argv: tuple[str, ...] = ()
    """Flags for every chainlet server (its HTTP limits, see ``server.limits``)."""


class Interrupts:
    """SIGINT / SIGTERM while the event loop runs: the first cancels the work, a later one
    (or any once stopping started) makes the stop kill at once."""

    def __init__(self, reporter: Reporter) -> None:
        self.signal: int | None = None
        self.stopping = False
        self._forced = False
        self._reporter = reporter
        self._task: asyncio.Task[Any] | None = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._handle, signum)
        try:
            yield
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    def _handle(self, signum: int) -> None:
        if self.signal is None and not self.stopping and self._task is not None:
            self.signal = signum
            self._task.cancel()
        elif not self._forced:
            self._forced = True
            self._reporter.progress(f"{signal.Signals(signum).name} again: killing the chainlets")

    def forced(self) -> bool:
        return self._forced

    def exit_code(self) -> int:
        assert self.signal is not None
        return 128 + self.signal


def _child_env(private: frozenset[str]) -> dict[str, str]:
    """The environment minus every CHAINS_* variable (wiring, token, API key) and ``private``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CHAINS_") and key not in private
    }
    assert not {CONFIG_ENV, CONFIG_FILE_ENV, SERVICE_TOKEN_ENV, API_KEY_ENV} & set(env)
    env["PYTHONUNBUFFERED"] = "1"  # user prints reach the log as they happen
    return env


class Launcher:
    """Starts the chain's processes, waits for them, and stops them."""

    def __init__(
        self,
        chain: Chain,
        secret_values: dict[str, str],
        options: LaunchOptions,
        reporter: Reporter,
    ) -> None:
        self.chain = chain
        self.options = options
        self.reporter = reporter
        self.interrupts = Interrupts(reporter)
        self.service_token = os.environ.get(SERVICE_TOKEN_ENV) or secrets.token_urlsafe(32)
        self.processes: list[ChainletProcess] = []
        self._secret_values = secret_values
        self._env = _child_env(options.private_env)
        self._urls: dict[str, str] = {}
        self._listeners: list[socket.socket] = []
        """With ``--serve``: each chainlet's socket (as ``processes``), kept for restarts."""
        self._verbose_task: asyncio.Task[None] | None = None

    @property
    def entrypoint(self) -> ChainletProcess:
        return self.processes[0]

    def _bind(self) -> dict[str, socket.socket]:
        listeners: dict[str, socket.socket] = {}
        try:
            for cls in self.chain.chainlets:
                serve = self.options.serve
                if cls is self.chain.entrypoint and serve is not None:
                    listeners[cls.__name__] = bind_listener(serve.host, serve.port)
                else:
                    listeners[cls.__name__] = bind_listener("127.0.0.1", 0)
        except BaseException:
            for sock in listeners.values():
                sock.close()
            raise
        return listeners

    def _wiring(self, cls: type[ChainletBase], urls: dict[str, str]) -> dict[str, Any]:
        is_entry = cls is self.chain.entrypoint
        config: dict[str, Any] = {
            "chainlet": cls.__name__,
            "is_entrypoint": is_entry,
            "dependencies": {
                dep.__name__: urls[dep.__name__] for dep in self.chain.dependencies(cls)
            },
            "service_token": self.service_token,
            "expose_tracebacks": True,  # local development: show callers where it failed
        }
        if is_entry and self.options.serve is not None and self.options.serve.api_key:
            config["api_key"] = self.options.serve.api_key
        data_dir = data_dir_of(cls)
        if data_dir is not None:
            config["data_dir"] = str(data_dir)
        return config

    def _argv(self, cls: type[ChainletBase]) -> list[str]:
        graceful = SERVE_GRACEFUL_SEC if self.options.serve is not None else RUN_GRACEFUL_SEC
        level = "info" if self.options.verbose else "warning"
        target = f"{self.chain.file}:{cls.__name__}"
        command = [sys.executable, "-m", "chains_runtime.serve", target]
        options = ["--log-level", level, "--graceful-timeout", str(graceful)]
        return [*command, *options, *self.options.server_argv]

    def _spawn(self, cls: type[ChainletBase], listener: socket.socket) -> ChainletProcess:
        return spawn(
            cls.__name__,
            self._argv(cls),
            env=self._env,
            listener=listener,
            secrets=declared_secrets(cls, self._secret_values),
            wiring=self._wiring(cls, self._urls),
        )

    async def start(self) -> None:
        """Bind, spawn and wait for every chainlet; report the time taken. StartupError if not."""
        began = time.monotonic()
        listeners = self._bind()
        self._urls = {name: socket_url(sock) for name, sock in listeners.items()}
        names = ", ".join(cls.__name__ for cls in self.chain.chainlets)
        count = len(self.chain.chainlets)
        self.reporter.progress(f"starting {count} chainlet{'s' if count > 1 else ''}: {names}")
        try:
            for cls in self.chain.chainlets:
                self.processes.append(self._spawn(cls, listeners[cls.__name__]))
        finally:
            if self.options.serve is not None:  # kept: a restarted chainlet serves on it again
                self._listeners = [listeners[cls.__name__] for cls in self.chain.chainlets]
            else:
                for sock in listeners.values():  # the children hold them now
                    sock.close()
        if self.options.verbose:
            self._verbose_task = asyncio.create_task(self._copy_logs())
        deadline = time.monotonic() + self.options.startup_timeout
        async with readiness_client() as client:
            waits = [asyncio.create_task(wait_ready(p, client, deadline)) for p in self.processes]
            try:
                await asyncio.gather(*waits)
            finally:
                for wait in waits:
                    wait.cancel()
                await asyncio.gather(*waits, return_exceptions=True)
        self.reporter.progress(f"ready in {time.monotonic() - began:.1f} s")

    def restart(self, index: int) -> ChainletProcess:
        """Replace the dead ``processes[index]`` by a new process serving on the same socket
        (OSError if it cannot be started: the dead one stays in place)."""
        dead = self.processes[index]
        dead.signal_group(signal.SIGKILL)  # whatever it started goes with it (GPU memory...)
        dead.reap()
        process = self._spawn(self.chain.chainlets[index], self._listeners[index])
        if self.options.verbose:
            self.reporter.lines(f"[{dead.name}] ", dead.new_log_lines(final=True))
        dead.close_log()
        self.processes[index] = process
        return process

    async def stop(self, *, ordered: bool) -> None:
        """Stop every child: callers first when ``ordered``, else all at once."""
        self.interrupts.stopping = True
        for sock in self._listeners:  # the port closes once the children let go of it too
            sock.close()
        serving = self.options.serve is not None
        graceful = SERVE_GRACEFUL_SEC if serving else RUN_GRACEFUL_SEC
        await stop(
            self.processes,
            grace_sec=graceful + (KILL_MARGIN_SEC if ordered else ABORT_MARGIN_SEC),
            ordered=ordered,
            forced=self.interrupts.forced,
        )
        if self._verbose_task is not None:
            self._verbose_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._verbose_task
        for process in self.processes:
            if self.options.verbose:
                self.reporter.lines(f"[{process.name}] ", process.new_log_lines(final=True))
            process.close_log()

    async def _copy_logs(self) -> None:
        while True:
            for process in self.processes:
                self.reporter.lines(f"[{process.name}] ", process.new_log_lines())
            await asyncio.sleep(_VERBOSE_POLL_SEC)

    def exited(self) -> list[ChainletProcess]:
        return [p for p in self.processes if p.exit_status() is not None]

    def report_exited(self) -> None:
        """Name each child that is gone, with how it ended and the tail of its log."""
        for process in self.exited():
            status = process.exit_status()
            assert status is not None
            self.reporter.error(f"chainlet `{process.name}` {status.describe()}")
            self.report_log(process)

    def report_log(self, process: ChainletProcess) -> None:
        if not self.options.verbose:  # with --verbose, the log is on stderr already
            self.reporter.block(f"last lines of the log of `{process.name}`", process.log_tail())


def _uncancel() -> None:
    """Forget the cancellation that delivered a signal, so the stop can await (3.11+)."""
    task = asyncio.current_task()
    uncancel = getattr(task, "uncancel", None)
    if uncancel is not None:
        uncancel()


async def run_chain(
    chain: Chain,
    call_input: CallInput,
    secret_values: dict[str, str],
    options: LaunchOptions,
    reporter: Reporter,
    emit: Callable[[Any], None],
    call_timeout: float | None,
) -> int:
    """Start the chain, call the entrypoint once, print each result, stop; the exit code."""
    launcher = Launcher(chain, secret_values, options, reporter)
    interrupts = launcher.interrupts
    clean = False
    with interrupts.installed():
        try:
            await launcher.start()
            await _call(launcher, call_input, emit, call_timeout)
            clean = True
            return EXIT_OK
        except asyncio.CancelledError:
            if interrupts.signal is None:
                raise
            _uncancel()
            name = signal.Signals(interrupts.signal).name
            reporter.error(f"interrupted by {name}; stopping the chainlets")
            return interrupts.exit_code()
        except StartupError as exc:
            reporter.error(str(exc))
            launcher.report_log(exc.process)
            return EXIT_FAILED
        except RemoteChainletError as exc:
            reporter.chainlet_failed(exc.chainlet, exc.type, exc.message, exc.traceback)
            return EXIT_FAILED
        except (asyncio.TimeoutError, DependencyTimeoutError):
            reporter.error(
                f"the call to `{chain.entrypoint.__name__}` did not finish within "
                f"{call_timeout:g} s (--timeout)"
            )
            return EXIT_FAILED
        except (DependencyError, ProtocolError) as exc:
            reporter.error(f"calling `{chain.entrypoint.__name__}` failed: {exc}")
            launcher.report_exited()
            return EXIT_FAILED
        except (OutputClosedError, UnprintableItemError) as exc:
            reporter.error(str(exc))
            return EXIT_FAILED
        finally:
            await launcher.stop(ordered=clean)


async def _call(
    launcher: Launcher,
    call_input: CallInput,
    emit: Callable[[Any], None],
    call_timeout: float | None,
) -> None:
    entry = launcher.chain.entrypoint
    client = DependencyClient(
        entry.__name__,
        launcher.entrypoint.url,
        retries=0,  # the entrypoint is ready; a call is never repeated
        timeout_sec=call_timeout or _NO_TIMEOUT_SEC,
        service_token=launcher.service_token,
    )

    async def call() -> None:
        if RunRemoteSpec.from_chainlet(entry).is_stream:
            async for item in client.stream(call_input.given):
                # A bytes frame's item is bytes; any other item is JSON already.
                emit(stream_item_json(item, entry.__name__) if isinstance(item, bytes) else item)
        else:
            emit(await client.call(call_input.given))

    # The client sends what is left of --timeout (x-chains-deadline-ms), so the whole chain
    # stops at it instead of working on after chains-run gave up.
    deadline = None if call_timeout is None else time.monotonic() + call_timeout
    token = DEADLINE.set(deadline)
    try:
        await asyncio.wait_for(call(), timeout=call_timeout)
    except RemoteChainletError as exc:
        if (
            deadline is not None
            and exc.type == DEADLINE_EXCEEDED
            and time.monotonic() >= deadline - _DEADLINE_SLACK_SEC
        ):
            raise TimeoutError from exc
        raise
    finally:
        DEADLINE.reset(token)
        await client.aclose()


async def serve_chain(
    chain: Chain,
    secret_values: dict[str, str],
    options: LaunchOptions,
    reporter: Reporter,
) -> int:
    """Start the chain (1 if it does not start) and keep it up, restarting a chainlet that
    dies, until SIGINT / SIGTERM: then stop every chainlet gracefully and return 0."""
    assert options.serve is not None
    launcher = Launcher(chain, secret_values, options, reporter)
    interrupts = launcher.interrupts
    clean = False
    with interrupts.installed():
        try:
            await launcher.start()
            for process in launcher.processes[1:]:
                reporter.progress(
                    f"internal chainlet {process.name} at {process.url}{RUN_REMOTE_PATH} "
                    "(callers need the service token)"
                )
            if is_websocket_chainlet(chain.entrypoint):
                websocket_url = launcher.entrypoint.url.replace("http://", "ws://", 1)
                reporter.progress(
                    f"serving {chain.entrypoint.__name__} at {websocket_url}{WEBSOCKET_PATH} "
                    f"(its {endpoint_name(chain.entrypoint)} takes a websocket: connect a "
                    "websocket client)"
                )
            else:
                reporter.progress(
                    f"serving {chain.entrypoint.__name__} at "
                    f"{launcher.entrypoint.url}{RUN_REMOTE_PATH}"
                    + (f" and {PREDICT_PATH}" if is_model(chain.entrypoint) else "")
                )
            await Supervisor(launcher).keep_up()
        except asyncio.CancelledError:
            if interrupts.signal is None:
                raise
            _uncancel()
            clean = True
            name = signal.Signals(interrupts.signal).name
            reporter.progress(f"{name}: stopping the chainlets")
            return EXIT_OK
        except StartupError as exc:
            reporter.error(str(exc))
            launcher.report_log(exc.process)
            return EXIT_FAILED
        finally:
            await launcher.stop(ordered=clean)
