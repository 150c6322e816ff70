"""Remote stubs: what ``depends(X)`` becomes in a served chainlet that calls X over HTTP.

``RemoteStubProvider`` is a ``DependencyProvider`` for the server harness. At start-up it builds
one ``DependencyClient`` per ``depends(X, retries=..., timeout_sec=...)`` parameter of the
served chainlet, with X's URL from the wiring config; the chainlet then receives a
``RemoteStub`` whose ``run_remote`` mirrors ``X.run_remote``:

- Arguments are bound to ``X.run_remote``'s signature, so positional calls work; only the
  arguments given are sent (the callee applies its own defaults, never ``null``).
- The result is validated with a pydantic ``TypeAdapter`` of the return annotation, so a
  pydantic model comes back as the model (an ``Any`` / missing annotation returns the JSON).
- ``depends(X, use_binary=True)``: arguments, results and streamed items travel as
  MessagePack (``chains_runtime.binary``) instead of JSON.
- ``async def run_remote`` -> an ``async`` stub method (``await stub.run_remote(...)``).
- an async-generator ``run_remote`` -> a stub method returning an async iterator of items.
- a sync ``def run_remote`` -> a sync stub method. Its HTTP call runs on a dedicated background
  event loop thread (one per provider) and the calling thread waits for it, so a sync chainlet
  (run by the harness in a worker thread) never touches the server's event loop. Calling a sync
  stub from ``async`` code blocks that loop while it waits, exactly as calling X would.

The id of the request being served (``current_request_id()``, set by the server harness for
each ``run_remote`` call) is passed on to dependencies as ``x-request-id``, so every chainlet
along a chain logs the same id; what is left of its deadline goes as ``x-chains-deadline-ms``.
``RequestIdMiddleware`` (re-exported here) does the same for
apps other than the harness's.
"""

from __future__ import annotations

import collections.abc
import inspect
import typing
from collections.abc import AsyncIterator, Callable
from time import perf_counter
from typing import Any

import pydantic

from chains_runtime.chainlet import ChainletBase
from chains_runtime.client import DependencyClient
from chains_runtime.client.errors import DependencyTimeoutError, DependencyUnavailableError
from chains_runtime.context import current_request_id
from chains_runtime.errors import ChainsUsageError
from chains_runtime.injection import DependencyMarker
from chains_runtime.loop_thread import LoopThread
from chains_runtime.protocol import RemoteChainletError
from chains_runtime.server.annotations import run_remote_hints
from chains_runtime.server.metrics import DependencyMetrics
from chains_runtime.server.request_id import RequestIdMiddleware
from chains_runtime.wiring import ChainletWiring, dependency_markers

__all__ = ["RemoteStub", "RemoteStubProvider", "RequestIdMiddleware", "current_request_id"]

_ASYNC_ITERATORS = (
    collections.abc.AsyncIterator,
    collections.abc.AsyncGenerator,
    collections.abc.AsyncIterable,
)


class RemoteStub:
    """Stands in for a dependency chainlet: ``run_remote`` calls it over HTTP."""

    run_remote: Callable[..., Any]

    def __init__(
        self,
        chainlet_cls: type[ChainletBase],
        client: DependencyClient,
        *,
        loop_thread: LoopThread | None = None,
        metrics: DependencyMetrics | None = None,
    ) -> None:
        method = getattr(chainlet_cls, "run_remote", None)
        if method is None or not callable(method):
            raise ChainsUsageError(f"chainlet `{chainlet_cls.__name__}` has no `run_remote`")
        self.chainlet_cls = chainlet_cls
        self.client = client
        signature = inspect.signature(method)
        signature = signature.replace(parameters=list(signature.parameters.values())[1:])
        returns = _return_annotation(chainlet_cls.__name__, method)
        is_stream = inspect.isasyncgenfunction(method)
        is_async = inspect.iscoroutinefunction(method)
        if is_stream and typing.get_origin(returns) in _ASYNC_ITERATORS:
            item_args = typing.get_args(returns)
            returns = item_args[0] if item_args else Any
        elif is_stream:
            returns = Any
        adapter = _adapter(returns)

        def bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{chainlet_cls.__name__}.run_remote(): {exc}") from None
            return dict(bound.arguments)  # only the arguments given, no defaults

        def convert(value: Any) -> Any:
            return value if adapter is None else adapter.validate_python(value)

        name = chainlet_cls.__name__

        def record(outcome: str, started: float) -> None:
            if metrics is not None:
                metrics.record(name, outcome, perf_counter() - started)

        async def call(arguments: dict[str, Any], request_id: str | None) -> Any:
            started, outcome = perf_counter(), "failed"
            try:
                result = convert(await client.call(arguments, request_id=request_id))
                outcome = "ok"
                return result
            except Exception as exc:
                outcome = _outcome_of(exc)
                raise
            finally:
                record(outcome, started)

        run_remote: Callable[..., Any]
        if is_stream:

            async def run_stream(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                arguments = bind(args, kwargs)
                started, outcome = perf_counter(), "failed"
                try:
                    stream = client.stream(arguments, request_id=current_request_id())
                    async for item in stream:
                        yield convert(item)
                    outcome = "ok"
                except GeneratorExit:  # the caller stopped reading: not the dependency's fault
                    outcome = "ok"
                    raise
                except Exception as exc:
                    outcome = _outcome_of(exc)
                    raise
                finally:
                    record(outcome, started)

            run_remote = run_stream
        elif is_async:

            async def run_async(*args: Any, **kwargs: Any) -> Any:
                return await call(bind(args, kwargs), current_request_id())

            run_remote = run_async
        else:
            if loop_thread is None:
                raise ChainsUsageError(
                    f"`{chainlet_cls.__name__}.run_remote` is sync: its stub needs a loop thread"
                )
            thread = loop_thread

            def run_sync(*args: Any, **kwargs: Any) -> Any:
                # The loop thread runs the call in a copy of this thread's context, so the
                # served call's deadline (``DEADLINE``) goes with it.
                return thread.run(call(bind(args, kwargs), current_request_id()))

            run_remote = run_sync
        run_remote.__name__ = "run_remote"
        run_remote.__qualname__ = f"RemoteStub[{chainlet_cls.__name__}].run_remote"
        setattr(run_remote, "__signature__", signature)  # noqa: B010
        self.run_remote = run_remote

    def __repr__(self) -> str:
        return f"<RemoteStub {self.chainlet_cls.__name__} at {self.client.url}>"


class RemoteStubProvider:
    """The ``DependencyProvider`` of a served chainlet whose dependencies are remote.

    All clients are created here, at start-up (a missing URL is a ``WiringError`` now, not at
    the first call); ``aclose`` closes them and stops the background loop of sync stubs.
    """

    def __init__(self, chainlet_cls: type[ChainletBase], wiring: ChainletWiring) -> None:
        self.chainlet_cls = chainlet_cls
        self._loop_thread: LoopThread | None = None
        self._stubs: dict[str, RemoteStub] = {}
        self._async_clients: list[DependencyClient] = []
        self._sync_clients: list[DependencyClient] = []
        owner = chainlet_cls.__name__
        markers = dependency_markers(chainlet_cls)
        self.metrics = DependencyMetrics(
            owner, sorted({marker.chainlet_cls.__name__ for marker in markers.values()})
        )
        for parameter, marker in markers.items():
            dependency = marker.chainlet_cls
            url = wiring.dependency_url(owner, dependency)
            options = marker.options
            client = DependencyClient(
                dependency.__name__,
                url,
                retries=options.retries,
                timeout_sec=options.timeout_sec,
                concurrency_limit=options.concurrency_limit,
                max_response_bytes=options.max_response_bytes,
                max_frame_bytes=options.max_frame_bytes,
                service_token=wiring.service_token,
                use_binary=options.use_binary,
            )
            method = getattr(dependency, "run_remote", None)
            is_sync = not (
                inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)
            )
            if is_sync and self._loop_thread is None:
                self._loop_thread = LoopThread()
            (self._sync_clients if is_sync else self._async_clients).append(client)
            self._stubs[parameter] = RemoteStub(
                dependency, client, loop_thread=self._loop_thread, metrics=self.metrics
            )

    @property
    def stubs(self) -> dict[str, RemoteStub]:
        return dict(self._stubs)

    def render_metrics(self) -> str:
        """The dependency-call metrics, for the server's ``/metrics`` (a ``MetricsSource``)."""
        return self.metrics.render_metrics()

    def __call__(
        self, owner: type[ChainletBase], parameter: str, marker: DependencyMarker
    ) -> object:
        stub = self._stubs.get(parameter) if owner is self.chainlet_cls else None
        if stub is None or stub.chainlet_cls is not marker.chainlet_cls:
            raise ChainsUsageError(
                f"no remote stub for `{owner.__name__}.{parameter}` "
                f"(depends({marker.chainlet_cls.__name__})): this provider serves "
                f"`{self.chainlet_cls.__name__}`"
            )
        return stub

    async def aclose(self) -> None:
        """Close every client (call from the server's event loop, after it stopped serving)."""
        async_clients, self._async_clients = self._async_clients, []
        sync_clients, self._sync_clients = self._sync_clients, []
        for client in async_clients:
            await client.aclose()
        if self._loop_thread is not None:
            for client in sync_clients:
                self._loop_thread.run(client.aclose())
            self._loop_thread.close()
            self._loop_thread = None


def _outcome_of(exc: Exception) -> str:
    """The ``outcome`` label of a failed dependency call (see ``DEPENDENCY_OUTCOMES``)."""
    if isinstance(exc, RemoteChainletError):
        return "remote_error"
    if isinstance(exc, DependencyTimeoutError):
        return "timeout"
    if isinstance(exc, DependencyUnavailableError):
        return "unavailable"
    return "failed"


def _return_annotation(chainlet_name: str, method: Callable[..., Any]) -> Any:
    """The return annotation of the dependency's ``run_remote`` (``Any`` when it has none); an
    annotation that cannot be resolved is an error at start-up, as on the dependency's server."""
    return run_remote_hints(chainlet_name, method, "run_remote").get("return", Any)


def _adapter(returns: Any) -> pydantic.TypeAdapter[Any] | None:
    if returns is Any or returns is inspect.Signature.empty:
        return None
    if typing.get_origin(returns) in (collections.abc.Awaitable, collections.abc.Coroutine):
        returns = typing.get_args(returns)[-1]
    return pydantic.TypeAdapter(returns)
