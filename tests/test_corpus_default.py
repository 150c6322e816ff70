"""The chain-file corpus under tests/corpus/truss, linted for real in both profiles.

Every corpus file starts with a header of ``# key: value`` comment lines:

- ``truss: accept | reject``: what truss 0.18.36 says when it imports the file
  and generates its trusses (checked against a real install in
  test_truss_agreement.py);
- ``default: clean | CODE, CODE``: exactly the codes (errors and warnings) the
  default profile reports (files in valid/ may expect warnings, never errors);
- ``truss-profile: clean | CODE, ...``: exactly the codes the truss profile reports;
- ``covers:`` (files in valid/) or ``mistake:`` (files in invalid/, one mistake each);
- ``truss-misses: REASON``: truss accepts this file although it has a real bug
  that we report on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.linter import lint_files
from chains_lint.rules.base import Profile
from chains_lint.rules.registry import RULES_BY_CODE

CORPUS_DIR = Path(__file__).parent / "corpus" / "truss"
VALID_DIR = CORPUS_DIR / "valid"
INVALID_DIR = CORPUS_DIR / "invalid"
CLEAN = "clean"
REQUIRED_KEYS = ("truss", "default", "truss-profile")
CODE_PATTERN = re.compile(r"CH[0-9]{3}")


class HeaderError(ValueError):
    """A corpus file whose header is missing or malformed."""


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    truss_accepts: bool
    default_codes: frozenset[str]
    truss_profile_codes: frozenset[str]
    truss_misses: str | None
    description: str

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def in_valid_dir(self) -> bool:
        return self.path.parent == VALID_DIR


def read_header(path: Path) -> dict[str, str]:
    """The leading ``# key: value`` comment lines of ``path``."""
    header: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].partition(":")
        if not sep:
            raise HeaderError(f"{path.name}: header line without `key: value`: {line!r}")
        header[key.strip()] = value.strip()
    return header


def _codes(path: Path, key: str, value: str) -> frozenset[str]:
    if value == CLEAN:
        return frozenset()
    codes = frozenset(code.strip() for code in value.split(","))
    if any(CODE_PATTERN.fullmatch(code) is None for code in codes):
        raise HeaderError(
            f"{path.name}: `{key}` must be `clean` or codes like CH101, got {value!r}"
        )
    return codes


def parse_corpus_file(path: Path) -> CorpusFile:
    header = read_header(path)
    missing = [key for key in REQUIRED_KEYS if key not in header]
    if missing:
        raise HeaderError(f"{path.name}: header lacks {', '.join(missing)}")
    if header["truss"] not in ("accept", "reject"):
        raise HeaderError(f"{path.name}: `truss` must be accept or reject")
    return CorpusFile(
        path=path,
        truss_accepts=header["truss"] == "accept",
        default_codes=_codes(path, "default", header["default"]),
        truss_profile_codes=_codes(path, "truss-profile", header["truss-profile"]),
        truss_misses=header.get("truss-misses"),
        description=header.get("covers") or header.get("mistake") or "",
    )


def load_corpus() -> list[CorpusFile]:
    """Every corpus file; modules named ``_*.py`` are only imported by corpus files."""
    paths = sorted(VALID_DIR.glob("*.py")) + sorted(INVALID_DIR.glob("*.py"))
    return [parse_corpus_file(path) for path in paths if not path.name.startswith("_")]


CORPUS = load_corpus()


def lint_corpus_file(entry: CorpusFile, profile: Profile) -> list[Diagnostic]:
    return lint_files([entry.path], Config(profile=profile)).diagnostics


def describe(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(f"  {d.span.line}: {d.code} {d.message}" for d in diagnostics) or "  (none)"


def corpus_params() -> list[object]:
    return [pytest.param(entry, id=entry.name) for entry in CORPUS]


def test_corpus_has_both_kinds_of_files() -> None:
    valid = [e for e in CORPUS if e.in_valid_dir]
    invalid = [e for e in CORPUS if not e.in_valid_dir]
    assert len(valid) >= 15
    assert len(invalid) >= 30
    assert any(e.truss_misses for e in invalid)
    assert any(not e.truss_accepts for e in invalid)


@pytest.mark.parametrize("entry", corpus_params())
def test_header_is_consistent(entry: CorpusFile) -> None:
    unknown = (entry.default_codes | entry.truss_profile_codes) - set(RULES_BY_CODE)
    assert not unknown, f"unknown codes in the header: {sorted(unknown)}"
    # The agreement with truss, as the header states it: see test_truss_agreement.py.
    truss_profile_errors = [
        code for code in entry.truss_profile_codes if RULES_BY_CODE[code].severity is Severity.ERROR
    ]
    must_error = not entry.truss_accepts or entry.truss_misses is not None
    assert bool(truss_profile_errors) == must_error, "`truss-profile` disagrees with `truss`"
    if entry.in_valid_dir:
        assert entry.truss_accepts, "files in valid/ must be accepted by truss"
        listed = entry.default_codes | entry.truss_profile_codes
        errors = [code for code in listed if RULES_BY_CODE[code].severity is Severity.ERROR]
        assert not errors, f"files in valid/ may expect warnings only, not {sorted(errors)}"
        assert entry.truss_misses is None
        assert "covers" in read_header(entry.path)
    else:
        assert "mistake" in read_header(entry.path), "invalid files name their one mistake"
        # An invalid file is either rejected by truss or a deliberate disagreement.
        assert entry.truss_accepts == (entry.truss_misses is not None)
        assert entry.default_codes or entry.truss_profile_codes


@pytest.mark.parametrize("entry", corpus_params())
def test_default_profile_reports_exactly_the_listed_codes(entry: CorpusFile) -> None:
    diagnostics = lint_corpus_file(entry, "default")
    found = {d.code for d in diagnostics}
    assert found == entry.default_codes, (
        f"{entry.name} ({entry.description}): expected {sorted(entry.default_codes)}, "
        f"got:\n{describe(diagnostics)}"
    )


@pytest.mark.parametrize("entry", corpus_params())
def test_truss_profile_reports_exactly_the_listed_codes(entry: CorpusFile) -> None:
    diagnostics = lint_corpus_file(entry, "truss")
    found = {d.code for d in diagnostics}
    assert found == entry.truss_profile_codes, (
        f"{entry.name} ({entry.description}): expected {sorted(entry.truss_profile_codes)}, "
        f"got:\n{describe(diagnostics)}"
    )


def test_header_parser_rejects_malformed_headers(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("# truss: maybe\n# default: clean\n# truss-profile: clean\n", "utf-8")
    with pytest.raises(HeaderError, match="accept or reject"):
        parse_corpus_file(broken)
    broken.write_text("# truss: accept\n# default: CH1\n# truss-profile: clean\n", "utf-8")
    with pytest.raises(HeaderError, match="codes like"):
        parse_corpus_file(broken)
    broken.write_text("# truss: accept\nimport truss_chains\n", "utf-8")
    with pytest.raises(HeaderError, match="lacks default, truss-profile"):
        parse_corpus_file(broken)
