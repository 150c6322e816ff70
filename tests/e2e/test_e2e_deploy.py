"""``docker compose up`` is all a user types: chains-build wrote the service token.

The hello example (two chainlets: the entrypoint calls SayHello with the service token) is
built and started with its docker-compose.yaml and nothing written by hand: no ``.env``, no
token in the environment (compose_chain passes none unless asked). The token the chainlets
share is the one in the ``.env`` chains-build wrote (mode 600); the entrypoint is published
on loopback only, where it refuses DNS-rebound Host names, and the containers stop within the
grace period after draining.

A chain that declares weights (``WeightsSource(source="hf://...", mount_location=...)``) gets
them downloaded by its server into the named volume once: a recreated container finds them
there. ``huggingface_hub`` is a stand-in module next to the chain (no network in CI), copied
into the image like any local module the chain imports.
"""

from __future__ import annotations

import stat
from pathlib import Path

from tests.e2e.compose_chain import compose_chain, env_file_token
from tests.e2e.conftest import BuildOnce
from tests.test_examples import CASES_BY_ID

HELLO = CASES_BY_ID["hello"]
PROBE = """
import sys, urllib.request as r
headers = {{"content-type": "application/json", "x-chains-service-token": sys.argv[1]}}
request = r.Request("{url}", data=b'{{"name": "A"}}', headers=headers)
print(r.build_opener(r.ProxyHandler({{}})).open(request, timeout=10).status)
"""
"""Run in the entrypoint's container: call SayHello with the token given as argument."""


def test_compose_up_needs_no_hand_written_env(build_once: BuildOnce) -> None:
    built = build_once(HELLO.path)
    env_file = built.out / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    token = env_file_token(built.out)
    assert len(token) == 64
    with compose_chain(built, secrets=HELLO.secrets) as chain:
        assert chain.environment == {}  # nothing but what chains-build wrote
        assert chain.token == token
        response = chain.call(HELLO.input)
        assert response.status_code == 200, response.text
        # Internal chainlets accept the token from .env, and no other.
        say_hello = built.chainlet("SayHello")
        probe = PROBE.format(url=f"http://{say_hello.service}:8080/run_remote")
        ok = chain.exec(HELLO.entrypoint, ["python3", "-c", probe, token])
        assert ok.returncode == 0 and ok.stdout.strip() == "200", ok.stdout + ok.stderr
        wrong = chain.exec(HELLO.entrypoint, ["python3", "-c", probe, "not-the-token"])
        assert wrong.returncode != 0 and "401" in wrong.stderr + wrong.stdout
        # DNS rebinding: a page's own name resolved to 127.0.0.1 is refused on the published
        # port (the API key being optional on loopback); localhost still answers.
        port = chain.url.rsplit(":", 1)[1]
        rebound = chain.call(HELLO.input, headers={"host": f"rebind.example:{port}"})
        assert rebound.status_code == 400, rebound.text
        assert rebound.json()["error"]["type"] == "HostNotAllowed"
        local = chain.call(HELLO.input, headers={"host": f"localhost:{port}"})
        assert local.status_code == 200, local.text
        # Published on loopback only.
        ports = chain.inspect(HELLO.entrypoint)["HostConfig"]["PortBindings"]
        assert [binding["HostIp"] for binding in ports["8080/tcp"]] == ["127.0.0.1"]
        assert chain.inspect(HELLO.entrypoint)["Config"]["StopTimeout"] >= 40
    assert Path(env_file).read_text() == f"CHAINS_SERVICE_TOKEN={token}\n"  # kept


WEIGHTS_CHAIN = '''
import json
from pathlib import Path

import huggingface_hub  # noqa: F401  (the stand-in below: copied into the image with the chain)

import truss_chains as chains

CACHE = Path("/app/model_cache")


@chains.mark_entrypoint
class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            weights=[
                chains.WeightsSource(source="hf://org/model@v1", mount_location="/models/model")
            ]
        ),
    )

    def __init__(self) -> None:
        self._repo = json.loads(Path("/models/model/config.json").read_text())["repo"]
        self._downloads = (CACHE / "downloads.log").read_text().count("\\n")

    async def run_remote(self, name: str) -> dict[str, str]:
        return {"repo": self._repo, "downloads": str(self._downloads), "name": name}
'''

FAKE_HUB = '''
"""A stand-in for huggingface_hub.snapshot_download (no network in CI): writes a config and
counts its calls in the cache volume."""

import json
from pathlib import Path


def snapshot_download(**kwargs: object) -> str:
    folder = Path(str(kwargs["local_dir"]))
    (folder / "config.json").write_text(json.dumps({"repo": kwargs["repo_id"]}))
    with (folder.parent / "downloads.log").open("a") as log:
        log.write(f"{kwargs['repo_id']}@{kwargs['revision']}\\n")
    return str(folder)
'''


def test_declared_weights_are_downloaded_once_into_a_kept_volume(
    build_once: BuildOnce, tmp_path: Path
) -> None:
    (tmp_path / "huggingface_hub.py").write_text(FAKE_HUB, encoding="utf-8")
    chain_file = tmp_path / "chain.py"
    chain_file.write_text(WEIGHTS_CHAIN, encoding="utf-8")
    built = build_once(chain_file)
    with compose_chain(built) as chain:
        first = chain.call({"name": "a"})
        assert first.status_code == 200, first.text
        assert first.json() == {"repo": "org/model", "downloads": "1", "name": "a"}
        # A new container on the same volume: the marker says the weights are there.
        service = built.chainlet("Model").service
        old = chain.container_id("Model")
        recreated = chain.compose("up", "-d", "--no-deps", "--force-recreate", service)
        assert recreated.returncode == 0, recreated.stderr
        assert chain.container_id("Model") != old
        chain.wait_for(chain.ready, "the recreated chainlet's /readyz")
        again = chain.call({"name": "b"})
        assert again.json() == {"repo": "org/model", "downloads": "1", "name": "b"}
        owner = chain.exec("Model", ["stat", "-c", "%u", "/app/model_cache/mount-0/config.json"])
        assert owner.stdout.strip() == "10001"
