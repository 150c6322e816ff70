"""How fast ``chains-build`` generates the output of a 10-chainlet chain.

Usage::

    python -m benchmarks.build_speed [--runs 5] [--chainlets 10] [--check]

The chain is generated into a temporary folder: an entrypoint that calls every other
chainlet, chainlets with requirements, build commands, secrets, GPUs (so the CUDA tables are
consulted), a data folder and a helper module they import. Two figures are printed: the wall
time of a real ``chains-build CHAIN -o OUT`` process (start-up, lint, plan, every context
with the runtime copied, compose, Kubernetes, chain.json, the atomic write), and the same
work in this process without start-up. ``--check`` exits 1 when the process time misses the
target of 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

TARGET_S = 1.0
_GPUS = ("L4", "A10G", "H100", "B200")


def chain_source(chainlets: int) -> str:
    """An entrypoint that calls ``chainlets - 1`` chainlets, each configured differently."""
    lines = [
        '"""A generated chain for the build benchmark."""',
        "",
        "import asyncio",
        "",
        "import truss_chains as chains",
        "from helpers import normalize",
    ]
    names = [f"Step{index}" for index in range(1, chainlets)]
    for index, name in enumerate(names):
        gpu = f', gpu="{_GPUS[index % len(_GPUS)]}"' if index % 3 == 0 else ""
        torch = ', "torch==2.7.1"' if index % 3 == 0 else ""
        lines += [
            "",
            "",
            f"class {name}(chains.ChainletBase):",
            "    remote_config = chains.RemoteConfig(",
            "        docker_image=chains.DockerImage(",
            f'            pip_requirements=["numpy>=1.26"{torch}],',
            '            apt_requirements=["libgomp1"],',
            '            data_dir=chains.make_abs_path_here("data"),',
            "        ),",
            f'        compute=chains.Compute(cpu_count={1 + index % 4}, memory="2Gi"{gpu}),',
            '        assets=chains.Assets(secret_keys=["hf_token"]),',
            f'        build_commands=["echo step {index} > /tmp/step"],',
            "    )",
            "",
            "    async def run_remote(self, text: str) -> str:",
            f'        return normalize(text) + "{index}"',
        ]
    params = ",\n".join(
        f"        {name.lower()}: {name} = chains.depends({name})" for name in names
    )
    lines += [
        "",
        "",
        "@chains.mark_entrypoint",
        "class Pipeline(chains.ChainletBase):",
        "    def __init__(",
        "        self,",
        f"{params},",
        "    ) -> None:",
        f"        self._steps = [{', '.join(name.lower() for name in names)}]",
        "",
        "    async def run_remote(self, text: str) -> list[str]:",
        "        return list(await asyncio.gather(*(s.run_remote(text) for s in self._steps)))",
    ]
    return "\n".join(lines) + "\n"


def write_project(folder: Path, chainlets: int) -> Path:
    (folder / "data").mkdir(parents=True)
    for index in range(20):
        (folder / "data" / f"table_{index}.csv").write_text("a,b\n1,2\n" * 50)
    (folder / "helpers.py").write_text(
        "def normalize(text: str) -> str:\n    return text.strip().lower()\n"
    )
    chain = folder / "chain.py"
    chain.write_text(chain_source(chainlets))
    return chain


def builder_command() -> list[str]:
    script = Path(sys.executable).with_name("chains-build")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "chains_build.cli"]


def time_process(chain: Path, out: Path, runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [*builder_command(), str(chain), "-o", str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"chains-build failed ({done.returncode}): {done.stderr.strip()}")
    return seconds


def time_in_process(chain: Path, out: Path, runs: int) -> list[float]:
    from chains_build.cli import main

    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            status = main([str(chain), "-o", str(out)])
        seconds.append(time.perf_counter() - start)
        if status != 0:
            raise SystemExit(f"chains-build failed in process ({status})")
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chainlets", type=int, default=10)
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="chains-build-bench-") as tmp:
        folder = Path(tmp)
        chain = write_project(folder / "project", args.chainlets)
        process = time_process(chain, folder / "out", args.runs)
        shutil.rmtree(folder / "out")
        in_process = time_in_process(chain, folder / "out", args.runs)
        files = sum(1 for path in (folder / "out").rglob("*") if path.is_file())
    print(
        f"{args.chainlets}-chainlet chain ({files} files written), {args.runs} runs: "
        f"chains-build process min {min(process):.2f} s, median "
        f"{statistics.median(process):.2f} s (target <= {TARGET_S:.0f} s); "
        f"in process min {min(in_process):.2f} s, median {statistics.median(in_process):.2f} s"
    )
    return 1 if args.check and statistics.median(process) > TARGET_S else 0


if __name__ == "__main__":
    raise SystemExit(main())
