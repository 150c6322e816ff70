"""A weights URL that redirects: the declared token goes only to the origin it was given for
(a redirect to another host, port or scheme, such as a CDN, gets no ``Authorization``)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from chains_runtime.weights import ensure_weights

TOKEN = "secret-weights-token"


class _Recording(http.server.BaseHTTPRequestHandler):
    """``/files/model.bin`` answers the file; ``/to/<url>`` redirects there; every request's
    ``Authorization`` is recorded by path."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        _Recording.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/to/"):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/to/"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"weights" * 100
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def two_servers() -> Iterator[tuple[str, str]]:
    _Recording.seen = []
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recording) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        first, second = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
        yield first, second
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def _fetch(url: str, target: Path) -> None:
    item = {
        "kind": "https", "source": url, "revision": "", "target": str(target),
        "allow_patterns": [], "ignore_patterns": [], "hub_cache": False, "secret": "weights",
    }
    ensure_weights([item], environ={"CHAINS_SECRET_weights": TOKEN})
    assert (target / "model.bin").read_bytes() == b"weights" * 100


def test_a_redirect_to_another_origin_does_not_carry_the_token(
    two_servers: tuple[str, str], tmp_path: Path
) -> None:
    origin, elsewhere = two_servers
    _fetch(f"{origin}/to/{elsewhere}/files/model.bin", tmp_path)
    assert [auth for _, auth in _Recording.seen] == [f"Bearer {TOKEN}", None]


def test_a_redirect_on_the_same_origin_keeps_the_token(
    two_servers: tuple[str, str], tmp_path: Path
) -> None:
    origin, _ = two_servers
    _fetch(f"{origin}/to/{origin}/files/model.bin", tmp_path)
    assert [auth for _, auth in _Recording.seen] == [f"Bearer {TOKEN}"] * 2
