"""The runtime's keyword-only ``depends()`` limits (``max_response_bytes``, ``max_frame_bytes``)
in the linter: known to the default profile, reported by the ``truss`` profile (truss's
``depends()`` raises ``TypeError`` on them), and checked like the other options."""

from __future__ import annotations

import inspect
from pathlib import Path

import chains_runtime
import pytest

from chains_lint.model.depends_options import OPTION_DEFAULTS, OPTION_NAMES
from tests.lint_helpers import lint_text
from tests.test_rules_dependencies import hello_with, only

LIMITS = "max_response_bytes=134217728, max_frame_bytes=1048576"


def test_the_limits_are_options_of_the_runtime(tmp_path: Path) -> None:
    found = lint_text(tmp_path, hello_with(f"dep=chains.depends(SayHello, retries=2, {LIMITS})"))
    assert only(found, "CH407") == [] and only(found, "CH408") == []


def test_the_truss_profile_reports_them(tmp_path: Path) -> None:
    source = hello_with(f"dep=chains.depends(SayHello, {LIMITS})")
    found = only(lint_text(tmp_path, source, profile="truss"), "CH407")
    assert [d.message.split("`")[3] for d in found] == ["max_response_bytes", "max_frame_bytes"]
    assert all("truss's `depends` has no option" in d.message for d in found)


def test_a_near_miss_suggests_the_limit(tmp_path: Path) -> None:
    source = hello_with("dep=chains.depends(SayHello, max_response_byte=10)")
    found = only(lint_text(tmp_path, source), "CH407")
    assert [d.message for d in found] == [
        "`depends` has no option `max_response_byte`; did you mean `max_response_bytes`?"
    ]


@pytest.mark.parametrize(
    "option", ["max_response_bytes=0", "max_response_bytes=1.5", "max_frame_bytes=-1",
               'max_frame_bytes="16MiB"', "max_frame_bytes=True"],
)  # fmt: skip
def test_invalid_limit_values(tmp_path: Path, option: str) -> None:
    source = hello_with(f"dep=chains.depends(SayHello, {option})")
    found = only(lint_text(tmp_path, source), "CH408")
    name, value = option.split("=")
    assert len(found) == 1
    assert found[0].message.startswith(f"`{name}` must be a positive integer (bytes)")
    assert f"got `{value}`" in found[0].message


def test_the_linter_knows_the_runtimes_depends_options() -> None:
    parameters = inspect.signature(chains_runtime.depends).parameters
    options = {name: p.default for name, p in parameters.items() if name != "chainlet_cls"}
    assert options == OPTION_DEFAULTS
    positional = [
        name for name, p in parameters.items()
        if p.kind is p.POSITIONAL_OR_KEYWORD and name != "chainlet_cls"
    ]  # fmt: skip
    assert tuple(positional) == OPTION_NAMES
