"""``StubBase`` endpoints over real TLS and through a real proxy, on loopback.

A CA, a server certificate and a client certificate are made with ``openssl`` for the session;
uvicorn serves a small JSON endpoint with them (and, for mutual TLS, requires a client
certificate signed by the CA). The proxy is an asyncio HTTP proxy in the test (``CONNECT``
tunnels for ``https://``, absolute-form forwarding for ``http://``) that logs what it was asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chains_runtime as chains
import pytest
from chains_runtime.client import DependencyClient, DependencyUnavailableError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests import test_runtime_client_faults as faults
from tests.server_helpers import ThreadedUvicorn
from tests.test_runtime_client_faults import WAIT_SEC, Peer, RawServer, _echo_forever, _run

raw = faults.raw
client_loop = faults.client_loop

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@dataclass(frozen=True)
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path
    """A CA that signed nothing here."""


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(
        ["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"openssl {' '.join(args)} failed:\n{result.stderr}"


def _make_ca(directory: Path, name: str) -> None:
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip


def _make_leaf(directory: Path, name: str, extensions: str) -> None:
    (directory / f"{name}.ext").write_text(
        extensions + "\nbasicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n"
    )
    _openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}",
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
        cwd=directory,
    )  # fmt: skip


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    directory = tmp_path_factory.mktemp("tls")
    _make_ca(directory, "ca")
    _make_ca(directory, "other-ca")
    _make_leaf(
        directory,
        "server",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth",
    )
    _make_leaf(directory, "client", "extendedKeyUsage=clientAuth")
    return Certificates(
        ca=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        client_cert=directory / "client.pem",
        client_key=directory / "client.key",
        other_ca=directory / "other-ca.pem",
    )


async def _predict(request: Request) -> JSONResponse:
    return JSONResponse({"echo": await request.json()})


APP = Starlette(routes=[Route("/predict", _predict, methods=["POST"])])


def _serve_tls(certificates: Certificates, *, require_client_cert: bool) -> ThreadedUvicorn:
    server = ThreadedUvicorn(
        APP,
        ssl_certfile=str(certificates.server_cert),
        ssl_keyfile=str(certificates.server_key),
        ssl_ca_certs=str(certificates.ca),
        ssl_cert_reqs=ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_NONE,
    )
    server.url = server.url.replace("http://", "https://") + "/predict"
    return server


@pytest.fixture(scope="module")
def tls_server(certificates: Certificates) -> Iterator[ThreadedUvicorn]:
    server = _serve_tls(certificates, require_client_cert=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mtls_server(certificates: Certificates) -> Iterator[ThreadedUvicorn]:
    server = _serve_tls(certificates, require_client_cert=True)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither this machine's proxy settings nor SSL_CERT_FILE leak into a test."""
    for name in (*PROXY_VARIABLES, "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class Model(chains.StubBase):
    async def run_remote(self, text: str) -> Any:
        return await self.predict_async({"text": text})


def _predict_with(stub: chains.StubBase, text: str = "hi") -> Any:
    async def go() -> Any:
        try:
            return await stub.predict_async({"text": text})
        finally:
            await stub.aclose()

    return _run(go)


FAST_OPTIONS = chains.RPCOptions(retries=2, timeout_sec=WAIT_SEC)


# -- TLS -----------------------------------------------------------------------------------


def test_a_private_ca_given_as_ca_bundle_is_trusted(
    tls_server: ThreadedUvicorn, certificates: Certificates
) -> None:
    stub = Model.from_url(tls_server.url, options=FAST_OPTIONS, ca_bundle=certificates.ca)
    assert _predict_with(stub) == {"echo": {"text": "hi"}}
    # and from sync code, on the stub's own loop thread
    stub = Model.from_url(tls_server.url, options=FAST_OPTIONS, ca_bundle=str(certificates.ca))
    try:
        assert stub.predict_sync({"text": "sync"}) == {"echo": {"text": "sync"}}
    finally:
        stub.close_sync()


def test_without_the_ca_the_certificate_is_refused_clearly_and_at_once(
    tls_server: ThreadedUvicorn, certificates: Certificates
) -> None:
    for stub in (
        Model.from_url(tls_server.url, options=FAST_OPTIONS),
        Model.from_url(tls_server.url, options=FAST_OPTIONS, ca_bundle=certificates.other_ca),
    ):
        with pytest.raises(DependencyUnavailableError) as caught:
            _predict_with(stub)
        text = str(caught.value)
        assert "'Model'" in text and tls_server.url in text, text
        assert "TLS certificate is not trusted" in text and "ca_bundle=" in text, text
        assert "CERTIFICATE_VERIFY_FAILED" in text, text
        assert "after 3 attempt" not in text  # not retried: it cannot get better


def test_ssl_cert_file_still_works_without_ca_bundle(
    tls_server: ThreadedUvicorn, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca))
    stub = Model.from_url(tls_server.url, options=FAST_OPTIONS)
    assert _predict_with(stub, "env") == {"echo": {"text": "env"}}


def test_a_client_certificate_for_mutual_tls(
    mtls_server: ThreadedUvicorn, certificates: Certificates
) -> None:
    stub = Model.from_url(
        mtls_server.url,
        options=FAST_OPTIONS,
        ca_bundle=certificates.ca,
        client_cert=certificates.client_cert,
        client_key=certificates.client_key,
    )
    assert _predict_with(stub, "mtls") == {"echo": {"text": "mtls"}}


def test_without_a_client_certificate_mutual_tls_fails_clearly(
    mtls_server: ThreadedUvicorn, certificates: Certificates
) -> None:
    stub = Model.from_url(mtls_server.url, options=FAST_OPTIONS, ca_bundle=certificates.ca)
    with pytest.raises(DependencyUnavailableError) as caught:
        _predict_with(stub)
    text = str(caught.value)
    assert "'Model'" in text and mtls_server.url in text, text
    # TLS 1.3: the server refuses after the handshake; its alert is often lost in a reset.
    assert "client certificate" in text and "client_cert=" in text, text


def test_bad_tls_settings_are_refused_when_the_stub_is_made(
    certificates: Certificates, tmp_path: Path
) -> None:
    url = "https://127.0.0.1:1/predict"
    missing = tmp_path / "missing.pem"
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"ca_bundle": missing}, "does not exist"),
        ({"ca_bundle": not_pem}, "no usable PEM certificate"),
        ({"client_key": certificates.client_key}, "client_key was given without client_cert"),
        ({"client_cert": certificates.client_cert}, "cannot use client_cert"),  # no key in it
        (
            {"client_cert": certificates.client_cert, "client_key": certificates.server_key},
            "cannot use client_cert",
        ),
    ]
    for settings, message in cases:
        with pytest.raises(chains.ChainsUsageError, match=message) as caught:
            Model.from_url(url, **settings)
        assert "Model at https://127.0.0.1:1/predict" in str(caught.value)
    with pytest.raises(chains.ChainsUsageError, match="not https://"):
        Model.from_url("http://127.0.0.1:1/predict", ca_bundle=certificates.ca)


# -- proxies -------------------------------------------------------------------------------


class Proxy:
    """An HTTP proxy on loopback (a ``RawServer``): ``CONNECT`` tunnels and forwarding."""

    def __init__(self, raw: Callable[..., RawServer]) -> None:
        self.asked: list[str] = []
        self.server = raw(self._handle)
        self.url = self.server.url

    async def _handle(self, peer: Peer) -> None:
        head = await peer.reader.readuntil(b"\r\n\r\n")
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        self.asked.append(request_line)
        method, target, _ = request_line.split(" ")
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            reader, writer = await asyncio.open_connection(host.strip("[]"), int(port))
            await peer.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:  # absolute-form: forwarded as it is
            parts = urllib.parse.urlsplit(target)
            assert parts.hostname is not None and parts.port is not None
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            writer.write(head)
        try:
            await asyncio.gather(_pipe(peer.reader, writer), _pipe(reader, peer.writer))
        finally:
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


def test_https_proxy_tunnels_to_a_tls_endpoint(
    raw: Callable[..., RawServer],
    tls_server: ThreadedUvicorn,
    certificates: Certificates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = Proxy(raw)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    stub = Model.from_url(tls_server.url, options=FAST_OPTIONS, ca_bundle=certificates.ca)
    assert _predict_with(stub, "tunnelled") == {"echo": {"text": "tunnelled"}}
    port = urllib.parse.urlsplit(tls_server.url).port
    assert proxy.asked == [f"CONNECT 127.0.0.1:{port} HTTP/1.1"]


def test_http_proxy_forwards_and_no_proxy_bypasses_it(
    raw: Callable[..., RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = raw(_echo_forever)
    proxy = Proxy(raw)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    url = f"{endpoint.url}/predict"
    stub = Model.from_url(url, options=FAST_OPTIONS)
    assert _predict_with(stub, "via proxy") == {"text": "via proxy"}
    assert proxy.asked == [f"POST {url} HTTP/1.1"]

    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    stub = Model.from_url(url, options=FAST_OPTIONS)
    assert _predict_with(stub, "direct") == {"text": "direct"}
    assert len(proxy.asked) == 1  # not asked again
    assert len(endpoint.requests) == 2


def test_chainlet_hops_never_use_the_proxy(
    raw: Callable[..., RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = raw(_echo_forever)
    proxy = Proxy(raw)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("ALL_PROXY", proxy.url)

    async def go() -> Any:
        async with DependencyClient("Callee", endpoint.url, retries=0) as client:
            return await client.call({"n": 1})

    assert _run(go) == {"n": 1}
    assert proxy.asked == []
    assert endpoint.requests[0].request_line == "POST /run_remote HTTP/1.1"


def test_a_proxy_that_cannot_be_reached_is_a_connection_failure(
    tls_server: ThreadedUvicorn, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:1")
    stub = Model.from_url(
        tls_server.url,
        options=chains.RPCOptions(retries=1, timeout_sec=WAIT_SEC),
        ca_bundle=certificates.ca,
    )
    with pytest.raises(DependencyUnavailableError, match="cannot connect after 2 attempt"):
        _predict_with(stub)
