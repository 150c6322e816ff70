"""Configuration from ``[tool.chains-lint]`` in ``pyproject.toml`` and the command line."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from chains_lint.profiles import PROFILES, Profile

CONFIG_SECTION = "chains-lint"
_KNOWN_KEYS = frozenset(
    {"select", "ignore", "extend-select", "profile", "src", "exclude", "cache-dir", "entrypoint"}
)
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
    cache_dir: Path | None = None  # `cache-dir`, relative to the config file
    # The chainlet class a push names (`truss chains push FILE NAME`): a file defining it
    # needs no `mark_entrypoint`.
    entrypoint: str | None = None
    # Selectors not yet checked against the rules: (selector, as written, where).
    # Checking imports every rule, so a run answered from the cache skips it.
    unchecked_selectors: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)

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
        *,
        check_codes: bool = True,
        entrypoint: str | None = None,
    ) -> Config:
        """This config with command-line options applied on top.

        With ``check_codes=False`` the codes are checked against the rules only
        by :meth:`check_rule_codes`.
        """
        updated = self
        unchecked: list[tuple[str, str, str]] = []
        if select:
            # Like ruff: --select replaces the configured selection entirely.
            codes = _codes(select, "--select", unchecked)
            updated = replace(updated, select=codes, extend_select=())
        if ignore:
            ignored = _codes(ignore, "--ignore", unchecked)
            updated = replace(updated, ignore=updated.ignore + ignored)
        if profile is not None:
            updated = replace(updated, profile=_profile(profile, "--profile"))
        if entrypoint is not None:
            updated = replace(updated, entrypoint=_entrypoint(entrypoint, "--entrypoint"))
        if source_roots:
            for root in source_roots:
                if not root.is_dir():
                    raise ConfigError(f"--src: {root}: no such folder")
            updated = replace(updated, source_roots=updated.source_roots + tuple(source_roots))
        updated = replace(
            updated, unchecked_selectors=updated.unchecked_selectors + tuple(unchecked)
        )
        return updated.check_rule_codes() if check_codes else updated

    def check_rule_codes(self) -> Config:
        """This config, once every selector matches a rule; else :class:`ConfigError`."""
        if not self.unchecked_selectors:
            return self
        from chains_lint.rules.registry import RULES_BY_CODE

        for selector, written, where in self.unchecked_selectors:
            if not any(code.startswith(selector) for code in RULES_BY_CODE):
                raise ConfigError(
                    f"{where}: {written!r} matches no rule; see chains-lint --list-rules"
                )
        return replace(self, unchecked_selectors=())


def _longest_match(code: str, selectors: tuple[str, ...]) -> int:
    best = 1 if ALL_SELECTOR in selectors else 0
    for selector in selectors:
        if selector != ALL_SELECTOR and code.startswith(selector):
            best = max(best, len(selector))
    return best


def _codes(
    values: list[str] | Any, where: str, unchecked: list[tuple[str, str, str]]
) -> tuple[str, ...]:
    """Selectors from a list of (comma-separated) codes; each is added to ``unchecked``."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f'{where} must be a list of rule codes or prefixes, like ["CH1"]')
    codes: list[str] = []
    for value in cast(list[str], values):
        for part in value.split(","):
            if part.strip():
                selector = _selector(part.strip(), where)
                codes.append(selector)
                if selector != ALL_SELECTOR:
                    unchecked.append((selector, part.strip(), where))
    return tuple(dict.fromkeys(codes))


def _selector(written: str, where: str) -> str:
    selector = written.upper()
    if selector == ALL_SELECTOR:
        return selector
    if not (selector.startswith("CH") and selector[2:].isdigit()):
        raise ConfigError(
            f"{where}: {written!r} is not a rule code or prefix (codes look like CH101)"
        )
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
    # Imported here: a run with --no-config, or without any pyproject.toml, never needs it.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

    try:
        data: dict[str, Any] = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{pyproject}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{pyproject}: not valid UTF-8: {exc.reason}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from exc
    return data


def load_config(pyproject: Path | None, *, check_codes: bool = True) -> Config:
    """The ``[tool.chains-lint]`` section of ``pyproject`` (defaults without one).

    With ``check_codes=False`` the codes are checked against the rules only by
    :meth:`Config.check_rule_codes`.
    """
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
    unchecked: list[tuple[str, str, str]] = []
    config = Config(
        select=_codes(section.get("select", []), f"{where} select", unchecked),
        ignore=_codes(section.get("ignore", []), f"{where} ignore", unchecked),
        extend_select=_codes(
            section.get("extend-select", []), f"{where} extend-select", unchecked
        ),
        profile=_profile(section.get("profile", "default"), f"{where} profile"),
        source_roots=tuple(base / s for s in _strings(section, "src", where, "folders")),
        exclude=_strings(section, "exclude", where, "glob patterns"),
        config_file=pyproject,
        unchecked_selectors=tuple(unchecked),
        cache_dir=_cache_dir(section, base, where),
        entrypoint=_optional_entrypoint(section, where),
    )
    return config.check_rule_codes() if check_codes else config


def _entrypoint(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.isidentifier():
        raise ConfigError(f"{where}: the entrypoint must be a class name, got {value!r}")
    return value


def _optional_entrypoint(section: dict[str, Any], where: str) -> str | None:
    value = section.get("entrypoint")
    return None if value is None else _entrypoint(value, f"{where} entrypoint")


def _strings(section: dict[str, Any], key: str, where: str, what: str) -> tuple[str, ...]:
    value = section.get(key, [])
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ConfigError(f"{where}: {key} must be a list of {what}")
    return tuple(value)


def _cache_dir(section: dict[str, Any], base: Path, where: str) -> Path | None:
    value = section.get("cache-dir")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: cache-dir must be a folder path (a string)")
    return base / value
