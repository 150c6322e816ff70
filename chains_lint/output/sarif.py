"""SARIF 2.1.0 output, for code-scanning services."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath

from chains_lint import __version__
from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.model.module import ModuleInfo
from chains_lint.rules.registry import ALL_RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(diagnostics: Sequence[Diagnostic], modules: Sequence[ModuleInfo]) -> str:
    rule_index = {rule.code: i for i, rule in enumerate(ALL_RULES)}
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary.strip()},
            "fullDescription": {"text": rule.why.strip()},
            "help": {"text": rule.fix.strip()},
            "defaultConfiguration": {
                "level": "error" if rule.severity is Severity.ERROR else "warning"
            },
        }
        for rule in ALL_RULES
    ]
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": rule_index.get(d.code, -1),
            "level": "error" if d.severity is Severity.ERROR else "warning",
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": PurePath(d.span.path).as_posix()},
                        "region": {
                            "startLine": d.span.line,
                            "startColumn": d.span.column,
                            "endLine": d.span.end_line,
                            "endColumn": d.span.end_column,
                        },
                    }
                }
            ],
        }
        for d in diagnostics
    ]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "chains-lint",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
