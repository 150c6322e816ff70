"""``create_app``: the FastAPI application that serves one chainlet.

``ChainletFastAPI`` is a FastAPI app whose routes describe the chainlet (``/run_remote`` with the
models of its signature, and the operational endpoints: see ``openapi``) and which serves
``/openapi.json`` and Swagger UI at ``/docs`` (see ``docs``). Its ``__call__`` hands every
request for ``/run_remote``, ``/healthz``, ``/readyz`` and ``/metrics``, and the lifespan, to the
plain ASGI ``ChainletApp`` before Starlette's middleware and routing, so a call costs what it
cost without FastAPI; FastAPI answers everything else (the documents, and 404/405 with the
error envelope).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from chains_runtime.chainlet import ChainletBase
from chains_runtime.model_base import PREDICT_PATH, is_model
from chains_runtime.protocol import JSON_CONTENT_TYPE, RUN_REMOTE_PATH, ErrorDetail
from chains_runtime.server.app import ChainletApp
from chains_runtime.server.config import ServerConfig
from chains_runtime.server.docs import add_docs_routes
from chains_runtime.server.errors import encode_error
from chains_runtime.server.metrics import ChainletMetrics
from chains_runtime.server.model_routes import add_predict_path, serve_predict_path
from chains_runtime.server.openapi import (
    OPERATIONAL_PATHS,
    add_contract_routes,
    finish_document,
)
from chains_runtime.server.signature import RunRemoteSpec

CHAINLET_PATHS: Final = frozenset({RUN_REMOTE_PATH, *OPERATIONAL_PATHS})
"""Served by ``ChainletApp`` directly, whatever the method."""


def create_app(chainlet_cls: type[ChainletBase], *, config: ServerConfig) -> ChainletFastAPI:
    """Serve ``chainlet_cls``; the request model and result encoder are derived now, the
    instance is built at start-up (the ASGI lifespan) with the config's secrets and
    dependencies."""
    return ChainletFastAPI(ChainletApp(chainlet_cls, config))


class ChainletFastAPI(FastAPI):
    """FastAPI around a ``ChainletApp`` (see the module docstring)."""

    def __init__(self, chainlet_app: ChainletApp) -> None:
        chainlet_cls = chainlet_app.chainlet_cls
        super().__init__(
            title=chainlet_app.name,
            description=(chainlet_cls.__doc__ or "").strip()
            or f"The chainlet `{chainlet_app.name}`.",
            openapi_url=None,  # served by docs.add_docs_routes, once encoded
            docs_url=None,
            redoc_url=None,
        )
        self.chainlet_app = chainlet_app
        self._serve_chainlet: ASGIApp = chainlet_app.__call__
        self._chainlet_paths = CHAINLET_PATHS
        # Without CORS, a call needs nothing of ChainletApp.__call__: one coroutine less.
        self._serve_call = (
            None if chainlet_app.config.cors_origins else chainlet_app.serve_run_remote
        )
        if is_model(chainlet_cls):
            self._serve_chainlet = serve_predict_path(chainlet_app)
            self._chainlet_paths = CHAINLET_PATHS | {PREDICT_PATH}
        self._spec = spec = RunRemoteSpec.from_chainlet(chainlet_cls)
        add_contract_routes(self, chainlet_cls, spec, chainlet_app.config)
        if chainlet_app.config.api_docs:
            add_docs_routes(self, chainlet_app.name)
        self.add_exception_handler(HTTPException, self._http_error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        serve_call = self._serve_call
        if (
            serve_call is not None
            and scope["type"] == "http"
            and scope["path"] == RUN_REMOTE_PATH
            and scope["method"] == "POST"
        ):  # the hot path, direct
            await serve_call(scope, receive, send)
            return
        if scope["type"] != "http" or scope["path"] in self._chainlet_paths:
            await self._serve_chainlet(scope, receive, send)
        elif not await self.chainlet_app.refuse_host(scope, send):
            await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is not None:
            return self.openapi_schema
        document = super().openapi()  # which keeps it as self.openapi_schema
        finish_document(document, self.chainlet_app.chainlet_cls, self._spec)
        if is_model(self.chainlet_app.chainlet_cls):
            add_predict_path(document, self.chainlet_app.name)
        return document

    @property
    def metrics(self) -> ChainletMetrics:
        return self.chainlet_app.metrics

    @property
    def draining(self) -> bool:
        return self.chainlet_app.draining

    def drain(self) -> None:
        """Refuse new calls (503 ``ShuttingDown``) and report not ready; calls in flight go on."""
        self.chainlet_app.drain()

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        """FastAPI's 404 / 405 (and other HTTP errors) as the chain's error envelope."""
        assert isinstance(exc, HTTPException)
        status = exc.status_code
        path, method = request.url.path, request.method
        headers = dict(exc.headers or {})
        if status == 404:
            type_, message = "NotFound", f"no endpoint {path}"
        elif status == 405:  # Starlette's allow header comes from a set: sort it
            allowed = ", ".join(sorted(m.strip() for m in headers.pop("Allow", "").split(",")))
            headers["allow"] = allowed
            type_, message = "MethodNotAllowed", f"{path} accepts {allowed}, not {method}"
        else:
            known = status in HTTPStatus.__members__.values()
            type_ = HTTPStatus(status).phrase.replace(" ", "") if known else f"HTTP{status}"
            message = str(exc.detail)
        detail = ErrorDetail(
            type=type_, message=message, chainlet=self.chainlet_app.name, status=status
        )
        return Response(encode_error(detail), status, headers, media_type=JSON_CONTENT_TYPE)
