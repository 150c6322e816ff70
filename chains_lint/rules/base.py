"""The rule interface: each rule is a small class carrying its own docs and examples."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from chains_lint.analysis import Analysis
from chains_lint.diagnostics import Coordinates, Diagnostic, Severity, Span
from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import Chainlet, ChainModel
from chains_lint.profiles import PROFILES as PROFILES  # rules import them from here
from chains_lint.profiles import Profile as Profile

# An example is the text of ``chain.py``, or a mapping of file names to texts
# where ``chain.py`` is the file that gets linted. Examples are written out as
# literals in the rule's class (a test checks that they are not computed);
# leading and trailing blank lines are dropped, so line 1 is the line after
# the opening quotes.
Example = str | Mapping[str, str]
EXAMPLE_FILE = "chain.py"


@dataclass
class RuleContext:
    """What a rule sees: one linted module and the model it belongs to."""

    module: ModuleInfo
    model: ChainModel
    analysis: Analysis
    profile: Profile
    diagnostics: list[Diagnostic] = field(default_factory=list)
    entrypoint: str | None = None  # the class a push names: --entrypoint / `entrypoint`

    @property
    def chainlets(self) -> list[Chainlet]:
        """Chainlets defined in the linted module."""
        return self.model.chainlets_in(self.module)


class Rule:
    """Base class of all rules.

    Subclasses set the class variables and implement :meth:`check`. ``bad``
    must trigger the rule exactly once, at ``bad_span`` (line, column, end
    line, end column in ``chain.py``, 1-based with the end column exclusive,
    as chains-lint prints them), and ``good`` must lint clean; both run as
    tests in every profile of the rule and both appear in its documentation.
    """

    code: ClassVar[str]
    name: ClassVar[str]  # short kebab-case name, e.g. "run-remote-missing"
    severity: ClassVar[Severity] = Severity.ERROR
    summary: ClassVar[str]  # one line: what the rule finds
    why: ClassVar[str]  # why it matters
    fix: ClassVar[str]  # how to fix it
    bad: ClassVar[Example]
    bad_span: ClassVar[Coordinates]
    good: ClassVar[Example]
    # Profiles in which the rule runs. Rules only for "truss" report what
    # truss_chains rejects on top of the default rules.
    profiles: ClassVar[frozenset[Profile]] = frozenset(PROFILES)

    def check(self, ctx: RuleContext) -> Iterable[Diagnostic]:
        raise NotImplementedError

    def diagnostic(self, span: Span, message: str, related: Iterable[Span] = ()) -> Diagnostic:
        return Diagnostic(self.code, self.name, self.severity, message, span, tuple(related))


def doc_text(rule: type[Rule]) -> str:
    """The rule's documentation as Markdown, as printed by ``--explain``."""
    profiles = ", ".join(sorted(rule.profiles))
    parts = [
        f"# {rule.code} {rule.name} ({rule.severity.value}; profiles: {profiles})",
        "",
        "## What it does",
        rule.summary.strip(),
        "",
        "## Why is this bad?",
        rule.why.strip(),
        "",
        "## How to fix",
        rule.fix.strip(),
        "",
        "## Example",
        *_example_block(rule.bad, reported=_reported_at(rule)),
        "",
        "## Use instead",
        *_example_block(rule.good),
    ]
    return "\n".join(parts) + "\n"


def _example_block(example: Example, reported: Sequence[str] = ()) -> list[str]:
    """The example's files as code blocks, ``reported`` right under ``chain.py``."""
    files = example_files(example)
    lines: list[str] = []
    for name in sorted(files, key=lambda n: (n != EXAMPLE_FILE, n)):
        if len(files) > 1:
            lines.append(f"`{name}`:")
        language = {".py": "python", ".toml": "toml"}.get(Path(name).suffix, "text")
        lines += [f"```{language}", files[name].rstrip("\n"), "```"]
        if name == EXAMPLE_FILE:
            lines += reported
    return lines


def example_files(example: Example) -> dict[str, str]:
    """File name -> text of an example, each without its leading and trailing blank lines."""
    files = {EXAMPLE_FILE: example} if isinstance(example, str) else dict(example)
    return {name: text.strip("\n") + "\n" for name, text in files.items()}


def _reported_at(rule: type[Rule]) -> list[str]:
    """Where chains-lint reports the bad example: its output line and the underlined source."""
    from chains_lint.output.text import source_excerpt  # only --explain and the docs need it

    span = Span(EXAMPLE_FILE, *rule.bad_span)
    lines = example_files(rule.bad)[EXAMPLE_FILE].splitlines()
    source = lines[span.line - 1] if span.line <= len(lines) else ""
    label = "" if rule.severity is Severity.ERROR else " [warning]"
    return [
        "",
        "```text",
        f"{span.path}:{span.line}:{span.column}: {rule.code}{label}",
        *source_excerpt(source, span),
        "```",
    ]
