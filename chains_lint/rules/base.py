"""The rule interface: each rule is a small class carrying its own docs and examples."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from chains_lint.analysis import Analysis
from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import Chainlet, ChainModel

Profile = Literal["default", "truss"]
PROFILES: tuple[Profile, ...] = ("default", "truss")

# An example is the text of ``chain.py``, or a mapping of file names to texts
# where ``chain.py`` is the file that gets linted.
Example = str | Mapping[str, str]


@dataclass
class RuleContext:
    """What a rule sees: one linted module and the model it belongs to."""

    module: ModuleInfo
    model: ChainModel
    analysis: Analysis
    profile: Profile
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def chainlets(self) -> list[Chainlet]:
        """Chainlets defined in the linted module."""
        return self.model.chainlets_in(self.module)


class Rule:
    """Base class of all rules.

    Subclasses set the class variables and implement :meth:`check`. ``bad``
    must trigger the rule and ``good`` must not; both run as tests and both
    appear in the rule's documentation.
    """

    code: ClassVar[str]
    name: ClassVar[str]  # short kebab-case name, e.g. "run-remote-missing"
    severity: ClassVar[Severity] = Severity.ERROR
    summary: ClassVar[str]  # one line: what the rule finds
    why: ClassVar[str]  # why it matters
    fix: ClassVar[str]  # how to fix it
    bad: ClassVar[Example]
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
        *_example_block(rule.bad),
        "",
        "## Use instead",
        *_example_block(rule.good),
    ]
    return "\n".join(parts) + "\n"


def _example_block(example: Example) -> list[str]:
    files = {"chain.py": example} if isinstance(example, str) else dict(example)
    lines: list[str] = []
    for name in sorted(files, key=lambda n: (n != "chain.py", n)):
        if len(files) > 1:
            lines.append(f"`{name}`:")
        lines += ["```python", files[name].strip("\n"), "```"]
    return lines
