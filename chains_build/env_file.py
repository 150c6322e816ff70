"""The deployer's ``.env`` next to docker-compose.yaml: a random service token, written once.

The first build into an output folder writes ``OUT/.env`` holding ``CHAINS_SERVICE_TOKEN=`` and
32 random bytes in hex, readable by its owner only (mode 0600), so ``docker compose up`` is all
a user types. It is the one output that differs between two builds, and it is never touched
again: a rebuild carries the deployer's ``.env`` over (``chains_build.output``), and an
existing ``.env`` without a token gets a token line appended, nothing else. The token is in no
other file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from chains_runtime.contract import SERVICE_TOKEN_ENV

ENV_FILE = ".env"
TOKEN_BYTES = 32


def ensure_service_token(out: Path) -> bool:
    """Give ``out/.env`` a service token if it has none; whether the file was changed."""
    path = out / ENV_FILE
    line = f"{SERVICE_TOKEN_ENV}={secrets.token_hex(TOKEN_BYTES)}\n"
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _append_if_missing(path, line)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(line)
    return True


def _append_if_missing(path: Path, line: str) -> bool:
    text = path.read_text(encoding="utf-8")
    if any(entry.strip().startswith(f"{SERVICE_TOKEN_ENV}=") for entry in text.splitlines()):
        return False
    with path.open("a", encoding="utf-8") as stream:
        stream.write(("" if not text or text.endswith("\n") else "\n") + line)
    return True
