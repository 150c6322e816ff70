"""Every bundled example, built into images and run with its generated docker-compose.yaml.

Each chain is built with ``chains-build --images`` on the local base image, started with
Debian's docker-compose 1.29 under a project of its own, and called over HTTP the way a user
would: ``POST /run_remote`` on the published entrypoint port. The answers must be exactly the
ones ``chains-run`` prints (the cases of tests/test_examples.py): a JSON body for a plain
chain, NDJSON data frames closed by the end frame for the streaming one.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.compose_chain import RunningChain, compose_chain
from tests.e2e.conftest import BuildOnce
from tests.test_examples import CASES, WEBSOCKET_EXAMPLES, Case

END_FRAME = {"end": True}


@pytest.fixture(scope="module")
def running_examples(build_once: BuildOnce) -> Iterator[dict[str, RunningChain]]:
    """Every example started at once (each waits ~10 s for its dependencies' first health
    check, so in turn they would take a minute); all torn down after the module."""
    builds = {case.id: build_once(case.path) for case in CASES}  # one at a time: 2 cores
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(len(CASES)) as pool:
        starting = {
            case.id: pool.submit(
                stack.enter_context, compose_chain(builds[case.id], secrets=case.secrets)
            )
            for case in CASES
        }
        # Every start finishes (started or torn down) before a failure is raised; the ones
        # that started are torn down by the stack.
        pool.shutdown(wait=True)
        yield {name: future.result() for name, future in starting.items()}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_example_answers_in_containers(
    case: Case, running_examples: dict[str, RunningChain]
) -> None:
    chain = running_examples[case.id]
    assert chain.built.entrypoint.class_name == case.entrypoint
    expected = [json.loads(line) for line in case.stdout_lines]
    if chain.built.entrypoint.is_streaming:
        status, content_type, frames = chain.stream(case.input)
        assert (status, content_type) == (200, "application/x-ndjson")
        assert frames == [*({"data": item} for item in expected), END_FRAME]
    else:
        response = chain.call(case.input)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert [response.json()] == expected
    logs = chain.logs()
    for value in case.secrets.values():
        assert value not in logs


def test_every_example_is_covered() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    covered = [*(case.path.parent for case in CASES), *WEBSOCKET_EXAMPLES]
    assert sorted(covered) == sorted(path.parent for path in examples.glob("*/chain.py"))
