"""Chainlet processes: listening sockets bound up front, spawn, readiness, logs, stop.

Each child runs in its own session (so a terminal's Ctrl-C reaches only ``chains-run``, which
then stops the children in order) and is told ``--parent-pid``, so that on Linux it gets SIGTERM
when ``chains-run`` itself dies, even by SIGKILL (see ``lifeline``). Its output goes to an
unlinked temporary file: nothing is left on disk, whatever happens. A child is stopped through
its process group, so anything it started goes too; the group is signalled only while the
child is not yet reaped, so its id cannot have been reused by another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from chains_runtime.contract import READINESS_PATH
from chains_runtime.errors import ChainsUsageError

LOG_TAIL_LINES = 40
_LOG_TAIL_BYTES = 64 * 1024
_POLL_SEC = 0.05


class PortError(ChainsUsageError):
    """An address to listen on cannot be bound."""


class StartupError(Exception):
    """A chainlet process exited, failed its ``__init__``, or was not ready in time."""

    def __init__(self, process: ChainletProcess, reason: str) -> None:
        super().__init__(f"chainlet `{process.name}` {reason}")
        self.process = process
        self.reason = reason


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free port chosen by the kernel)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PortError(f"cannot listen on {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        # Listening now: a connection that arrives before the child serves waits in the queue.
        sock.listen(socket.SOMAXCONN)
    except OSError as exc:
        sock.close()
        what = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
        raise PortError(f"cannot listen on {what}: {exc.strerror or exc}") from None
    return sock


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass(frozen=True)
class ExitStatus:
    code: int | None
    signal: int | None

    def describe(self) -> str:
        if self.signal is not None:
            return f"was killed by {signal.Signals(self.signal).name}"
        return f"exited with status {self.code}"


class ChainletProcess:
    """One running ``python -m chains_runtime.serve`` child and its log."""

    def __init__(self, name: str, url: str, popen: subprocess.Popen[bytes], log_fd: int) -> None:
        self.name = name
        self.url = url
        self.popen = popen
        self._log_fd = log_fd
        self._log_offset = 0
        self._partial = b""
        self._status: ExitStatus | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exit_status(self) -> ExitStatus | None:
        """How the child ended, or None while it runs (it is not reaped here)."""
        if self._status is not None:
            return self._status
        if self.popen.returncode is not None:
            code = self.popen.returncode
            self._status = ExitStatus(code, None) if code >= 0 else ExitStatus(None, -code)
            return self._status
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            info = None
        if info is None:
            return None
        if info.si_code == os.CLD_EXITED:
            self._status = ExitStatus(info.si_status, None)
        else:
            self._status = ExitStatus(None, info.si_status)
        return self._status

    def signal_group(self, signum: int) -> None:
        """Signal the child's process group (safe: the child is never reaped before this)."""
        if self.popen.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def reap(self) -> None:
        self.popen.wait()

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        size = os.fstat(self._log_fd).st_size
        start = max(0, size - _LOG_TAIL_BYTES)
        data = os.pread(self._log_fd, size - start, start)
        text = data.decode("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def new_log_lines(self, final: bool = False) -> str:
        """Complete log lines written since the last call (all of it when ``final``)."""
        size = os.fstat(self._log_fd).st_size
        if size > self._log_offset:
            self._partial += os.pread(self._log_fd, size - self._log_offset, self._log_offset)
            self._log_offset = size
        if final:
            complete, self._partial = self._partial, b""
        else:
            cut = self._partial.rfind(b"\n") + 1
            complete, self._partial = self._partial[:cut], self._partial[cut:]
        return complete.decode("utf-8", errors="replace")

    def close_log(self) -> None:
        os.close(self._log_fd)


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    listener: socket.socket,
    secrets: Mapping[str, str],
    wiring: Mapping[str, Any],
) -> ChainletProcess:
    """Start a child serving on ``listener``, given ``secrets`` (``--secrets-fd``) and then its
    ``wiring`` with the service token and API key (``--wiring-fd``) through two pipes, in the
    order it reads them; nothing secret is on its command line or in its environment."""
    with tempfile.TemporaryFile(prefix=f"chains-run-{name}-") as log:  # unlinked already
        log_fd = os.dup(log.fileno())
    secrets_read, secrets_write = os.pipe()
    wiring_read, wiring_write = os.pipe()
    command = [*argv, "--fd", str(listener.fileno()), "--secrets-fd", str(secrets_read)]
    command += ["--wiring-fd", str(wiring_read), "--parent-pid", str(os.getpid())]
    try:
        popen = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_fd,
            stderr=subprocess.STDOUT,
            env=dict(env),
            pass_fds=(listener.fileno(), secrets_read, wiring_read),
            start_new_session=True,
        )
    except BaseException:
        for fd in (secrets_read, secrets_write, wiring_read, wiring_write, log_fd):
            os.close(fd)
        raise
    os.close(secrets_read)
    os.close(wiring_read)
    process = ChainletProcess(name, socket_url(listener), popen, log_fd)
    for write_end, value in ((secrets_write, dict(secrets)), (wiring_write, dict(wiring))):
        try:
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(json.dumps(value).encode("utf-8"))
        except BrokenPipeError:
            pass  # the child is gone already: readiness reports it with its log
    return process


def readiness_client() -> httpx.AsyncClient:
    """The client of the ``/readyz`` probes. They go to loopback only, so proxy variables are
    ignored: with ``HTTP_PROXY`` set and no ``NO_PROXY``, httpx would send them to the proxy."""
    return httpx.AsyncClient(trust_env=False)


async def wait_ready(process: ChainletProcess, client: httpx.AsyncClient, deadline: float) -> None:
    """Poll ``GET /readyz`` until 200; StartupError when the child exits, fails or times out."""
    url = process.url + READINESS_PATH
    while True:
        status = process.exit_status()
        if status is not None:
            raise StartupError(process, f"{status.describe()} before it was ready")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StartupError(process, "was not ready within the startup timeout")
        try:
            response = await client.get(url, timeout=min(1.0, remaining))
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return
        if response is not None and _init_failed(response):
            raise StartupError(process, "failed in __init__")
        await asyncio.sleep(_POLL_SEC)


def _init_failed(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == "failed"


async def stop(
    processes: Sequence[ChainletProcess],
    *,
    grace_sec: float,
    ordered: bool,
    forced: Callable[[], bool],
) -> None:
    """SIGTERM, then SIGKILL after ``grace_sec`` (at once when ``forced()``); reap all.

    ``ordered``: one at a time in the given order (callers before the chainlets they call, so
    in-flight requests can finish); otherwise all at once.
    """
    groups = [[p] for p in processes] if ordered else [list(processes)]
    try:
        for group in groups:
            for process in group:
                process.signal_group(signal.SIGTERM)
            deadline = time.monotonic() + grace_sec
            while not all(p.exit_status() is not None for p in group):
                if forced() or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(_POLL_SEC)
            for process in group:
                # Also whatever the child started; its group is still valid (not reaped yet).
                process.signal_group(signal.SIGKILL)
    finally:
        for process in processes:
            if process.exit_status() is None:
                process.signal_group(signal.SIGKILL)
            process.reap()
