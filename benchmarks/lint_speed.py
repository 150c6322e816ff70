"""How fast ``chains-lint`` runs: one typical file, and a batch of 1,000 files.

Usage::

    python -m benchmarks.lint_speed [--runs 10] [--files 1000] [--check]

Every measurement is the wall time of a real ``chains-lint`` process, start-up
included. The single-file case lints ``benchmarks/data/rag_chain.py`` (five
chainlets with configs, dependencies, secrets and streaming). The batch case
generates varied chain files (seeded, so every run lints the same files) into
a temporary folder and lints the folder in one run. ``--check`` exits 1 when a
target is missed: at most 300 ms for one file, at least 100 files per second.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TYPICAL_FILE = Path(__file__).resolve().parent / "data" / "rag_chain.py"
SINGLE_FILE_TARGET_MS = 300.0
BATCH_TARGET_FILES_PER_S = 100.0
SEED = 1234

_SIMPLE_TYPES = ("str", "int", "float", "bool", "bytes", "list[str]", "dict[str, int]")
_GPUS = ("T4", "L4", "A10G", "A100", "H100")
_WORDS = ("Embed", "Rank", "Chunk", "Clean", "Summarize", "Translate", "Detect", "Score")


@dataclass(frozen=True)
class Timing:
    seconds: list[float]

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def linter_command() -> list[str]:
    """The installed ``chains-lint`` script next to this Python, else ``python -m``."""
    script = Path(sys.executable).with_name("chains-lint")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "chains_lint"]


def time_runs(args: Sequence[str], runs: int, cwd: Path) -> Timing:
    seconds: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [*linter_command(), "--no-config", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"chains-lint failed ({done.returncode}): {done.stderr.strip()}")
    return Timing(seconds)


# -- generated chain files ------------------------------------------------------------


def _chainlet(
    rng: random.Random,
    name: str,
    earlier: dict[str, list[str]],
    flaw: bool,
) -> tuple[list[str], list[str]]:
    """A chainlet's source lines, and its run_remote parameter types."""
    types = [rng.choice(_SIMPLE_TYPES) for _ in range(rng.randint(1, 3))]
    params = [f"p{i}: {t}" for i, t in enumerate(types)]
    returns = rng.choice((*_SIMPLE_TYPES, "Payload"))
    lines = [f"class {name}(chains.ChainletBase):"]
    if rng.random() < 0.6:
        gpu = f', gpu="{rng.choice(_GPUS)}"' if rng.random() < 0.5 else ""
        lines += [
            "    remote_config = chains.RemoteConfig(",
            "        docker_image=chains.DockerImage(",
            f'            pip_requirements=["numpy=={rng.randint(1, 2)}.0"]',
            "        ),",
            f"        compute=chains.Compute(cpu_count={rng.randint(1, 8)}{gpu}),",
            '        assets=chains.Assets(secret_keys=["api_token"]),',
            "    )",
            "",
        ]
    deps = rng.sample(sorted(earlier), k=min(len(earlier), rng.randint(0, 2)))
    if deps:
        lines.append("    def __init__(")
        lines.append("        self,")
        for dep in deps:
            lines.append(f"        {dep.lower()}: {dep} = chains.depends({dep}, retries=2),")
        lines.append("    ) -> None:")
        for dep in deps:
            lines.append(f"        self._{dep.lower()} = {dep.lower()}")
        lines.append("")
    if flaw:  # an unannotated parameter: what a linter is for
        params[0] = params[0].split(":")[0]
    lines.append(f"    async def run_remote(self, {', '.join(params)}) -> {returns}:")
    for dep in deps:
        args = ", ".join(f"p{i}={_value(t)}" for i, t in enumerate(earlier[dep]))
        lines.append(f"        await self._{dep.lower()}.run_remote({args})")
    lines.append(f"        return {_value(returns)}")
    return lines, types


def _value(type_name: str) -> str:
    values = {"str": '"ok"', "int": "1", "float": "1.0", "bool": "True", "bytes": 'b""'}
    if type_name in values:
        return values[type_name]
    if type_name == "Payload":
        return 'Payload(key="k", values=[1.0])'
    return "[]" if type_name.startswith("list") else "{}"


def chain_file(rng: random.Random, index: int) -> str:
    """One varied chain file: 1-5 chainlets, dependencies, configs, some flaws."""
    count = rng.randint(1, 5)
    names = [f"{rng.choice(_WORDS)}{index}x{k}" for k in range(count)]
    lines = [
        f'"""Generated chain number {index}."""',
        "",
        "import pydantic",
        "import truss_chains as chains",
        "",
        "",
        "class Payload(pydantic.BaseModel):",
        "    key: str",
        "    values: list[float]",
    ]
    signatures: dict[str, list[str]] = {}
    for k, name in enumerate(names):
        lines += ["", ""]
        if k == count - 1 and count > 1:
            lines.append("@chains.mark_entrypoint")
        body, signatures[name] = _chainlet(rng, name, signatures, flaw=rng.random() < 0.1)
        lines += body
    return "\n".join(lines) + "\n"


def write_chain_files(folder: Path, count: int) -> None:
    rng = random.Random(SEED)
    for index in range(count):
        (folder / f"chain_{index:04d}.py").write_text(chain_file(rng, index), encoding="utf-8")


# -- main ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10, help="runs of the single-file case")
    parser.add_argument("--files", type=int, default=1000, help="files in the batch case")
    parser.add_argument("--batch-runs", type=int, default=3, help="runs of the batch case")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    single = time_runs([str(TYPICAL_FILE)], args.runs, TYPICAL_FILE.parent)
    print(
        f"one file ({TYPICAL_FILE.name}), {args.runs} runs: "
        f"min {single.best * 1000:.0f} ms, median {single.median * 1000:.0f} ms "
        f"(target <= {SINGLE_FILE_TARGET_MS:.0f} ms)"
    )
    with tempfile.TemporaryDirectory(prefix="chains-lint-bench-") as tmp:
        folder = Path(tmp)
        write_chain_files(folder, args.files)
        batch = time_runs(["."], args.batch_runs, folder)
    rate = args.files / batch.median
    print(
        f"{args.files} files in one run, {args.batch_runs} runs: "
        f"min {batch.best:.2f} s, median {batch.median:.2f} s = {rate:.0f} files/s "
        f"(target >= {BATCH_TARGET_FILES_PER_S:.0f} files/s)"
    )
    missed = single.median * 1000 > SINGLE_FILE_TARGET_MS or rate < BATCH_TARGET_FILES_PER_S
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
