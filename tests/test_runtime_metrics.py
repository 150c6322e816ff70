"""``GET /metrics``: scraped from real servers and parsed as Prometheus text format 0.0.4."""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import chains_runtime as chains
import httpx
import pytest
from chains_runtime.protocol import SERVICE_TOKEN_HEADER
from chains_runtime.server import ServerConfig
from chains_runtime.server.metrics import ChainletMetrics, Histogram
from chains_runtime.stubs import RemoteStubProvider
from chains_runtime.wiring import ChainletWiring

from tests.server_helpers import ThreadedServer, free_port

TOKEN = "metrics-test-token"

# -- a strict parser of the text format -----------------------------------------------------

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"({_NAME})(?:\{{(.*)\}})? (\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "counter": ("",), "gauge": ("",)}


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def parse_exposition(text: str) -> tuple[dict[str, str], list[Sample]]:
    """(metric family -> type, samples); fails on anything the format does not allow."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    helps: set[str] = set()
    samples: list[Sample] = []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert name not in helps, f"HELP twice for {name}"
            helps.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in types, f"TYPE twice for {name}"
            assert kind in _SUFFIXES
            types[name] = kind
        else:
            match = _SAMPLE.fullmatch(line)
            assert match, f"not a sample line: {line!r}"
            name, label_text, value = match.groups()
            labels: dict[str, str] = {}
            if label_text:
                pairs = _LABEL.findall(label_text)
                assert ",".join(f'{k}="{v}"' for k, v in pairs) == label_text, line
                labels = {k: _unescape(v) for k, v in pairs}
            family = _family_of(name, types)
            assert family in helps, f"{name} has no HELP"
            samples.append(Sample(name, labels, float(value)))
    return types, samples


def _family_of(name: str, types: dict[str, str]) -> str:
    for family, kind in types.items():
        if any(name == family + suffix for suffix in _SUFFIXES[kind]):
            return family
    raise AssertionError(f"sample {name} belongs to no declared family")


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def value_of(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    assert len(found) == 1, f"{name}{labels}: {found}"
    return found[0]


def scrape(client: httpx.Client) -> list[Sample]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse_exposition(response.text)[1]


def check_histogram(samples: list[Sample], name: str, **labels: str) -> None:
    buckets = [
        s for s in samples if s.name == f"{name}_bucket" and labels.items() <= s.labels.items()
    ]
    bounds = [float(s.labels["le"].replace("+Inf", "inf")) for s in buckets]
    assert bounds == sorted(bounds) and bounds[-1] == math.inf
    counts = [s.value for s in buckets]
    assert counts == sorted(counts), "buckets must be cumulative"
    assert counts[-1] == value_of(samples, f"{name}_count", **labels)


# -- chainlets ------------------------------------------------------------------------------


class Echo(chains.ChainletBase):
    async def run_remote(self, x: int) -> int:
        return x


class Slow(chains.ChainletBase):
    async def run_remote(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"


class Flaky(chains.ChainletBase):
    async def run_remote(self, n: int, fail_at: int = -1) -> AsyncIterator[int]:
        for i in range(n):
            if i == fail_at:
                raise RuntimeError("midway")
            yield i


class Leaf(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        if text == "fail":
            raise ValueError("leaf refuses")
        return text.upper()


class Unreachable(chains.ChainletBase):
    async def run_remote(self) -> None:
        return None


class Entry(chains.ChainletBase):
    def __init__(
        self,
        leaf: Leaf = chains.depends(Leaf, retries=0),
        gone: Unreachable = chains.depends(Unreachable, retries=0),
    ) -> None:
        self._leaf = leaf
        self._gone = gone

    async def run_remote(self, text: str) -> str:
        if text == "gone":
            await self._gone.run_remote()
        return await self._leaf.run_remote(text)


@pytest.fixture
def servers() -> Iterator[list[ThreadedServer]]:
    started: list[ThreadedServer] = []
    try:
        yield started
    finally:
        for server in started:
            server.stop()


def _serve(
    servers: list[ThreadedServer], chainlet: type[chains.ChainletBase], config: ServerConfig
) -> httpx.Client:
    server = ThreadedServer(chainlet, config)
    servers.append(server)
    return httpx.Client(base_url=server.url, timeout=10)


def _wait_for(client: httpx.Client, name: str, value: float, **labels: str) -> None:
    deadline = time.monotonic() + 5
    while value_of(scrape(client), name, **labels) != value:
        assert time.monotonic() < deadline, f"{name} never reached {value}"
        time.sleep(0.01)


# -- tests ----------------------------------------------------------------------------------


def test_requests_counted_by_status_and_timed(servers: list[ThreadedServer]) -> None:
    client = _serve(servers, Echo, ServerConfig(service_token=TOKEN, require_service_token=True))
    token = {SERVICE_TOKEN_HEADER: TOKEN}
    for x in range(3):
        assert client.post("/run_remote", json={"x": x}, headers=token).status_code == 200
    assert client.post("/run_remote", json={"x": "no"}, headers=token).status_code == 422
    assert client.post("/run_remote", json={"x": 1}).status_code == 401
    samples = scrape(client)  # no token needed for /metrics
    by_status = {s.labels["status"]: s.value for s in samples if s.name == "chains_requests_total"}
    assert by_status == {"200": 3, "401": 1, "422": 1}
    assert all(s.labels["chainlet"] == "Echo" for s in samples)
    assert value_of(samples, "chains_request_duration_seconds_count") == 5
    assert 0 < value_of(samples, "chains_request_duration_seconds_sum") < 5
    check_histogram(samples, "chains_request_duration_seconds", chainlet="Echo")
    assert value_of(samples, "chains_requests_in_flight") == 0
    assert value_of(samples, "chains_queue_rejections_total") == 0


def test_in_flight_queue_and_rejections(servers: list[ThreadedServer]) -> None:
    client = _serve(servers, Slow, ServerConfig(predict_concurrency=1, queue_size=1))
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(client.post, "/run_remote", json={"seconds": 0.5})
        _wait_for(client, "chains_requests_in_flight", 1)
        # It runs 0.3 s itself: over 0.25 s however long it queued on a busy machine.
        queued = pool.submit(client.post, "/run_remote", json={"seconds": 0.3})
        _wait_for(client, "chains_queue_waiting", 1)
        refused = client.post("/run_remote", json={"seconds": 0.01})
        assert refused.status_code == 503
        samples = scrape(client)
        assert value_of(samples, "chains_requests_in_flight") == 2
        assert value_of(samples, "chains_queue_rejections_total") == 1
        assert running.result().status_code == 200 and queued.result().status_code == 200
    samples = scrape(client)
    assert value_of(samples, "chains_requests_in_flight") == 0
    assert value_of(samples, "chains_queue_waiting") == 0
    assert value_of(samples, "chains_requests_total", status="200") == 2
    assert value_of(samples, "chains_requests_total", status="503") == 1
    slowest = [s for s in samples if s.name == "chains_request_duration_seconds_bucket"]
    assert {s.labels["le"]: s.value for s in slowest}["0.25"] == 1  # only the refusal was fast


def test_stream_errors_counted(servers: list[ThreadedServer]) -> None:
    client = _serve(servers, Flaky, ServerConfig())
    client.post("/run_remote", json={"n": 3})
    client.post("/run_remote", json={"n": 3, "fail_at": 1})
    # a stream is counted once it is closed, just after its last frame went out
    _wait_for(client, "chains_requests_total", 2, status="200")
    assert value_of(scrape(client), "chains_stream_errors_total") == 1


def test_dependency_calls_by_outcome(servers: list[ThreadedServer]) -> None:
    leaf = _serve(servers, Leaf, ServerConfig(service_token=TOKEN, require_service_token=True))
    wiring = ChainletWiring(
        is_entrypoint=True,
        service_token=TOKEN,
        dependencies={
            "Leaf": str(leaf.base_url),
            "Unreachable": f"http://127.0.0.1:{free_port()}",
        },
    )
    provider = RemoteStubProvider(Entry, wiring)
    entry = _serve(servers, Entry, wiring.to_server_config(Entry, dependency_provider=provider))
    assert entry.post("/run_remote", json={"text": "a"}).json() == "A"
    assert entry.post("/run_remote", json={"text": "b"}).json() == "B"
    assert entry.post("/run_remote", json={"text": "fail"}).status_code == 500  # a user error
    assert entry.post("/run_remote", json={"text": "gone"}).status_code == 502
    samples = scrape(entry)
    calls = {
        (s.labels["dependency"], s.labels["outcome"]): s.value
        for s in samples
        if s.name == "chains_dependency_calls_total" and s.value
    }
    assert calls == {
        ("Leaf", "ok"): 2,
        ("Leaf", "remote_error"): 1,
        ("Unreachable", "unavailable"): 1,
    }
    assert all(s.labels["chainlet"] == "Entry" for s in samples)
    check_histogram(samples, "chains_dependency_call_duration_seconds", dependency="Leaf")
    assert (
        value_of(samples, "chains_dependency_call_duration_seconds_count", dependency="Leaf") == 3
    )
    # the leaf's own metrics know nothing of dependencies
    assert not [s for s in scrape(leaf) if s.name.startswith("chains_dependency")]


def test_histogram_bounds_are_inclusive() -> None:
    histogram = Histogram((0.1, 1.0))
    for value in (0.1, 0.5, 1.0, 7.0):
        histogram.observe(value)
    assert histogram.cumulative() == [("0.1", 1), ("1.0", 3), ("+Inf", 4)]
    assert histogram.total == 4 and histogram.sum == pytest.approx(8.6)


def test_label_values_are_escaped() -> None:
    name = 'odd "name" \\ with\nnewline'
    metrics = ChainletMetrics(name)
    metrics.record(200, 0.002)
    _, samples = parse_exposition(metrics.render())
    assert {s.labels["chainlet"] for s in samples} == {name}
    assert value_of(samples, "chains_requests_total", status="200") == 1
