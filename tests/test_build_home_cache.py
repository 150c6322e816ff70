"""A real image: what ``build_commands`` write under ``$HOME/.cache`` is read by the server.

Build commands run as root with the server user's ``HOME`` and caches (``XDG_CACHE_HOME``,
``HF_HOME``, ``TORCH_HOME``), and what they leave there is given to uid 10001 in the same
layer. The chain below writes two files at build time (one command ends in a comment, which
takes the exec-form path of the Dockerfile); its ``__init__``, run by uid 10001, reads both
and writes a third next to them. Built from the local base image (scripts/setup-docker.sh);
skipped without Docker, failed under ``CI=true``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.build_helpers import build_process, write
from tests.e2e.compose_chain import BASE_IMAGE

HOME_CHAIN = """
    import os
    from pathlib import Path

    import truss_chains as chains


    @chains.mark_entrypoint
    class Reader(chains.ChainletBase):
        remote_config = chains.RemoteConfig(
            build_commands=[
                "mkdir -p $HOME/.cache/demo && echo from-build > $HOME/.cache/demo/greeting.txt",
                "mkdir -p $HF_HOME && echo in-hf-home > $HF_HOME/note.txt  # a trailing comment",
            ],
        )

        def __init__(self) -> None:
            cache = Path.home() / ".cache" / "demo"
            self._greeting = (cache / "greeting.txt").read_text().strip()
            self._note = (Path(os.environ["HF_HOME"]) / "note.txt").read_text().strip()
            (cache / "written-at-run-time.txt").write_text("ok")  # the folder is ours

        async def run_remote(self, name: str) -> dict[str, str]:
            return {
                "greeting": self._greeting,
                "note": self._note,
                "home": str(Path.home()),
                "hf_home": os.environ["HF_HOME"],
                "uid": str(os.getuid()),
                "name": name,
            }
"""

CALL = """
import json, urllib.request as r
request = r.Request("http://127.0.0.1:8080/run_remote", data=json.dumps({"name": "x"}).encode(),
                    headers={"content-type": "application/json"})
print(r.build_opener(r.ProxyHandler({})).open(request, timeout=10).read().decode())
"""


def test_what_build_commands_write_in_home_cache_is_read_by_the_running_chainlet(
    tmp_path: Path, docker_client: Any
) -> None:
    chain = write(tmp_path / "src", "chain.py", HOME_CHAIN)
    out = tmp_path / "out"
    done = build_process(chain, "-o", out, "--base-image", BASE_IMAGE, "--images", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    image = json.loads((out / "chain.json").read_text())["chainlets"][0]["image"]
    wiring = json.dumps({"chainlet": "Reader", "is_entrypoint": True})
    container = docker_client.containers.run(
        image, detach=True, environment={"CHAINS_CONFIG": wiring}
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            result = container.exec_run(["python3", "-c", CALL])
            if result.exit_code == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert result.exit_code == 0, (
            result.output.decode()[-1000:] + container.logs().decode()[-3000:]
        )
        answer = json.loads(result.output.decode())
        assert answer == {
            "greeting": "from-build",
            "note": "in-hf-home",
            "home": "/home/chains",
            "hf_home": "/home/chains/.cache/huggingface",
            "uid": "10001",
            "name": "x",
        }
        # Everything the build commands left in HOME belongs to the server's user.
        listing = container.exec_run(
            ["find", "/home/chains", "-not", "-user", "10001", "-print"]
        ).output.decode()
        assert listing.strip() == ""
        written = container.exec_run(
            ["cat", "/home/chains/.cache/demo/written-at-run-time.txt"]
        )
        assert written.output.decode() == "ok"
    finally:
        container.remove(force=True)
