"""``StubBase``: an HTTP JSON endpoint that is not a chainlet, used like a dependency.

Subclass it, write ``run_remote`` around ``predict_async`` (or ``predict_sync``), and make it in
a chainlet's ``__init__`` with ``from_url``::

    class Whisper(chains.StubBase):
        async def run_remote(self, audio_b64: str) -> Transcript:
            return await self.predict_async({"audio": audio_b64}, output_model=Transcript)

    class Transcribe(chains.ChainletBase):
        def __init__(self, context=chains.depends_context()) -> None:
            options = chains.RPCOptions(retries=2, timeout_sec=30)
            self._whisper = Whisper.from_url(WHISPER_URL, context, options=options)

Each call POSTs the inputs as JSON to the URL, with ``Authorization: Api-Key <key>`` when there
is a key. The calls follow the dependency client's rules: ``options.timeout_sec`` bounds each
attempt; only a failed connection and a 502/503/504 are retried (``options.retries`` more times,
with backoff and jitter, honouring ``Retry-After``); a 4xx, another 5xx or a timeout is raised at
once. Errors name the stub and the URL: ``DependencyHTTPError`` (a non-2xx answer, with its
status and body), ``DependencyUnavailableError`` (no connection, or still 502/503/504 after the
retries), ``DependencyTimeoutError`` (a ``TimeoutError``), and ``RemoteChainletError`` when the
endpoint is a chainlet answering with its error envelope.

The answer is read up to ``options.max_response_bytes`` (64 MiB by default;
``DependencyResponseTooLargeError`` past it); ``predict_async_stream`` hands on raw pieces, with
no limit. TLS: ``from_url(..., ca_bundle=..., client_cert=..., client_key=...)`` trusts a
private CA instead of the system store (which honours ``SSL_CERT_FILE``) and presents a client
certificate (mutual TLS); the files are checked when the stub is made. Proxies:
``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` and ``NO_PROXY`` from the environment are
honoured (chainlet hops never use a proxy). Stubs talk through httpx (see
``client.httpx_transport`` for why), with the dependency client's rules above.

Binary: with ``RPCOptions(use_binary=True)`` the inputs are sent as MessagePack with truss's
``content-type: application/octet-stream`` (what truss servers, and chainlets here, read as
MessagePack; numpy arrays in msgpack_numpy's map, as truss sends them), and the answer is read
as MessagePack (or as JSON when its content type says so). ``output_model`` validates it.

Differences from ``truss_chains.StubBase``: ``retries=N`` means N retries after the first try
(truss: N tries in all), 4xx answers are not retried, and without a key no ``Authorization``
header is sent (truss requires one).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar, overload

import pydantic

from chains_runtime.binary import pack
from chains_runtime.client import DependencyClient
from chains_runtime.client.headers import checked_headers
from chains_runtime.client.httpx_transport import HttpxTransport
from chains_runtime.client.pool import Endpoint
from chains_runtime.client.tls import TLSSettings
from chains_runtime.context import DeployedServiceDescriptor, DeploymentContext
from chains_runtime.definitions import RPCOptions
from chains_runtime.errors import ChainsUsageError, MissingSecretError
from chains_runtime.loop_thread import LoopThread
from chains_runtime.protocol import (
    OCTET_STREAM_CONTENT_TYPE,
    ProtocolError,
    decode_json_answer,
    encode_json,
)
from chains_runtime.stubs import current_request_id

API_KEY_SECRET = "baseten_chain_api_key"
"""The secret ``from_url(url, context)`` reads the API key from, as in truss."""

_StubT = TypeVar("_StubT", bound="StubBase")
_ModelT = TypeVar("_ModelT", bound=pydantic.BaseModel)


class StubBase:
    """Base class for a typed wrapper around an HTTP JSON endpoint (see the module docstring)."""

    def __init__(
        self,
        service_descriptor: DeployedServiceDescriptor,
        api_key: str | None = None,
        *,
        tls: TLSSettings | None = None,
    ) -> None:
        self._descriptor = service_descriptor
        endpoint = Endpoint.parse(service_descriptor.predict_url)  # a bad URL fails now
        who = f"{type(self).__name__} at {service_descriptor.predict_url}"
        self._headers = {"authorization": f"Api-Key {api_key}"} if api_key else {}
        try:
            checked_headers(self._headers)  # a bad key fails now, without showing it
        except ChainsUsageError as exc:
            raise ChainsUsageError(f"{who}: the API key cannot be sent: {exc}") from None
        tls = tls or TLSSettings()
        https = endpoint.scheme == "https"
        if tls.given and not https:
            raise ChainsUsageError(f"{who}: TLS files were given for a URL that is not https://")
        self._transport = functools.partial(
            HttpxTransport,
            ssl_context=tls.ssl_context(who) if https else None,
            client_cert_hint=https and tls.client_cert is None,
        )
        self._async_client: DependencyClient | None = None
        self._sync_client: DependencyClient | None = None
        self._loop_thread: LoopThread | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_url(
        cls: type[_StubT],
        predict_url: str,
        context_or_api_key: DeploymentContext | str | None = None,
        options: RPCOptions | None = None,
        *,
        api_key: str | None = None,
        ca_bundle: str | Path | None = None,
        client_cert: str | Path | None = None,
        client_key: str | Path | None = None,
    ) -> _StubT:
        """A stub calling ``predict_url``.

        The API key is ``api_key`` if given, else ``context_or_api_key`` when it is a string,
        else the context's ``baseten_chain_api_key`` secret when the chainlet declares it
        (declared without a value is an error); otherwise no key is sent.

        ``ca_bundle`` (PEM CAs trusted instead of the system's), ``client_cert`` and
        ``client_key`` (mutual TLS) are for ``https://`` URLs only.
        """
        if api_key is None:
            if isinstance(context_or_api_key, str):
                api_key = context_or_api_key
            elif isinstance(context_or_api_key, DeploymentContext):
                api_key = _api_key_from(context_or_api_key, cls.__name__)
            elif context_or_api_key is not None:
                raise ChainsUsageError(
                    f"{cls.__name__}.from_url() expects a DeploymentContext or an API key "
                    f"string as its second argument, got {type(context_or_api_key).__name__}"
                )
        descriptor = DeployedServiceDescriptor(
            name=cls.__name__,
            display_name=cls.__name__,
            predict_url=predict_url,
            options=options if options is not None else RPCOptions(),
        )
        return cls(descriptor, api_key, tls=TLSSettings(ca_bundle, client_cert, client_key))

    @property
    def name(self) -> str:
        return self._descriptor.name

    @property
    def url(self) -> str:
        return self._descriptor.predict_url

    @property
    def options(self) -> RPCOptions:
        return self._descriptor.options

    @overload
    async def predict_async(self, inputs: Any, output_model: type[_ModelT]) -> _ModelT: ...

    @overload
    async def predict_async(self, inputs: Any, output_model: None = None) -> Any: ...

    async def predict_async(self, inputs: Any, output_model: type[_ModelT] | None = None) -> Any:
        """POST ``inputs`` (JSON or a pydantic model); the JSON answer, or ``output_model``."""
        client = self._client()
        if client.use_binary:
            answer = await client.post_binary(self._encode(inputs), request_id=current_request_id())
            return self._validated(answer, output_model)
        body = await client.post_bytes(self._encode(inputs), request_id=current_request_id())
        return self._decode(body, output_model)

    @overload
    def predict_sync(self, inputs: Any, output_model: type[_ModelT]) -> _ModelT: ...

    @overload
    def predict_sync(self, inputs: Any, output_model: None = None) -> Any: ...

    def predict_sync(self, inputs: Any, output_model: type[_ModelT] | None = None) -> Any:
        """``predict_async`` for sync code: the call runs on this stub's own loop thread.

        The calling thread waits for the answer; from ``async`` code, use ``predict_async``.
        """
        thread, client = self._sync_runner()
        if client.use_binary:
            answer = client.post_binary(self._encode(inputs), request_id=current_request_id())
            return self._validated(thread.run(answer), output_model)
        call = client.post_bytes(self._encode(inputs), request_id=current_request_id())
        return self._decode(thread.run(call), output_model)

    async def predict_async_stream(self, inputs: Any) -> AsyncIterator[bytes]:
        """POST ``inputs``; the raw body as it arrives (``async for chunk in await ...``)."""
        return self._client().post_chunks(self._encode(inputs), request_id=current_request_id())

    async def aclose(self) -> None:
        """Close the connections of ``predict_async``, then those of ``predict_sync``."""
        client, self._async_client = self._async_client, None
        if client is not None:
            await client.aclose()
        self.close_sync()

    def close_sync(self) -> None:
        """Close the connections of ``predict_sync`` and stop its loop thread."""
        with self._lock:
            client, self._sync_client = self._sync_client, None
            thread, self._loop_thread = self._loop_thread, None
        if thread is not None:
            if client is not None:
                thread.run(client.aclose())
            thread.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} stub at {self.url}>"

    def _client(self) -> DependencyClient:
        if self._async_client is None:
            self._async_client = self._new_client()
        return self._async_client

    def _new_client(self) -> DependencyClient:
        options = self._descriptor.options
        return DependencyClient(
            self.name,
            self._descriptor.predict_url,
            path="",
            retries=options.retries,
            timeout_sec=options.timeout_sec,
            concurrency_limit=options.concurrency_limit,
            headers=self._headers,
            max_response_bytes=options.max_response_bytes,
            max_frame_bytes=options.max_frame_bytes,
            transport=self._transport,
            use_binary=options.use_binary,
            binary_content_type=OCTET_STREAM_CONTENT_TYPE,
        )

    def _sync_runner(self) -> tuple[LoopThread, DependencyClient]:
        with self._lock:
            if self._loop_thread is None or self._sync_client is None:
                self._loop_thread = LoopThread()
                self._sync_client = self._new_client()
            return self._loop_thread, self._sync_client

    def _encode(self, inputs: Any) -> bytes:
        if self._descriptor.options.use_binary:
            return pack(inputs, f"the inputs of {self.name}")
        return encode_json(inputs)

    def _validated(self, answer: Any, output_model: type[_ModelT] | None) -> Any:
        if output_model is None:
            return answer
        try:
            return output_model.model_validate(answer)
        except pydantic.ValidationError as exc:
            raise self._invalid_answer(output_model, exc) from exc

    def _decode(self, body: bytes, output_model: type[_ModelT] | None) -> Any:
        if output_model is not None:
            try:
                return output_model.model_validate_json(body)
            except pydantic.ValidationError as exc:
                raise self._invalid_answer(output_model, exc) from exc
        return decode_json_answer(body, f"{self.name} at {self.url}")

    def _invalid_answer(
        self, output_model: type[pydantic.BaseModel], exc: pydantic.ValidationError
    ) -> ProtocolError:
        return ProtocolError(
            f"{self.name}: the answer of {self.url} is not a valid {output_model.__name__}: {exc}"
        )


def _api_key_from(context: DeploymentContext, stub: str) -> str | None:
    secrets = context.secrets
    if API_KEY_SECRET not in secrets.declared:
        return None
    key = secrets.get(API_KEY_SECRET)
    if not key:
        raise MissingSecretError(
            f"{stub}.from_url(): the chainlet declares the secret `{API_KEY_SECRET}` for the "
            "endpoint's API key, but no value was provided; pass it (e.g. chains-run --secret "
            f"{API_KEY_SECRET}=...) or give the key with api_key=..."
        )
    return key
