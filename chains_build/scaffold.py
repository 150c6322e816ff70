"""``chains-build init NAME``: a new chain folder, as the concept guide describes a chain.

A chain is a single file: ``chain.py`` holds two chainlets, an entrypoint marked with
``mark_entrypoint`` that calls a second chainlet through ``depends(...)``, each with
``run_remote`` typed for JSON. It lints clean and builds as it is. The folder also gets a
README with the commands that check, run and build it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from chains_build.errors import BuildError

CHAIN_FILE = "chain.py"

_CHAIN_TEMPLATE = '''"""The chain {name}: the entrypoint greets everyone, asking Greeter for each.

Check it with `chains-lint {chain_file}`, run it with `chains-run {chain_file} --input
'{{"names": ["Ada", "Grace"]}}'`, build its images with `chains-build {chain_file} -o build`.
"""

import asyncio

import truss_chains as chains


class Greeter(chains.ChainletBase):
    """Greets one person. It is deployed as its own service; the entrypoint calls it."""

    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=1, memory="512Mi"))

    async def run_remote(self, name: str) -> str:
        return f"Hello, {{name}}!"


@chains.mark_entrypoint({chain_name})
class Hello(chains.ChainletBase):
    """The entrypoint: calls Greeter once per name, all at the same time."""

    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=1, memory="512Mi"))

    def __init__(self, greeter: Greeter = chains.depends(Greeter, retries=3)) -> None:
        self._greeter = greeter

    async def run_remote(self, names: list[str]) -> list[str]:
        return list(await asyncio.gather(*(self._greeter.run_remote(n) for n in names)))
'''

_README_TEMPLATE = """# {name}

A chain in `{chain_file}`: check it with `chains-lint {chain_file}`, run it locally with
`chains-run {chain_file} --input '{{"names": ["Ada"]}}'`, build its Docker images and
deployment files with `chains-build {chain_file} -o build`.
"""


def init_chain(folder: Path) -> list[Path]:
    """Create the chain folder; returns the files written."""
    if folder.exists() and not folder.is_dir():
        raise BuildError(f"{folder} exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise BuildError(f"{folder} exists and is not empty; choose a new folder name")
    name = folder.resolve().name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise BuildError(
            f"{folder}: name the chain folder with letters, digits, '_', '.' and '-' (it is "
            "also the chain's name)"
        )
    files = {
        CHAIN_FILE: _CHAIN_TEMPLATE.format(
            name=name, chain_name=json.dumps(name), chain_file=CHAIN_FILE
        ),
        "README.md": _README_TEMPLATE.format(name=name, chain_file=CHAIN_FILE),
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for file_name, text in files.items():
            path = folder / file_name
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise BuildError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    return written
