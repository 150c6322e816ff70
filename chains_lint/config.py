"""Configuration from ``[tool.chains-lint]`` in ``pyproject.toml`` and the command line."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from chains_lint.rules.base import PROFILES, Profile
from chains_lint.rules.registry import RULES_BY_CODE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

CONFIG_SECTION = "chains-lint"
_KNOWN_KEYS = frozenset({"select", "ignore", "extend-select", "profile", "src", "exclude"})
ALL_SELECTOR = "ALL"


class ConfigError(Exception):
    """A configuration problem, reported as a one-line message and exit code 2."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    profile: Profile = "default"
    source_roots: tuple[Path, ...] = ()
    exclude: tuple[str, ...] = ()
    config_file: Path | None = None
    extend_select: tuple[str, ...] = field(default=())

    @property
    def project_root(self) -> Path | None:
        """The folder of the config file: ``exclude`` patterns are relative to it."""
        return self.config_file.parent if self.config_file is not None else None

    def is_selected(self, code: str) -> bool:
        """ruff-style selection: the longest matching selector decides, ties go to ignore."""
        selected = _longest_match(code, self.select + self.extend_select) if self.select else 0
        if self.select and selected == 0:
            return False
        ignored = _longest_match(code, self.ignore)
        if ignored == 0:
            return True
        return selected > ignored

    def with_overrides(
        self,
        select: list[str] | None,
        ignore: list[str] | None,
        profile: str | None,
        source_roots: list[Path] | None,
    ) -> Config:
        """This config with command-line options applied on top."""
        updated = self
        if select:
            # Like ruff: --select replaces the configured selection entirely.
            updated = replace(updated, select=_codes(select, "--select"), extend_select=())
        if ignore:
            updated = replace(updated, ignore=updated.ignore + _codes(ignore, "--ignore"))
        if profile is not None:
            updated = replace(updated, profile=_profile(profile, "--profile"))
        if source_roots:
            for root in source_roots:
                if not root.is_dir():
                    raise ConfigError(f"--src: {root}: no such folder")
            updated = replace(updated, source_roots=updated.source_roots + tuple(source_roots))
        return updated


def _longest_match(code: str, selectors: tuple[str, ...]) -> int:
    best = 1 if ALL_SELECTOR in selectors else 0
    for selector in selectors:
        if selector != ALL_SELECTOR and code.startswith(selector):
            best = max(best, len(selector))
    return best


def _codes(values: list[str] | Any, where: str) -> tuple[str, ...]:
    """Selectors from a list of (comma-separated) codes, each checked against the rules."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f'{where} must be a list of rule codes or prefixes, like ["CH1"]')
    codes: list[str] = []
    for value in cast(list[str], values):
        for part in value.split(","):
            if part.strip():
                codes.append(_known_selector(part.strip(), where))
    return tuple(dict.fromkeys(codes))


def _known_selector(written: str, where: str) -> str:
    selector = written.upper()
    if selector == ALL_SELECTOR:
        return selector
    if not (selector.startswith("CH") and selector[2:].isdigit()):
        raise ConfigError(
            f"{where}: {written!r} is not a rule code or prefix (codes look like CH101)"
        )
    if not any(code.startswith(selector) for code in RULES_BY_CODE):
        raise ConfigError(f"{where}: {written!r} matches no rule; see chains-lint --list-rules")
    return selector


def _profile(value: object, where: str) -> Profile:
    if value not in PROFILES:
        raise ConfigError(f"{where}: unknown profile {value!r}; use one of {', '.join(PROFILES)}")
    return value


def search_start(paths: Sequence[Path], cwd: Path) -> Path:
    """Where to look for ``pyproject.toml``: the deepest folder holding every path."""
    if not paths:
        return cwd
    resolved = [str((cwd / p).resolve()) for p in paths]
    try:
        return Path(os.path.commonpath(resolved))
    except ValueError:  # e.g. paths on different Windows drives
        return cwd


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has our section.

    A ``pyproject.toml`` that is not valid TOML is an error rather than skipped:
    it might hold the section, and silently linting without it would mislead.
    """
    folder = start.resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and CONFIG_SECTION in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def _read_toml(pyproject: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{pyproject}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{pyproject}: not valid UTF-8: {exc.reason}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from exc
    return data


def load_config(pyproject: Path | None) -> Config:
    if pyproject is None:
        return Config()
    tool = _read_toml(pyproject).get("tool", {})
    section = tool.get(CONFIG_SECTION, {}) if isinstance(tool, dict) else {}
    where = f"{pyproject} [tool.{CONFIG_SECTION}]"
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(section) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(_KNOWN_KEYS))}"
        )
    base = pyproject.parent
    return Config(
        select=_codes(section.get("select", []), f"{where} select"),
        ignore=_codes(section.get("ignore", []), f"{where} ignore"),
        extend_select=_codes(section.get("extend-select", []), f"{where} extend-select"),
        profile=_profile(section.get("profile", "default"), f"{where} profile"),
        source_roots=tuple(base / s for s in _strings(section, "src", where, "folders")),
        exclude=_strings(section, "exclude", where, "glob patterns"),
        config_file=pyproject,
    )


def _strings(section: dict[str, Any], key: str, where: str, what: str) -> tuple[str, ...]:
    value = section.get(key, [])
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ConfigError(f"{where}: {key} must be a list of {what}")
    return tuple(value)
