"""``--secret KEY``, ``--secrets-dir DIR`` (and ``--secret KEY=VALUE``): a run's secret values.

``--secret KEY`` takes the value of the environment variable ``KEY``, so it is never on a
command line (``/proc/PID/cmdline`` is readable by every local user); the inline form still
works, with a warning.

Each chainlet receives only the keys it declares in ``Assets(secret_keys=...)``; values are
never printed, and ``Redactor`` masks them in anything ``chains-run`` copies to stderr (child
logs, remote error messages and tracebacks).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from chains_runtime.chainlet import ChainletBase
from chains_runtime.contract import API_KEY_ENV
from chains_runtime.errors import ChainsUsageError

MASK = "***"
MIN_MASKED_LENGTH = 4
"""Shorter values are not masked: replacing every "ab" in a log would garble it."""


class SecretsError(ChainsUsageError):
    """A ``--secret`` or ``--secrets-dir`` that cannot be used."""


def _check_key(key: str, where: str) -> None:
    if not key or key.startswith(".") or "/" in key or "\0" in key or key != key.strip():
        raise SecretsError(
            f"{where}: the secret name {key!r} is not usable as a secret key (it must be "
            "non-empty, without '/', surrounding spaces or a leading '.')"
        )


def read_secrets_dir(folder: Path) -> dict[str, str]:
    """One secret per regular file, named by its key; a trailing newline is dropped."""
    if not folder.is_dir():
        raise SecretsError(f"--secrets-dir {str(folder)!r} is not a directory")
    values: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            values[path.name] = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise SecretsError(f"cannot read the secret file {str(path)!r}: {reason}") from None
    return values


def parse_secret_options(
    options: Sequence[str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``KEY`` (the value of the environment variable ``KEY``) or ``KEY=VALUE`` (the value may
    contain ``=``); a repeated key or an unset variable is an error."""
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        _check_key(key, "--secret")
        if key in values:
            raise SecretsError(f"--secret {key} is given twice")
        if not sep:
            if key not in env:
                raise SecretsError(
                    f"--secret {key}: the environment variable `{key}` is not set; export it "
                    f"with the value, or use --secrets-dir DIR (a file `{key}` in DIR)"
                )
            value = env[key]
        values[key] = value
    return values


def inline_secret_warnings(options: Sequence[str], api_key_given: bool) -> list[str]:
    """One warning per value given on the command line, saying what to use instead."""
    warnings = [
        f"--secret {key}=... puts the value on the command line, where every local user can "
        f"read it (ps, /proc/PID/cmdline); export {key}=... and pass --secret {key}, or use "
        "--secrets-dir DIR"
        for key, sep, _ in (option.partition("=") for option in options)
        if sep
    ]
    if api_key_given:
        warnings.append(
            "--api-key puts the key on the command line, where every local user can read it "
            f"(ps, /proc/PID/cmdline); set the environment variable {API_KEY_ENV} instead"
        )
    return warnings


def secret_variables(options: Sequence[str]) -> frozenset[str]:
    """The environment variables ``--secret KEY`` reads: kept from the chainlets' environment."""
    return frozenset(option for option in options if "=" not in option)


def collect_secrets(
    options: Sequence[str], secrets_dir: Path | None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The secrets of the run: the directory's, then the ``--secret`` options (which win)."""
    values = read_secrets_dir(secrets_dir) if secrets_dir is not None else {}
    values.update(parse_secret_options(options, environ))
    return values


def declared_secrets(chainlet_cls: type[ChainletBase], values: Mapping[str, str]) -> dict[str, str]:
    """The values of the keys ``chainlet_cls`` declares (and only those)."""
    declared = chainlet_cls.remote_config.assets.secret_keys
    return {key: values[key] for key in declared if key in values}


def secret_warnings(
    chainlets: Iterable[type[ChainletBase]], values: Mapping[str, str]
) -> list[str]:
    """Declared keys without a value, and given keys that no chainlet declares."""
    warnings: list[str] = []
    declared_anywhere: set[str] = set()
    for cls in chainlets:
        for key in cls.remote_config.assets.secret_keys:
            declared_anywhere.add(key)
            if key not in values:
                warnings.append(
                    f"chainlet `{cls.__name__}` declares the secret `{key}`, which has no value; "
                    f"export {key}=VALUE and pass --secret {key}, or a --secrets-dir holding "
                    f"a file `{key}`"
                )
    for key in sorted(set(values) - declared_anywhere):
        warnings.append(
            f"the secret `{key}` is given but no chainlet of the chain declares it "
            "in Assets(secret_keys=...), so no chainlet can read it"
        )
    return warnings


class Redactor:
    """Masks secret values in text (longest first, so no value leaks through a shorter one)."""

    def __init__(self, values: Iterable[str]) -> None:
        masked = {value for value in values if len(value) >= MIN_MASKED_LENGTH}
        self._values = sorted(masked, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, MASK)
        return text
