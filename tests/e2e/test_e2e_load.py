"""Load: 2,000 requests at 32 in flight through a two-chainlet chain in containers.

The chain is the speed benchmark's ``Shout`` -> ``Upper`` (``benchmarks/data/speed_chain.py``),
built with ``chains-build --images`` and started with its docker-compose.yaml. The client is
the one ``benchmarks/container_load.py`` measures with: 32 asyncio tasks on the runtime's
pooled HTTP client, each request with a text of its own, each answer checked to be HTTP 200
with exactly that text upper-cased. Each chainlet's ``/metrics`` must count the 2,000 calls,
all answered 200, and neither container may have restarted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest

from benchmarks.container_load import CHAIN, Measured, report, run_load
from tests.e2e.compose_chain import RunningChain, compose_chain
from tests.e2e.conftest import BuildOnce

REQUESTS = 2000
CONCURRENCY = 32
CHAINLETS = ("Shout", "Upper")
_REQUESTS_TOTAL = re.compile(r'^chains_requests_total\{[^}]*status="(\d+)"\} (\d+)$')


@pytest.fixture(scope="module")
def speed_chain(build_once: BuildOnce) -> Iterator[RunningChain]:
    with compose_chain(build_once(CHAIN)) as chain:
        yield chain


def answered_by_status(chain: RunningChain, class_name: str) -> Counter[int]:
    """``chains_requests_total`` of a chainlet by status, read inside its container."""
    port = chain.built.chainlet(class_name).port
    probe = (
        "import urllib.request as r; print(r.build_opener(r.ProxyHandler({}))"
        f".open('http://127.0.0.1:{port}/metrics', timeout=10).read().decode())"
    )
    done = chain.exec(class_name, ["python3", "-c", probe])
    assert done.returncode == 0, done.stderr
    counts: Counter[int] = Counter()
    for line in done.stdout.splitlines():
        if match := _REQUESTS_TOTAL.match(line):
            counts[int(match.group(1))] += int(match.group(2))
    return counts


def container_starts(chain: RunningChain) -> dict[str, tuple[str, str, int]]:
    """Per chainlet: its container id, when it started, and Docker's restart count."""
    starts = {}
    for name in CHAINLETS:
        details = chain.inspect(name)
        starts[name] = (details["Id"], details["State"]["StartedAt"], details["RestartCount"])
    return starts


def test_2000_requests_at_32_in_flight_all_answer_correctly(speed_chain: RunningChain) -> None:
    before = {name: answered_by_status(speed_chain, name) for name in CHAINLETS}
    started = container_starts(speed_chain)

    result = run_load(speed_chain.run_remote_url, REQUESTS, CONCURRENCY)

    summary = "\n".join(report(Measured(result, speed_chain.built.build_seconds)))
    assert result.errors == 0, summary
    assert result.correct == REQUESTS, summary
    assert result.peak_in_flight == CONCURRENCY
    for name in CHAINLETS:
        delta = answered_by_status(speed_chain, name) - before[name]
        assert delta == Counter({200: REQUESTS}), f"{name}: {dict(delta)}"
    assert container_starts(speed_chain) == started
    assert all(restarts == 0 for _, _, restarts in started.values())
