"""The linter never crashes: generated programs and randomly mutated chain files.

Two sources of odd input, both reproducible:

- programs generated from Python's grammar by hypothesmith (derandomized, a
  fixed number of examples), put after a chain-SDK import so files look like
  chain files;
- the bundled chain files (examples/ and every rule's good and bad example)
  mutated by a seeded ``random.Random``: lines deleted, duplicated, swapped and
  re-indented, text cut at random offsets, tokens, keywords and brackets
  inserted, names swapped.

For every input, ``lint_files`` must return (never raise), no rule may crash,
and every diagnostic must point inside the file it names.
"""

from __future__ import annotations

import ast
import random
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic
from chains_lint.linter import LintResult, lint_files
from chains_lint.rules.base import PROFILES, Profile
from chains_lint.rules.registry import ALL_RULES

PROJECT = Path(__file__).resolve().parents[1]
SEED = 20240611
MUTANTS_PER_PROFILE = 1500
BATCH = 250
GRAMMAR_EXAMPLES = 600
NODE_EXAMPLES = 200
HEADER = "import truss_chains as chains\nfrom truss_chains import depends, mark_entrypoint\n"

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")

TOKENS = (
    "def ",
    "async ",
    "await ",
    "class ",
    "return ",
    "yield ",
    "yield from ",
    "lambda: ",
    "if ",
    "else:",
    "elif ",
    "for ",
    " in ",
    "while ",
    "import ",
    "from ",
    " as ",
    "with ",
    "try:",
    "except:",
    "finally:",
    "pass",
    "None",
    "True",
    "...",
    "global x",
    "nonlocal x",
    "self",
    "self.",
    "chains",
    "chains.depends(",
    "chains.depends_context()",
    "depends(",
    "chains.ChainletBase",
    "@chains.mark_entrypoint",
    "@mark_entrypoint(",
    "@staticmethod\n",
    "run_remote",
    "__init__",
    "context",
    "chains.RemoteConfig(",
    "chains.Compute(",
    "docker_image=",
    "chains.DockerImage(",
    "pip_requirements=[",
    "secret_keys=[",
    "context.secrets[",
    "os.environ[",
    "->",
    ":",
    ",",
    "*",
    "**",
    "/",
    "=",
    ":=",
    ".",
    "@",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "'",
    '"',
    '"""',
    "f'{",
    "\n",
    "\t",
    "    ",
    "#",
    "\\",
    "0",
    "-1",
    "1.5",
    "1e999",
    "x",
    "_x",
    "str",
    "int",
    "list[",
    "dict[str, ",
    "Optional[",
    "AsyncIterator[str]",
    "Iterator[bytes]",
    "pydantic.BaseModel",
    "| None",
    "type[",
    "__class__",
    "super().",
    "run_remote(",
    "asyncio.gather(",
    "\u00e9",
    "\u2028",
    "\x0c",
)


# -- checking a lint result ------------------------------------------------------------


@dataclass
class Problem:
    what: str
    source: str

    def __str__(self) -> str:
        return f"{self.what}\n--- source ---\n{self.source}\n--------------"


def span_problems(result: LintResult, read: Callable[[str], str | None]) -> list[str]:
    """Crashed rules and diagnostics whose span does not fit the file it names."""
    problems = [str(error) for error in result.internal_errors]
    for d in result.diagnostics:
        source = read(d.span.path)
        if source is None:
            problems.append(f"{_show(d)}: the path is not a loaded file")
            continue
        problems.extend(f"{_show(d)}: {p}" for p in _bad_span(d, source))
    return problems


def _bad_span(d: Diagnostic, source: str) -> Iterator[str]:
    s = d.span
    lines = re.split(r"\r\n|\r|\n", source)
    if not 1 <= s.line <= s.end_line <= len(lines):
        yield f"lines {s.line}..{s.end_line} outside 1..{len(lines)}"
        return
    if s.column < 1 or s.end_column < 1:
        yield "column below 1"
    if s.line == s.end_line and s.end_column < s.column:
        yield "ends before it starts"
    # One past the end is where a missing token would go.
    if s.column > len(lines[s.line - 1]) + 2 or s.end_column > len(lines[s.end_line - 1]) + 2:
        yield "column past the end of the line"
    if not (d.message and "\n" not in d.message):
        yield "empty or multi-line message"


def _show(d: Diagnostic) -> str:
    s = d.span
    return f"{s.path}:{s.line}:{s.column}-{s.end_line}:{s.end_column} {d.code} {d.message!r}"


def lint_and_check(files: Sequence[Path], profile: Profile) -> list[Problem]:
    """Lint ``files`` together; on any problem, find the files that cause it."""
    problems = _check(files, profile)
    if not problems or len(files) == 1:
        return [Problem(p, _source_of(files)) for p in problems]
    return [problem for file in files for problem in lint_and_check([file], profile)]


def _check(files: Sequence[Path], profile: Profile) -> list[str]:
    try:
        result = lint_files(files, Config(profile=profile))
    except Exception as exc:  # the point of this test: report, do not propagate
        return [f"lint_files raised {type(exc).__name__}: {exc}"]
    modules = {
        m.display_path: m.source
        for t in result.analysis.targets
        for m in (t.module, *t.model.modules.values())
    }
    return span_problems(result, modules.get)


def _source_of(files: Sequence[Path]) -> str:
    if len(files) != 1:
        return f"(one of {len(files)} files)"
    return "\n".join(
        f"# {p.name}\n{p.read_text(encoding='utf-8', errors='replace')}"
        for p in sorted(files[0].parent.glob("*.py"))
    )


# -- mutations ---------------------------------------------------------------------------


def seed_examples() -> list[dict[str, str]]:
    """Chain files to mutate: examples/ and every rule's examples (chain.py is linted)."""
    seeds: list[dict[str, str]] = []
    for path in sorted((PROJECT / "examples").rglob("*.py")):
        seeds.append({"chain.py": path.read_text(encoding="utf-8")})
    for rule in ALL_RULES:
        for example in (rule.good, rule.bad):
            files = {"chain.py": example} if isinstance(example, str) else dict(example)
            seeds.append({name: text.lstrip("\n") for name, text in files.items()})
    return seeds


def _lines_op(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    if len(lines) < 2:
        return text + rng.choice(TOKENS)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    kind = rng.randrange(6)
    if kind == 0:
        del lines[i]
    elif kind == 1:
        lines.insert(j, lines[i])
    elif kind == 2:
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 3:
        lines[i] = rng.choice(("    ", "\t", "  ", "        ")) + lines[i]
    elif kind == 4:
        lines[i] = lines[i].lstrip() if rng.random() < 0.5 else lines[i][2:]
    else:
        low, high = sorted((i, j))
        lines[j:j] = lines[low : high + 1]  # a duplicated block
    return "\n".join(lines)


def _cut(rng: random.Random, text: str) -> str:
    if not text:
        return text
    start = rng.randrange(len(text))
    if rng.random() < 0.5:
        return text[:start]
    return text[:start] + text[start + rng.randrange(1, 40) :]


def _insert(rng: random.Random, text: str) -> str:
    at = rng.randrange(len(text) + 1)
    return text[:at] + rng.choice(TOKENS) + text[at:]


def _swap_names(rng: random.Random, text: str) -> str:
    """Replace every use of one name by another name of the file (keeps it parseable)."""
    names = sorted(set(re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", text)))
    if len(names) < 2:
        return text
    old, new = rng.choice(names), rng.choice(names)
    return re.sub(rf"\b{re.escape(old)}\b", new, text)


STATEMENTS = (
    "pass",
    "...",
    "x = 1",
    "del self",
    "raise",
    "return",
    "return None",
    "yield 'x'",
    "import os",
    "from . import chain",
    "from chain import *",
    "from .other import *",
    "global x",
    "self.x = chains.depends(SayHello)",
    "x = chains.depends_context()",
    "return await self._x.run_remote(name)",
    "return [self.run_remote(n) for n in names]",
    "key = context.secrets['hf_access_token']",
    "key = os.environ.get('TOKEN')",
    "remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=-1, gpu='H100:9'))",
    "remote_config = chains.RemoteConfig(docker_image=chains.DockerImage(pip_requirements=1))",
    "class Inner(chains.ChainletBase): pass",
    "class Loop(Loop): pass",
    "def run_remote(self, *args, **kwargs): ...",
    "async def run_remote(self, /, x) -> int: ...",
    "def __init__(self, a=chains.depends(A), b=chains.depends(A), context=None): ...",
    "@chains.mark_entrypoint",
    "@chains.mark_entrypoint('Name', 2)",
    "@staticmethod",
    "with chains.run_local(): X()",
    "async for x in self.y.run_remote(): yield x",
    "SayHello = 3",
    "chains = None",
    "ChainletBase = object",
)
TWEAKS = (
    ("async def", "def"),
    ("def ", "async def "),
    ("await ", ""),
    ("-> str", ""),
    ("-> str", "-> AsyncIterator[str]"),
    (": str", ""),
    (": str", ": list[SayHello]"),
    ("self", "cls"),
    ("(self", "(self, /"),
    ("chains.depends(", "chains.depends_context("),
    ("chains.ChainletBase", "object"),
    ("chains.", ""),
    ("truss_chains", "chains_runtime"),
    ("@chains.mark_entrypoint", ""),
    ("return ", "yield "),
    ("'", '"'),
    ("[", "("),
    ("]", ")"),
)


def _insert_statement(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    at = rng.randrange(len(lines) + 1)
    near = lines[min(at, len(lines) - 1)]
    indent = near[: len(near) - len(near.lstrip())]
    lines.insert(at, indent + rng.choice(STATEMENTS))
    return "\n".join(lines)


def _tweak(rng: random.Random, text: str) -> str:
    """Replace one occurrence of a chain-shaped fragment by a near miss."""
    old, new = rng.choice(TWEAKS)
    starts = [m.start() for m in re.finditer(re.escape(old), text)]
    if not starts:
        return text
    at = rng.choice(starts)
    return text[:at] + new + text[at + len(old) :]


MUTATIONS = (
    _lines_op,
    _lines_op,
    _cut,
    _insert,
    _insert,
    _swap_names,
    _swap_names,
    _insert_statement,
    _insert_statement,
    _tweak,
    _tweak,
    _tweak,
)


def mutate(rng: random.Random, files: dict[str, str]) -> dict[str, str]:
    """Mutate chain.py (sometimes a sibling); mostly keep it parseable, to reach the rules."""
    want_parseable = rng.random() < 0.75
    for _ in range(8):
        mutated = dict(files)
        for _ in range(rng.randint(1, 3)):
            name = "chain.py" if rng.random() < 0.8 else rng.choice(sorted(mutated))
            mutated[name] = rng.choice(MUTATIONS)(rng, mutated[name])
        if not want_parseable or _parses(mutated["chain.py"]):
            break
    return mutated


def _parses(source: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(source)
        except (SyntaxError, ValueError):
            return False
    return True


def write_mutants(folder: Path, count: int, rng: random.Random) -> list[Path]:
    seeds = seed_examples()
    mains: list[Path] = []
    for n in range(count):
        mutant = mutate(rng, rng.choice(seeds))
        case = folder / f"m{n:05d}"
        case.mkdir()
        for name, text in mutant.items():
            (case / name).write_text(text, encoding="utf-8")
        mains.append(case / "chain.py")
    return mains


@pytest.mark.parametrize("profile", PROFILES)
def test_mutated_chain_files_never_crash(
    profile: Profile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rng = random.Random(f"{SEED}-{profile}")
    mains = write_mutants(tmp_path, MUTANTS_PER_PROFILE, rng)
    relative = [m.relative_to(tmp_path) for m in mains]
    problems: list[Problem] = []
    for start in range(0, len(relative), BATCH):
        problems += lint_and_check(relative[start : start + BATCH], profile)
    assert not problems, "\n\n".join(str(p) for p in problems[:5])


def test_mutations_are_reproducible(tmp_path: Path) -> None:
    first = [mutate(random.Random(7), seed) for seed in seed_examples()[:20]]
    second = [mutate(random.Random(7), seed) for seed in seed_examples()[:20]]
    assert first == second
    assert any(a != b for a, b in zip(first, seed_examples()[:20], strict=True))


# -- generated programs ----------------------------------------------------------------------


class _GeneratedCase:
    """Lints one generated program per call, each in a fresh folder below ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def check(self, source: str) -> None:
        self.count += 1
        case = self.root / f"g{self.count:05d}"
        case.mkdir()
        main = case / "chain.py"
        main.write_text(HEADER + source, encoding="utf-8")
        for profile in PROFILES:
            problems = lint_and_check([main.relative_to(self.root)], profile)
            assert not problems, str(problems[0])


def _run_generated(
    strategy: st.SearchStrategy[str], examples: int, root: Path, monkeypatch: pytest.MonkeyPatch
) -> int:
    monkeypatch.chdir(root)
    case = _GeneratedCase(root)

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(source: str) -> None:
        case.check(source)

    run()
    return case.count


def test_programs_from_the_grammar_never_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = _run_generated(hypothesmith.from_grammar(), GRAMMAR_EXAMPLES, tmp_path, monkeypatch)
    assert ran >= GRAMMAR_EXAMPLES // 2


def test_programs_from_libcst_nodes_never_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = _run_generated(hypothesmith.from_node(), NODE_EXAMPLES, tmp_path, monkeypatch)
    assert ran >= NODE_EXAMPLES // 2


def test_span_checks_catch_a_bad_span() -> None:
    """The checker itself: a span past the end of the file is a problem."""
    from chains_lint.diagnostics import Severity, Span

    inside = Diagnostic("CH001", "x", Severity.ERROR, "m", Span("a.py", 2, 1, 2, 3))
    past = Diagnostic("CH001", "x", Severity.ERROR, "m", Span("a.py", 9, 1, 9, 1))
    backwards = Diagnostic("CH001", "x", Severity.ERROR, "m", Span("a.py", 1, 5, 1, 2))
    assert list(_bad_span(inside, "x = 1\ny = 2\n")) == []
    assert list(_bad_span(past, "x = 1\n")) != []
    assert list(_bad_span(backwards, "x = 1\n")) != []
