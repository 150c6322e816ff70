"""The speed benchmark's reference: ``speed_chain.py`` written by hand, without chains.

Two FastAPI apps on uvicorn (uvloop event loop, httptools parser). The entry app calls the leaf
through one pooled ``httpx.AsyncClient`` made at start-up. Run one process per role::

    python benchmarks/data/bare_chain.py leaf --port 8001
    python benchmarks/data/bare_chain.py entry --port 8000 --leaf-url http://127.0.0.1:8001

uvicorn's defaults apply (an access log line per request); ``--no-access-log`` logs only
warnings, as chainlets started by ``chains-run`` do.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator, Sequence

import httpx
import pydantic
import uvicorn
from fastapi import FastAPI


class TextArgs(pydantic.BaseModel):
    text: str


def leaf_app() -> FastAPI:
    app = FastAPI()

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/run_remote")
    async def run_remote(args: TextArgs) -> str:
        return args.text.upper()

    return app


def entry_app(leaf_url: str) -> FastAPI:
    clients: list[httpx.AsyncClient] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=30.0) as client:
            clients.append(client)
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/run_remote")
    async def run_remote(args: TextArgs) -> str:
        response = await clients[0].post(f"{leaf_url}/run_remote", json={"text": args.text})
        response.raise_for_status()
        result: str = response.json()
        return result

    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("role", choices=("entry", "leaf"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--leaf-url", default="")
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    if args.role == "entry" and not args.leaf_url:
        parser.error("the entry needs --leaf-url")
    app = entry_app(args.leaf_url) if args.role == "entry" else leaf_app()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning" if args.no_access_log else None,
    )


if __name__ == "__main__":
    main()
