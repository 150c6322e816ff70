"""Serve one chainlet as its own process: ``python -m chains_runtime.serve TARGET``.

``TARGET`` is ``path/to/chain.py:ClassName`` (the file's folder is added to ``sys.path``) or
``package.module:ClassName``; ``ClassName`` may also be a chainlet that the module's chainlets
reach through ``depends(...)`` without the module naming it. The wiring (name, dependency URLs,
service token, ...) comes from ``CHAINS_CONFIG`` / ``CHAINS_CONFIG_FILE`` (see
``chains_runtime.wiring``); dependencies are called over HTTP through ``chains_runtime.stubs``.

Where to listen: ``--host`` / ``--port``, or ``--fd N``, a listening socket inherited from the
parent (``chains-run`` binds every port first, so all URLs are known before any chainlet starts
and no other program can take a port in between). ``--secrets-fd N`` reads the secrets as one
JSON object from an inherited pipe instead of ``secrets_dir``, so they are never on a disk, a
command line or in the environment; ``--wiring-fd N`` likewise reads the wiring config (with the
service token and API key) from a pipe instead of ``CHAINS_CONFIG``. ``--parent-pid PID`` ends
the process when its parent ends (see ``chains_runtime.lifeline``).

Bad wiring (malformed JSON, a missing dependency URL, a missing token) or an unloadable target
exits with status 2 and a one-line ``error:`` message on stderr, before anything listens.
uvicorn serves the app (with uvloop when importable, and httptools held to the connection,
time and size limits of ``server.limits``: ``--max-connections`` and the other flags, or
their ``CHAINS_*`` environment variables, else the chainlet's ``ChainletOptions``);
SIGTERM / SIGINT stop it gracefully: in-flight requests get ``--graceful-timeout`` seconds to
finish, then the dependency clients are closed. After a signal uvicorn re-raises it, so the
process exits by that signal (status -15 for SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib.util
import json
import os
import socket
import sys
from collections.abc import Sequence

import uvicorn

from chains_runtime.chain_file import find_chainlet, load_module
from chains_runtime.chainlet import ChainletBase
from chains_runtime.contract import CONFIG_ENV, CONFIG_FILE_ENV
from chains_runtime.errors import ChainsError, ChainsUsageError
from chains_runtime.lifeline import ParentGoneError, die_with_parent
from chains_runtime.server import create_app
from chains_runtime.server.access_log import configure_access_log
from chains_runtime.server.fastapi_app import ChainletFastAPI
from chains_runtime.server.hosts import allowed_hosts_for
from chains_runtime.server.http_protocol import limited_protocol
from chains_runtime.server.limits import add_limit_arguments, fit_to_fd_limit, limits_from
from chains_runtime.server.process import ChainletServer
from chains_runtime.server.signature import RunRemoteSpec
from chains_runtime.server.websocket_options import connection_room_warning, websocket_options
from chains_runtime.stubs import RemoteStubProvider
from chains_runtime.wiring import ChainletWiring, load_wiring, parse_wiring

EXIT_CONFIG_ERROR = 2
DEFAULT_GRACEFUL_TIMEOUT_SEC = 30.0


class _Server(ChainletServer):
    """Closes the dependency clients once the app has shut down (the app drains on a signal).

    This runs inside ``serve()``: after a SIGTERM, uvicorn re-raises the signal when ``serve()``
    returns (so the process still exits by the signal, status -15), and code after it never runs.
    """

    def __init__(
        self, config: uvicorn.Config, provider: RemoteStubProvider, app: ChainletFastAPI
    ) -> None:
        super().__init__(config, app)
        self._provider = provider

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().shutdown(sockets=sockets)
        finally:
            await self._provider.aclose()


def load_chainlet(target: str) -> type[ChainletBase]:
    """The chainlet class named by ``PATH_OR_MODULE:ClassName``."""
    location, sep, class_name = target.rpartition(":")
    if not sep or not location or not class_name:
        raise ChainsUsageError(
            f"expected PATH_OR_MODULE:ClassName (e.g. chain.py:HelloAll), got {target!r}"
        )
    module = load_module(location)
    value = getattr(module, class_name, None)
    if value is None:
        value = find_chainlet(module, class_name)
    if value is None:
        raise ChainsUsageError(f"{location!r} defines no `{class_name}`")
    if not (isinstance(value, type) and issubclass(value, ChainletBase)):
        raise ChainsUsageError(f"`{class_name}` in {location!r} is not a chainlet class")
    return value


def _read_fd(fd: int, what: str) -> bytes:
    """Everything up to the end of file descriptor ``fd`` (then closed); ``what`` names it in
    the error."""
    try:
        with os.fdopen(fd, "rb") as pipe:
            return pipe.read()
    except OSError as exc:
        raise ChainsUsageError(f"cannot read {what}: {exc}") from None


def read_secrets_fd(fd: int) -> dict[str, str]:
    """A JSON object of secret values read to the end of file descriptor ``fd`` (then closed)."""
    data = _read_fd(fd, f"secrets from --secrets-fd {fd}")
    try:
        values = json.loads(data) if data else {}
    except ValueError:
        values = None
    if not isinstance(values, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in values.items()
    ):
        raise ChainsUsageError(f"--secrets-fd {fd} must give a JSON object of strings")
    return values


def read_wiring_fd(fd: int) -> ChainletWiring:
    """The wiring config (``CHAINS_CONFIG``'s JSON) read to the end of ``fd`` (then closed)."""
    data = _read_fd(fd, f"the wiring from --wiring-fd {fd}")
    return parse_wiring(data.decode("utf-8", errors="replace"), source=f"--wiring-fd {fd}")


def inherited_socket(fd: int) -> socket.socket:
    """The listening socket inherited as ``fd`` (its family and type read from the socket)."""
    try:
        sock = socket.socket(fileno=fd)
    except OSError as exc:
        raise ChainsUsageError(f"--fd {fd} is not an inherited socket: {exc}") from None
    if sock.type != socket.SOCK_STREAM:
        sock.detach()
        raise ChainsUsageError(f"--fd {fd} is not a stream (TCP) socket")
    return sock


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chains_runtime.serve",
        description=f"Serve one chainlet over HTTP, wired by {CONFIG_ENV} / {CONFIG_FILE_ENV}.",
    )
    parser.add_argument("target", help="PATH_OR_MODULE:ClassName, e.g. chain.py:HelloAll")
    parser.add_argument("--host", default=None, help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port to listen on (8080)")
    parser.add_argument(
        "--fd", type=int, default=None, help="serve on this inherited listening socket instead"
    )
    parser.add_argument(
        "--secrets-fd",
        type=int,
        default=None,
        help="read the secrets as a JSON object from this inherited file descriptor",
    )
    parser.add_argument(
        "--wiring-fd",
        type=int,
        default=None,
        help="read the wiring config (JSON) from this inherited file descriptor, after "
        f"--secrets-fd, instead of {CONFIG_ENV} / {CONFIG_FILE_ENV}",
    )
    parser.add_argument(
        "--graceful-timeout",
        type=float,
        default=DEFAULT_GRACEFUL_TIMEOUT_SEC,
        help="seconds in-flight requests get to finish after SIGTERM (default 30)",
    )
    parser.add_argument(
        "--parent-pid",
        type=int,
        default=None,
        help="end this process when that one (its parent) ends (Linux)",
    )
    parser.add_argument("--log-level", default="info")
    add_limit_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.fd is not None and (args.host is not None or args.port is not None):
        parser.error("give either --fd or --host/--port, not both")
    if args.parent_pid is not None:
        try:
            die_with_parent(args.parent_pid)
        except ParentGoneError as exc:
            print(f"chains_runtime.serve: {exc}; not starting", file=sys.stderr)
            return 1
    try:
        # First: the parent may be waiting to finish writing into the pipe.
        secrets = read_secrets_fd(args.secrets_fd) if args.secrets_fd is not None else None
        piped = read_wiring_fd(args.wiring_fd) if args.wiring_fd is not None else None
        sockets = [inherited_socket(args.fd)] if args.fd is not None else None
        limits_from(args, os.environ)  # a bad flag or variable fails before the import
        chainlet_cls = load_chainlet(args.target)
        # a run_remote it cannot serve: said here
        is_websocket = RunRemoteSpec.from_chainlet(chainlet_cls).websocket is not None
        limits = limits_from(args, os.environ, chainlet_cls.remote_config.options)
        wiring = piped if piped is not None else load_wiring()
        provider = RemoteStubProvider(chainlet_cls, wiring)
        try:
            config = wiring.to_server_config(chainlet_cls, dependency_provider=provider)
        except BaseException:
            asyncio.run(provider.aclose())
            raise
    except ChainsError as exc:
        print(f"chains_runtime.serve: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    if secrets is not None:
        config = dataclasses.replace(config, secrets=secrets, secrets_dir=None)
    bound_host = sockets[0].getsockname()[0] if sockets else (args.host or "127.0.0.1")
    config = dataclasses.replace(
        config, allowed_hosts=allowed_hosts_for(bound_host, config.allowed_hosts)
    )
    app = create_app(chainlet_cls, config=config)
    configure_access_log(args.log_level)  # one line per call, with its request id
    limits, fd_warning = fit_to_fd_limit(limits)
    if fd_warning is not None:
        print(f"chains_runtime.serve: warning: {fd_warning}", file=sys.stderr)
    room_warning = connection_room_warning(config, limits) if is_websocket else None
    if room_warning is not None:
        print(f"chains_runtime.serve: warning: {room_warning}", file=sys.stderr)
    uvicorn_config = uvicorn.Config(
        app,
        host=args.host or "127.0.0.1",
        port=8080 if args.port is None else args.port,
        http=limited_protocol(limits, chainlet_cls.__name__),
        # Websocket handshakes go to uvicorn's websockets (sans-I/O) protocol; an HTTP request
        # never reaches it (see server.websocket_options).
        **websocket_options(config, chainlet_cls.remote_config.options),
        lifespan="on",
        log_level=args.log_level,
        access_log=False,  # the app's access log replaces uvicorn's
        # No proxy-header rewriting (nothing here reads the client address) and no
        # "server: uvicorn" banner: one middleware layer and one header less per request.
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=max(0, round(args.graceful_timeout)),
    )
    server = _Server(uvicorn_config, provider, app)
    # uvicorn handles SIGTERM / SIGINT: stop accepting, finish in-flight requests, shut down.
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        uvloop.run(server.serve(sockets=sockets))
    else:
        asyncio.run(server.serve(sockets=sockets))
    return 0 if server.started else 1


def serve_chainlet(chainlet_cls: type[ChainletBase], argv: Sequence[str] | None = None) -> int:
    """Serve an already imported chainlet class the way ``main`` serves a TARGET.

    The entry point of the servers chains-build generates: ``argv`` (default
    ``sys.argv[1:]``) holds the options (``--host``, ``--port``...) without a target.
    """
    target = f"{chainlet_cls.__module__}:{chainlet_cls.__name__}"
    return main([target, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
