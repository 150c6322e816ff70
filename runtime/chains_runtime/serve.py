"""Serve one chainlet as its own process: ``python -m chains_runtime.serve TARGET``.

``TARGET`` is ``path/to/chain.py:ClassName`` (the file's folder is added to ``sys.path``) or
``package.module:ClassName``. The wiring (name, dependency URLs, service token, ...) comes from
``CHAINS_CONFIG`` / ``CHAINS_CONFIG_FILE`` (see ``chains_runtime.wiring``); dependencies are
called over HTTP through ``chains_runtime.stubs``.

Bad wiring (malformed JSON, a missing dependency URL, a missing token) or an unloadable target
exits with status 2 and a one-line ``error:`` message on stderr, before anything listens.
uvicorn serves the app (with uvloop and httptools when importable); SIGTERM / SIGINT stop it
gracefully: in-flight requests finish, then the dependency clients are closed. After a signal
uvicorn re-raises it, so the process exits by that signal (status -15 for SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import uvicorn

from chains_runtime import import_alias
from chains_runtime.chainlet import ChainletBase
from chains_runtime.errors import ChainsError, ChainsUsageError
from chains_runtime.server import create_app
from chains_runtime.stubs import RemoteStubProvider, RequestIdMiddleware
from chains_runtime.wiring import load_wiring

EXIT_CONFIG_ERROR = 2


class _Server(uvicorn.Server):
    """Closes the dependency clients once the app has shut down.

    This runs inside ``serve()``: after a SIGTERM, uvicorn re-raises the signal when ``serve()``
    returns (so the process still exits by the signal, status -15), and code after it never runs.
    """

    def __init__(self, config: uvicorn.Config, provider: RemoteStubProvider) -> None:
        super().__init__(config)
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
    import_alias.install()
    module = _load_module(location)
    value = getattr(module, class_name, None)
    if value is None:
        raise ChainsUsageError(f"{location!r} defines no `{class_name}`")
    if not (isinstance(value, type) and issubclass(value, ChainletBase)):
        raise ChainsUsageError(f"`{class_name}` in {location!r} is not a chainlet class")
    return value


def _load_module(location: str) -> ModuleType:
    path = Path(location)
    if location.endswith(".py") or path.is_file():
        path = path.resolve()
        if not path.is_file():
            raise ChainsUsageError(f"chain file {location!r} does not exist")
        folder = str(path.parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        name = path.stem
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ChainsUsageError(f"cannot import {location!r}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(location)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chains_runtime.serve",
        description="Serve one chainlet over HTTP, wired by CHAINS_CONFIG / CHAINS_CONFIG_FILE.",
    )
    parser.add_argument("target", help="PATH_OR_MODULE:ClassName, e.g. chain.py:HelloAll")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--log-level", default="info")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        chainlet_cls = load_chainlet(args.target)
        wiring = load_wiring()
        provider = RemoteStubProvider(chainlet_cls, wiring)
        try:
            config = wiring.to_server_config(chainlet_cls, dependency_provider=provider)
        except BaseException:
            asyncio.run(provider.aclose())
            raise
    except ChainsError as exc:
        print(f"chains_runtime.serve: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    app = RequestIdMiddleware(create_app(chainlet_cls, config=config))
    uvicorn_config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        lifespan="on",
        log_level=args.log_level,
        timeout_graceful_shutdown=30,
    )
    server = _Server(uvicorn_config, provider)
    # uvicorn handles SIGTERM / SIGINT: stop accepting, finish in-flight requests, shut down.
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        uvloop.run(server.serve())
    else:
        asyncio.run(server.serve())
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
