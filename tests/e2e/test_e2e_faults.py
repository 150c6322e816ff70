"""A two-chainlet chain in containers, broken on purpose.

``Front`` (the entrypoint) calls ``Slow``, which sleeps as long as asked before answering.
Stopping Slow's container while calls wait on it must fail those calls quickly with an error
naming Slow, and the chain must answer again once the same container is started, without
Front's container restarting. Bad arguments get 422, and Slow refuses calls without the
chain's service token even from inside the chain's network.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.compose_chain import (
    ComposeChainError,
    RunningChain,
    compose_chain,
    docker_command,
)
from tests.e2e.conftest import BuildOnce

FAULT_CHAIN = """
    import asyncio

    import truss_chains as chains


    class Slow(chains.ChainletBase):
        remote_config = chains.RemoteConfig(
            compute=chains.Compute(cpu_count=1, memory="256Mi", predict_concurrency=32)
        )

        async def run_remote(self, text: str, delay_sec: float = 0.0) -> str:
            await asyncio.sleep(delay_sec)
            return text.upper()


    @chains.mark_entrypoint
    class Front(chains.ChainletBase):
        remote_config = chains.RemoteConfig(
            compute=chains.Compute(cpu_count=1, memory="256Mi", predict_concurrency=32)
        )

        def __init__(self, slow: Slow = chains.depends(Slow, retries=1, timeout_sec=30)) -> None:
            self._slow = slow

        async def run_remote(self, text: str, delay_sec: float = 0.0) -> str:
            return await self._slow.run_remote(text, delay_sec=delay_sec)
"""

BROKEN_CHAIN = """
    import truss_chains as chains


    @chains.mark_entrypoint
    class Broken(chains.ChainletBase):
        def __init__(self) -> None:
            raise RuntimeError("model file missing")

        def run_remote(self, text: str) -> str:
            return text
"""

IN_FLIGHT = 8
SLOW_CALL_SEC = 20.0
"""Long enough that every call is still waiting on Slow when its container is stopped."""
ERROR_WITHIN_SEC = 15.0
"""How soon a caller must hear about the failure (the client retries once, with backoff)."""


@pytest.fixture(scope="module")
def chain(build_once: BuildOnce, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
    RunningChain
]:
    source = tmp_path_factory.mktemp("fault_chain") / "chain.py"
    source.write_text(textwrap.dedent(FAULT_CHAIN).lstrip(), encoding="utf-8")
    with compose_chain(build_once(source)) as running:
        yield running


@dataclass(frozen=True)
class Outcome:
    status: int
    body: str
    seconds: float


def timed_call(chain: RunningChain, arguments: dict[str, object]) -> Outcome:
    started = time.monotonic()
    try:
        response = chain.call(arguments, timeout_sec=SLOW_CALL_SEC + 30)
    except httpx.HTTPError as exc:  # the entrypoint itself must not fail like this
        return Outcome(0, f"{type(exc).__name__}: {exc}", time.monotonic() - started)
    return Outcome(response.status_code, response.text, time.monotonic() - started)


def in_flight(chain: RunningChain) -> int:
    """Front's ``chains_requests_in_flight`` gauge, from its /metrics."""
    text = httpx.get(f"{chain.url}/metrics", timeout=5, trust_env=False).text
    for line in text.splitlines():
        if line.startswith("chains_requests_in_flight{"):
            return int(float(line.rsplit(" ", 1)[1]))
    raise AssertionError(f"no chains_requests_in_flight in /metrics:\n{text}")


def assert_names_slow(outcome: Outcome) -> None:
    """A 502 whose envelope names Slow as the failed chainlet, or a 503 with an envelope."""
    assert outcome.status in (502, 503), outcome
    error = json.loads(outcome.body)["error"]
    assert error["status"] == outcome.status
    if outcome.status == 502:
        assert error["chainlet"] == "Slow", error
        assert "Slow" in error["message"], error


def answers_again(chain: RunningChain) -> str:
    """Call until the chain answers 200 (Slow may still be starting); that answer's body."""
    answers: list[Outcome] = []

    def answered() -> bool:
        answers.append(timed_call(chain, {"text": "back"}))
        return answers[-1].status == 200

    chain.wait_for(answered, "the chain to answer again after starting Slow", timeout_sec=90)
    return answers[-1].body


def test_the_chain_answers(chain: RunningChain) -> None:
    response = chain.call({"text": "hello"})
    assert (response.status_code, response.json()) == (200, "HELLO")


def test_stopping_the_dependency_fails_calls_in_flight_and_start_recovers(
    chain: RunningChain,
) -> None:
    front = chain.inspect("Front")
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        calls = [
            pool.submit(timed_call, chain, {"text": f"call {n}", "delay_sec": SLOW_CALL_SEC})
            for n in range(IN_FLIGHT)
        ]
        chain.wait_for(lambda: in_flight(chain) == IN_FLIGHT, "the calls to be in flight")
        stopped_at = time.monotonic()
        chain.stop("Slow", grace_sec=0)  # SIGKILL at once, as if it crashed
        outcomes = [call.result(timeout=ERROR_WITHIN_SEC + 30) for call in calls]
    for outcome in outcomes:
        assert_names_slow(outcome)
    # Each failed soon after the stop, long before Slow would have answered.
    assert max(outcome.seconds for outcome in outcomes) < SLOW_CALL_SEC
    assert time.monotonic() - stopped_at < ERROR_WITHIN_SEC

    # While Slow is down, a new call fails fast too, naming it.
    down = timed_call(chain, {"text": "anyone there?"})
    assert_names_slow(down)
    assert down.seconds < ERROR_WITHIN_SEC

    chain.start("Slow")
    assert answers_again(chain) == '"BACK"'
    # Front was never restarted: the same container, started at the same time.
    after = chain.inspect("Front")
    assert after["Id"] == front["Id"]
    assert after["State"]["StartedAt"] == front["State"]["StartedAt"]
    assert after["RestartCount"] == front["RestartCount"]


def test_a_graceful_stop_finishes_the_calls_in_flight(chain: RunningChain) -> None:
    # `docker-compose stop` sends SIGTERM to the server (PID 1 of the container): it stops
    # taking calls but finishes those it has, and exits well before the SIGKILL deadline.
    grace_sec, delay_sec = 20, 2.0
    with ThreadPoolExecutor(2) as pool:
        calls = [
            pool.submit(timed_call, chain, {"text": f"drain {n}", "delay_sec": delay_sec})
            for n in range(2)
        ]
        chain.wait_for(lambda: in_flight(chain) == 2, "the calls to be in flight")
        started = time.monotonic()
        chain.stop("Slow", grace_sec=grace_sec)
        stop_seconds = time.monotonic() - started
        outcomes = [call.result(timeout=grace_sec + 30) for call in calls]
    assert [(o.status, o.body) for o in outcomes] == [(200, '"DRAIN 0"'), (200, '"DRAIN 1"')]
    assert stop_seconds < grace_sec / 2
    assert chain.health("Slow") == "exited"
    assert_names_slow(timed_call(chain, {"text": "anyone there?"}))
    chain.start("Slow")
    assert answers_again(chain) == '"BACK"'


def test_bad_input_gets_422_naming_the_field(chain: RunningChain) -> None:
    response = chain.call({"text": "x", "delay_sec": "soon"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["chainlet"] == "Front"
    assert "delay_sec" in error["message"]
    missing = chain.call({})
    assert missing.status_code == 422
    assert "text" in missing.json()["error"]["message"]
    not_json = chain.call(body=b"{not json")
    assert not_json.status_code == 422


# Run inside Front's container (on the chain's network, as Front's user): POST to Slow with
# the token given in argv[1] ("-" for none, "env" for Front's own), print status and body.
CALL_SLOW = """
import os, sys, urllib.error, urllib.request
token = {"-": None, "env": os.environ.get("CHAINS_SERVICE_TOKEN")}.get(sys.argv[1], sys.argv[1])
request = urllib.request.Request(
    "http://slow:8080/run_remote", data=b'{"text": "inside"}', method="POST",
    headers={"content-type": "application/json"},
)
if token is not None:
    request.add_header("x-chains-service-token", token)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    response = opener.open(request, timeout=10)
except urllib.error.HTTPError as error:
    response = error
print(response.status, response.read().decode())
"""


def call_slow_from_front(chain: RunningChain, token: str) -> tuple[int, str]:
    result = chain.exec("Front", ["python3", "-c", CALL_SLOW, token])
    assert result.returncode == 0, result.stderr
    status, _, body = result.stdout.strip().partition(" ")
    return int(status), body


def test_an_internal_chainlet_refuses_calls_without_the_service_token(
    chain: RunningChain,
) -> None:
    for token in ("-", "not-the-token"):
        status, body = call_slow_from_front(chain, token)
        assert status == 401, body
        assert json.loads(body)["error"]["chainlet"] == "Slow"
    # The same request with the chain's token is answered: the 401 was about the token.
    assert call_slow_from_front(chain, "env") == (200, '"INSIDE"')


def test_a_chain_that_cannot_start_fails_fast_and_leaves_nothing(
    build_once: BuildOnce, tmp_path: Path
) -> None:
    source = tmp_path / "chain.py"
    source.write_text(textwrap.dedent(BROKEN_CHAIN).lstrip(), encoding="utf-8")
    built = build_once(source)
    project = f"e2ebroken{secrets.token_hex(4)}"
    started = time.monotonic()
    with pytest.raises(ComposeChainError) as caught, compose_chain(built, project=project):
        pass
    assert time.monotonic() - started < 60
    message = str(caught.value)
    assert "the entrypoint Broken failed to start" in message
    assert "RuntimeError: model file missing" in message  # from the container's log
    docker = docker_command()
    assert docker is not None
    label = f"label=com.docker.compose.project={project}"
    for listing in (["ps", "-aq"], ["network", "ls", "-q"], ["volume", "ls", "-q"]):
        left = subprocess.run(
            [docker, *listing, "--filter", label], capture_output=True, text=True, check=True
        )
        assert left.stdout.strip() == "", listing
