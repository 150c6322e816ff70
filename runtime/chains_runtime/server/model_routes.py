"""``POST /predict`` for a ``ModelBase``: the same call as ``POST /run_remote``.

The request is handed to the chainlet app under the ``/run_remote`` path, so a model's
``predict`` gets every check, limit, metric and log line a chainlet's call gets; the OpenAPI
document lists ``/predict`` as a copy of the ``/run_remote`` operation.
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from chains_runtime.model_base import PREDICT_METHOD, PREDICT_PATH
from chains_runtime.protocol import JSON_CONTENT_TYPE, RUN_REMOTE_PATH, ErrorDetail
from chains_runtime.server.app import ChainletApp
from chains_runtime.server.asgi import send_response
from chains_runtime.server.errors import encode_error

_RUN_REMOTE_RAW_PATH = RUN_REMOTE_PATH.encode("ascii")
_WITH_CORS = frozenset({"POST", "OPTIONS"})  # OPTIONS: a CORS preflight
_WITHOUT_CORS = frozenset({"POST"})


def serve_predict_path(chainlet_app: ChainletApp) -> ASGIApp:
    """``chainlet_app`` answering ``/predict`` as it answers ``/run_remote``; a method it does
    not serve there is answered here, so the 405 names ``/predict``."""
    app = chainlet_app.__call__
    methods = _WITH_CORS if chainlet_app.config.cors_origins else _WITHOUT_CORS

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PREDICT_PATH:
            if scope["method"] not in methods:
                if not await chainlet_app.refuse_host(scope, send):
                    await _method_not_allowed(scope, send, chainlet_app.name)
                return
            scope = {**scope, "path": RUN_REMOTE_PATH, "raw_path": _RUN_REMOTE_RAW_PATH}
        await app(scope, receive, send)

    return serve


async def _method_not_allowed(scope: Scope, send: Send, model_name: str) -> None:
    detail = ErrorDetail(
        type="MethodNotAllowed",
        message=f"{PREDICT_PATH} accepts POST, not {scope['method']}",
        chainlet=model_name,
        status=405,
    )
    headers = [(b"content-type", JSON_CONTENT_TYPE.encode("ascii")), (b"allow", b"POST")]
    await send_response(send, 405, encode_error(detail), headers)


def add_predict_path(document: dict[str, Any], model_name: str) -> None:
    """List ``POST /predict`` in the OpenAPI ``document``, first, as the model's endpoint."""
    paths = document["paths"]
    operation = copy.deepcopy(paths[RUN_REMOTE_PATH]["post"])
    operation["operationId"] = PREDICT_METHOD
    operation["summary"] = f"Call {model_name}.{PREDICT_METHOD}"
    paths[RUN_REMOTE_PATH]["post"]["summary"] = (
        f"Call {model_name}.{PREDICT_METHOD} (the same as POST {PREDICT_PATH})"
    )
    document["paths"] = {PREDICT_PATH: {"post": operation}, **paths}
