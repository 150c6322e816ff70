"""``Upper`` of ``speed_chain.py`` served by this checkout's app, with or without FastAPI around it.

Usage: ``python benchmarks/data/asgi_leaf.py fastapi|plain --port N``. ``fastapi`` serves what
``create_app`` returns (the FastAPI app that hands ``/run_remote`` to ``ChainletApp``), ``plain``
the bare ``ChainletApp``; both on uvicorn with uvloop and stock httptools, logging each call as
``python -m chains_runtime.serve`` does. ``benchmarks/server_speed.py --wrapper`` compares them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from chains_runtime.chain_file import load_module
from chains_runtime.server import ChainletApp, ServerConfig, create_app
from chains_runtime.server.access_log import configure_access_log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", choices=["fastapi", "plain"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    upper = load_module(str(Path(__file__).with_name("speed_chain.py"))).Upper
    config = ServerConfig(predict_concurrency=upper.remote_config.compute.predict_concurrency)
    app = create_app(upper, config=config) if args.app == "fastapi" else ChainletApp(upper, config)
    configure_access_log("info")
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        http="httptools",
        loop="uvloop",
        lifespan="on",
        log_level="info",
        access_log=False,
    )


if __name__ == "__main__":
    main()
