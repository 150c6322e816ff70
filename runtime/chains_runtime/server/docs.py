"""``GET /openapi.json`` and ``GET /docs``: the chainlet's contract, readable offline.

The OpenAPI document is built once, on its first request, and answered as the same bytes after
that. ``/docs`` is Swagger UI whose script, style sheet and icon come from the
``swagger-ui-bundle-v2`` package (Swagger UI 5, which renders OpenAPI 3.1), served under
``/docs/assets/``: the page loads nothing from another host. Both are open (no token or key):
they describe the interface and reveal no data or secret; ``ServerConfig(api_docs=False)``
leaves them out (404).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped, unused-ignore]

from chains_runtime.protocol import JSON_CONTENT_TYPE, ErrorDetail
from chains_runtime.server.errors import encode_error

logger = logging.getLogger(__name__)

OPENAPI_PATH: Final = "/openapi.json"
DOCS_PATH: Final = "/docs"
ASSETS_PATH: Final = "/docs/assets"
SWAGGER_UI_DIR: Final = Path(str(swagger_ui_path))
SWAGGER_UI_ASSETS: Final = frozenset(
    {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "favicon-16x16.png"}
)
"""The files of the Swagger UI distribution ``/docs`` uses; no other file is served."""


def add_docs_routes(app: FastAPI, chainlet: str) -> None:
    """Serve ``app.openapi()`` at ``/openapi.json`` and Swagger UI at ``/docs``."""
    encoded: bytes | None = None

    async def openapi(request: Request) -> Response:
        nonlocal encoded
        if encoded is None:
            try:
                document = app.openapi()
                text = json.dumps(document, ensure_ascii=False, allow_nan=False)
            except Exception as exc:  # a type pydantic validates but cannot describe
                logger.exception("the OpenAPI document of %s cannot be built", chainlet)
                detail = ErrorDetail(
                    type="OpenAPIError",
                    message=f"the OpenAPI document cannot be built: {exc}",
                    chainlet=chainlet,
                    status=500,
                )
                return Response(encode_error(detail), 500, media_type=JSON_CONTENT_TYPE)
            encoded = text.encode("utf-8")
        return Response(encoded, media_type=JSON_CONTENT_TYPE)

    async def docs(request: Request) -> Response:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + OPENAPI_PATH,
            title=f"{chainlet} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
        )

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in SWAGGER_UI_ASSETS:
            raise HTTPException(404)
        return FileResponse(SWAGGER_UI_DIR / name)

    app.add_route(OPENAPI_PATH, openapi, methods=["GET"], include_in_schema=False)
    app.add_route(DOCS_PATH, docs, methods=["GET"], include_in_schema=False)
    app.add_route(ASSETS_PATH + "/{name}", asset, methods=["GET"], include_in_schema=False)
