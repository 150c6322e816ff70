"""SARIF 2.1.0 output, for code-scanning services."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath, PurePosixPath
from urllib.parse import quote

from chains_lint import __version__
from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.output import ReportedFile
from chains_lint.rules.base import Rule, doc_text
from chains_lint.rules.registry import ALL_RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"


def render(diagnostics: Sequence[Diagnostic], modules: Sequence[ReportedFile]) -> str:
    rule_index = {rule.code: i for i, rule in enumerate(ALL_RULES)}
    document = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "chains-lint",
                        "version": __version__,
                        "rules": [_rule(rule) for rule in ALL_RULES],
                    }
                },
                # Our columns count characters (code points), not UTF-16 units.
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, rule_index) for d in diagnostics],
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def _rule(rule: type[Rule]) -> dict[str, object]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary.strip()},
        "fullDescription": {"text": rule.why.strip()},
        "help": {"text": rule.fix.strip(), "markdown": doc_text(rule)},
        "defaultConfiguration": {"level": _level(rule.severity)},
    }


def _result(d: Diagnostic, rule_index: dict[str, int]) -> dict[str, object]:
    result: dict[str, object] = {
        "ruleId": d.code,
        "level": _level(d.severity),
        "message": {"text": d.message},
        "locations": [_location(d.span)],
    }
    if d.code in rule_index:
        result["ruleIndex"] = rule_index[d.code]
    if d.related:
        result["relatedLocations"] = [
            {"id": i, **_location(span)} for i, span in enumerate(d.related)
        ]
    return result


def _location(span: Span) -> dict[str, object]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": file_uri(span.path)},
            "region": {
                "startLine": span.line,
                "startColumn": span.column,
                "endLine": span.end_line,
                "endColumn": span.end_column,
            },
        }
    }


def file_uri(path: str) -> str:
    """A URI reference for ``path``: relative paths stay relative (to the checkout root)."""
    pure = PurePath(path)
    if pure.is_absolute():
        posix = pure.as_posix()
        return "file://" + quote(posix if posix.startswith("/") else "/" + posix, safe="/:")
    return quote(PurePosixPath(*pure.parts).as_posix())
