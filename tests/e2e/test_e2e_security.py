"""No secret value in any image or build context, and containers that do not run as root.

The secret example is built from a copy of its folder where the secret and the service token
also sit on disk the careless way, next to chain.py (``.env``, ``secrets/<key>``), and run with
those values. Then every image built in this session (that one and every example's) is
exported with ``docker save`` and every layer and image config is searched, byte for byte,
for the test secrets and the token; so is every file chains-build wrote. A control string
from the chain's code must be found, so the search is known to read what the layers hold.
"""

from __future__ import annotations

import json
import posixpath
import secrets
import shutil
import subprocess
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.e2e.compose_chain import (
    BASE_IMAGE,
    BuiltChain,
    RunningChain,
    compose_chain,
    docker_command,
)
from tests.e2e.conftest import BuildOnce
from tests.test_examples import CASES, CASES_BY_ID, HF_TOKEN, SIGNING_KEY

SECRET_CASE = CASES_BY_ID["secret"]
APP_UID = "10001"
CONTROL = b"hmac.new(self._key"
"""A line of the secret example's code: it is in the Signer image, so a scan must find it."""
CHUNK_BYTES = 4 * 1024 * 1024
ID_OF_USER_AND_SERVER = "id -u; id -g; grep -E '^(Uid|Gid):' /proc/1/status"
"""Run in a container: the uid and gid of ``docker exec`` and those of the server (PID 1)."""
DEPLOYMENT_INPUTS = (".env", "secrets")
"""What the deployer writes next to docker-compose.yaml (compose_chain does, while running)."""


@pytest.fixture(scope="module")
def service_token() -> str:
    return secrets.token_hex(32)


@pytest.fixture(scope="module")
def careless_chain_file(tmp_path_factory: pytest.TempPathFactory, service_token: str) -> Path:
    """A copy of the secret example with the token and the secret saved beside the code."""
    project = tmp_path_factory.mktemp("careless_project")
    shutil.copy(SECRET_CASE.path, project / "chain.py")
    (project / ".env").write_text(
        f"CHAINS_SERVICE_TOKEN={service_token}\nCHAINS_SECRET_webhook_signing_key={SIGNING_KEY}\n",
        encoding="utf-8",
    )
    (project / "secrets").mkdir()
    (project / "secrets" / "webhook_signing_key").write_text(SIGNING_KEY, encoding="utf-8")
    return project / "chain.py"


@pytest.fixture(scope="module")
def secret_chain(
    build_once: BuildOnce, careless_chain_file: Path, service_token: str
) -> Iterator[RunningChain]:
    built = build_once(careless_chain_file)
    with compose_chain(built, secrets=SECRET_CASE.secrets, token=service_token) as chain:
        yield chain


@pytest.fixture(scope="module")
def every_build(build_once: BuildOnce, secret_chain: RunningChain) -> list[BuiltChain]:
    """The careless secret chain and every example, as built in this session."""
    return [secret_chain.built, *(build_once(case.path) for case in CASES)]


def needles(service_token: str) -> dict[bytes, str]:
    return {
        SIGNING_KEY.encode(): "the webhook signing key",
        HF_TOKEN.encode(): "the Hugging Face token",
        service_token.encode(): "the service token",
    }


def found_in(stream: IO[bytes], wanted: Iterable[bytes]) -> set[bytes]:
    """Which of ``wanted`` occur in ``stream``, read in chunks (overlapping, so that a value
    split between two chunks is found)."""
    wanted = set(wanted)
    overlap = max(len(value) for value in wanted) - 1
    found: set[bytes] = set()
    tail = b""
    while chunk := stream.read(CHUNK_BYTES):
        window = tail + chunk
        found.update(value for value in wanted if value in window)
        tail = window[-overlap:]
    return found


def scan_saved_images(images: list[str], wanted: Iterable[bytes]) -> dict[str, set[bytes]]:
    """``docker save IMAGES`` read as a stream: per layer or config file, the values found
    in it (files where none was found are left out). Every layer the manifest names must have
    been read: a layer shared by two images is saved once, the other copy a symlink to it."""
    docker = docker_command()
    assert docker is not None
    process = subprocess.Popen([docker, "save", *images], stdout=subprocess.PIPE)
    assert process.stdout is not None
    results: dict[str, set[bytes]] = {}
    read: set[str] = set()
    links: dict[str, str] = {}
    manifest: list[dict[str, object]] = []
    try:
        with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
            for member in archive:
                if member.issym():
                    target = posixpath.join(posixpath.dirname(member.name), member.linkname)
                    links[member.name] = posixpath.normpath(target)
                if not member.isfile():
                    continue
                stream = archive.extractfile(member)
                assert stream is not None
                if member.name == "manifest.json":
                    manifest = json.loads(stream.read())
                    continue
                read.add(member.name)
                hits = found_in(stream, wanted)
                if hits:
                    results[member.name] = hits
    finally:
        process.stdout.close()
        assert process.wait(timeout=120) == 0, "docker save failed"
    layers = {str(layer) for image in manifest for layer in image["Layers"]}  # type: ignore[attr-defined]
    assert layers, "docker save listed no layers"
    unread = {layer for layer in layers if links.get(layer, layer) not in read}
    assert not unread, f"layers not read: {sorted(unread)}"
    return results


def test_the_secret_reaches_the_chainlet_at_run_time(secret_chain: RunningChain) -> None:
    response = secret_chain.call(SECRET_CASE.input)
    assert response.status_code == 200, response.text
    assert [response.json()] == [json.loads(line) for line in SECRET_CASE.stdout_lines]


def test_no_secret_in_any_image_layer(every_build: list[BuiltChain], service_token: str) -> None:
    images = sorted({image for built in every_build for image in built.images})
    secret_values = needles(service_token)
    found = scan_saved_images(images, [*secret_values, CONTROL])
    assert any(CONTROL in hits for hits in found.values()), "the scan missed the chain's code"
    leaks = {
        name: sorted(secret_values[value] for value in hits if value != CONTROL)
        for name, hits in found.items()
        if hits - {CONTROL}
    }
    assert leaks == {}


def test_the_layer_scan_reads_a_layer_two_images_share(
    docker_ready: None, tmp_path: Path
) -> None:
    """Two images whose last layers are the same bytes: ``docker save`` writes that layer once
    and the other as a symlink to it. The scan must still count it read and find its content."""
    docker = docker_command()
    assert docker is not None
    marker = f"shared-layer-{secrets.token_hex(8)}"
    (tmp_path / "shared.txt").write_text(marker)
    tags = [f"chains-e2e-shared-layer:{name}-{secrets.token_hex(4)}" for name in ("a", "b")]
    try:
        for tag, name in zip(tags, ("a", "b"), strict=True):
            (tmp_path / "Dockerfile").write_text(
                f"FROM {BASE_IMAGE}\nRUN echo {name} > /{name}\nCOPY shared.txt /shared.txt\n"
            )
            subprocess.run([docker, "build", "-q", "-t", tag, str(tmp_path)], check=True)
        found = scan_saved_images(tags, [marker.encode()])
    finally:
        subprocess.run([docker, "rmi", "-f", *tags], capture_output=True)
    assert [hits for hits in found.values() if marker.encode() in hits] == [{marker.encode()}]


def test_no_secret_in_any_build_context(
    every_build: list[BuiltChain], service_token: str
) -> None:
    secret_values = needles(service_token)
    scanned = 0
    leaks: dict[str, list[str]] = {}
    for built in every_build:
        for path in sorted(built.out.rglob("*")):
            relative = path.relative_to(built.out)
            if not path.is_file() or relative.parts[0] in DEPLOYMENT_INPUTS:
                continue
            scanned += 1
            with path.open("rb") as stream:
                hits = found_in(stream, secret_values)
            if hits:
                leaks[str(path)] = sorted(secret_values[value] for value in hits)
        contexts = {built.context(c.class_name).name for c in built.chainlets}
        assert not contexts & set(DEPLOYMENT_INPUTS)
    assert scanned > 0
    assert leaks == {}


def test_containers_run_as_an_unprivileged_user(secret_chain: RunningChain) -> None:
    for chainlet in secret_chain.built.chainlets:
        name = chainlet.class_name
        assert secret_chain.inspect(name)["Config"]["User"] == f"{APP_UID}:{APP_UID}"
        result = secret_chain.exec(name, ["sh", "-c", ID_OF_USER_AND_SERVER])
        assert result.returncode == 0, result.stderr
        uid, gid, *status = result.stdout.splitlines()
        assert (uid, gid) == (APP_UID, APP_UID)
        # The server (PID 1): real, effective, saved and filesystem ids.
        assert [line.split()[1:] for line in status] == [[APP_UID] * 4, [APP_UID] * 4]
