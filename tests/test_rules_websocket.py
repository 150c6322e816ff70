"""The websocket rules of every profile: CH259 (the endpoint's shape) and CH416 (a websocket
chainlet as a dependency), linted for real from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from chains_lint.config import Config
from chains_lint.linter import lint_files
from chains_lint.profiles import PROFILES
from tests.lint_helpers import codes, lint_text

HEAD = "from collections.abc import AsyncIterator\n\nimport truss_chains as chains\n\n\n"


def _endpoint(definition: str, body: str = "await ws.send_text('hi')") -> str:
    return f"{HEAD}class Socket(chains.ChainletBase):\n    {definition}:\n        {body}\n"


@pytest.mark.parametrize("profile", ["default", "truss"])
@pytest.mark.parametrize(
    ("definition", "body", "words"),
    [
        (
            "async def run_remote(self, ws: chains.WebSocketProtocol, n: int) -> None",
            "await ws.send_text(str(n))",
            "remove `n`",
        ),
        (
            "async def run_remote(self, ws: chains.WebSocketProtocol) -> str",
            "return await ws.receive_text()",
            "requires the return type `None`, not `str`",
        ),
        (
            "def run_remote(self, ws: chains.WebSocketProtocol) -> None",
            "return None",
            "must be `async def`",
        ),
        (
            "async def run_remote(self, ws: 'chains.WebSocketProtocol') -> None",
            "yield 'x'",
            "not with `yield`",
        ),
    ],
    ids=["other-param", "returns", "sync", "yields"],
)
def test_websocket_endpoint_shape(
    tmp_path: Path, profile: str, definition: str, body: str, words: str
) -> None:
    diagnostics = lint_text(tmp_path, _endpoint(definition, body), profile=profile)  # type: ignore[arg-type]
    ch259 = [d for d in diagnostics if d.code == "CH259"]
    assert len(ch259) == 1, diagnostics
    assert words in ch259[0].message


@pytest.mark.parametrize("profile", ["default", "truss"])
def test_a_valid_websocket_endpoint_lints_clean(tmp_path: Path, profile: str) -> None:
    source = _endpoint(
        "async def run_remote(self, websocket: chains.WebSocketProtocol) -> None",
        "async for text in await websocket.iter_text():\n"
        "            await websocket.send_text(text)",
    )
    assert codes(lint_text(tmp_path, source, profile=profile)) == []  # type: ignore[arg-type]


def test_websocket_dependency_is_reported_at_the_depends_call(tmp_path: Path) -> None:
    source = (
        _endpoint("async def run_remote(self, ws: chains.WebSocketProtocol) -> None")
        + "\n\n@chains.mark_entrypoint\nclass Entry(chains.ChainletBase):\n"
        "    def __init__(self, socket: Socket = chains.depends(Socket)) -> None:\n"
        "        self._socket = socket\n\n"
        "    async def run_remote(self, x: int) -> int:\n"
        "        return x\n"
    )
    diagnostics = lint_text(tmp_path, source)
    assert codes(diagnostics) == ["CH416"]
    assert "`Entry` depends on `Socket`, whose `run_remote` takes a websocket" in (
        diagnostics[0].message
    )


def test_websocket_example_lints_clean_in_both_profiles() -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "websocket" / "chain.py"
    for profile in PROFILES:
        result = lint_files([example], Config(profile=profile))
        assert result.diagnostics == [] and not result.internal_errors
