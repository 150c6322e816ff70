"""docker-compose.yaml: what it says, that both Compose versions read it, that it wires a real
runtime, and that its healthcheck tells a ready chainlet from one that is not."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from chains_runtime.wiring import parse_wiring

from chains_build.compose import SECRETS_DIR, docker_cpus, docker_memory, render_compose
from chains_build.errors import BuildError
from chains_build.plan import ChainPlan, Resources
from chains_build.runtime_contract import STARTUP_GRACE_SECONDS
from tests.deploy_helpers import (
    EXAMPLE_CHAINS,
    build_example,
    chain,
    chainlet,
    compose_v1,
    compose_v2,
    free_port,
    hello_chain,
    run,
    serve,
    tool_environment,
    write_chain_file,
)
from tests.test_build_yaml_text import TRICKY

TOKEN_REFERENCE = (
    "${CHAINS_SERVICE_TOKEN:?set CHAINS_SERVICE_TOKEN in the environment or in .env "
    "next to docker-compose.yaml}"
)


def compose_of(plan: ChainPlan) -> dict[str, Any]:
    loaded = yaml.safe_load(render_compose(plan))
    assert isinstance(loaded, dict)
    return loaded


def wiring_of(service: dict[str, Any]) -> str:
    """The CHAINS_CONFIG value the container gets (Compose turns ``$$`` into ``$``)."""
    text = service["environment"]["CHAINS_CONFIG"]
    assert isinstance(text, str)
    return text.replace("$$", "$")


def test_a_service_per_chainlet_on_one_network() -> None:
    document = compose_of(hello_chain())
    assert list(document) == ["services", "networks", "secrets"]
    assert list(document["services"]) == ["hello-all", "say-hello"]
    assert document["networks"] == {"chain": {}}
    for slug, name in (("hello-all", "HelloAll"), ("say-hello", "SayHello")):
        service = document["services"][slug]
        assert service["image"] == f"chains/{slug}:0123456789ab"
        assert service["build"] == f"./{name}"
        assert service["networks"] == ["chain"]
        assert service["restart"] == "unless-stopped"


def test_the_wiring_is_what_the_runtime_reads() -> None:
    plan = hello_chain()
    services = compose_of(plan)["services"]
    entry = parse_wiring(wiring_of(services["hello-all"]), environ={"CHAINS_SERVICE_TOKEN": "t"})
    assert entry.chainlet == "HelloAll"
    assert entry.is_entrypoint
    assert entry.dependencies == {"SayHello": "http://say-hello:8080"}
    assert entry.secrets_dir == Path(SECRETS_DIR)
    assert entry.predict_concurrency == 1
    leaf = parse_wiring(wiring_of(services["say-hello"]), environ={"CHAINS_SERVICE_TOKEN": "t"})
    assert (leaf.chainlet, leaf.is_entrypoint, leaf.dependencies) == ("SayHello", False, {})
    # The token is not in the file: without it in the environment, the runtime refuses.
    assert "service_token" not in json.loads(wiring_of(services["say-hello"]))


def test_dependency_urls_name_a_service_and_its_port() -> None:
    plan = chain(
        chainlet("Entry", entrypoint=True, dependencies=("Left", "Right")),
        chainlet("Left", dependencies=("Right",), display_name="Left Side"),
        chainlet("Right"),
    )
    services = compose_of(plan)["services"]
    for service in services.values():
        for url in json.loads(wiring_of(service))["dependencies"].values():
            parts = urlsplit(url)
            assert parts.hostname in services
            assert parts.port == plan.chainlet("Right").port
    assert services["entry"]["depends_on"] == {
        "left-side": {"condition": "service_healthy"},
        "right": {"condition": "service_healthy"},
    }
    assert services["left-side"]["depends_on"] == {"right": {"condition": "service_healthy"}}
    assert "depends_on" not in services["right"]


def test_only_the_entrypoint_is_published_on_the_host_port() -> None:
    services = compose_of(chain(*hello_chain().chainlets, host_port=9123))["services"]
    # On loopback only, unless --publish names another address (tests/test_build_deploy.py).
    assert services["hello-all"]["ports"] == ["127.0.0.1:9123:8080"]
    assert "ports" not in services["say-hello"]


def test_token_and_api_key_come_from_the_environment() -> None:
    services = compose_of(hello_chain())["services"]
    assert services["hello-all"]["environment"]["CHAINS_SERVICE_TOKEN"] == TOKEN_REFERENCE
    assert services["say-hello"]["environment"]["CHAINS_SERVICE_TOKEN"] == TOKEN_REFERENCE
    assert services["hello-all"]["environment"]["CHAINS_API_KEY"] == "${CHAINS_API_KEY:-}"
    assert "CHAINS_API_KEY" not in services["say-hello"]["environment"]
    # A lone entrypoint calls nobody and checks no token: nothing to set.
    alone = compose_of(chain(chainlet("Echo", entrypoint=True)))["services"]["echo"]
    assert "CHAINS_SERVICE_TOKEN" not in alone["environment"]


def test_secrets_are_files_per_chainlet_and_may_come_from_the_environment() -> None:
    plan = chain(
        chainlet("Entry", entrypoint=True, dependencies=("Model",), secret_keys=("api_token",)),
        chainlet("Model", secret_keys=("api_token", "hf_access_token")),
    )
    document = compose_of(plan)
    assert document["secrets"] == {
        "api_token": {"file": "./secrets/api_token"},
        "hf_access_token": {"file": "./secrets/hf_access_token"},
    }
    services = document["services"]
    assert services["entry"]["secrets"] == ["api_token"]
    assert services["model"]["secrets"] == ["api_token", "hf_access_token"]
    environment = services["model"]["environment"]
    assert environment["CHAINS_SECRET_hf_access_token"] is None  # passed on only when set
    assert "CHAINS_SECRET_hf_access_token" not in services["entry"]["environment"]
    assert "secrets" not in compose_of(chain(chainlet("Echo", entrypoint=True)))


def test_resources_become_limits_and_a_gpu_reservation() -> None:
    services = compose_of(hello_chain())["services"]
    assert services["hello-all"]["deploy"] == {
        "resources": {"limits": {"cpus": "1", "memory": "2g"}}
    }
    assert services["say-hello"]["deploy"]["resources"] == {
        "limits": {"cpus": "4", "memory": "16g"},
        "reservations": {"devices": [{"driver": "nvidia", "count": 2, "capabilities": ["gpu"]}]},
    }


@pytest.mark.parametrize(
    ("quantity", "cpus"), [("1", "1"), ("16", "16"), ("500m", "0.5"), ("1250m", "1.25")]
)
def test_docker_cpus(quantity: str, cpus: str) -> None:
    assert docker_cpus(quantity) == cpus


@pytest.mark.parametrize(
    ("quantity", "memory"),
    [("2Gi", "2g"), ("512Mi", "512m"), ("1.5Gi", "1536m"), ("1G", "976563k"), ("3000", "3k")],
)
def test_docker_memory_keeps_the_kubernetes_meaning(quantity: str, memory: str) -> None:
    assert docker_memory(quantity) == memory


def test_dollars_are_kept_from_interpolation() -> None:
    plan = chain(chainlet("Echo", entrypoint=True, env=(("GREETING", "costs $5 or ${PRICE}"),)))
    environment = compose_of(plan)["services"]["echo"]["environment"]
    assert environment["GREETING"] == "costs $$5 or $${PRICE}"


def test_output_is_deterministic() -> None:
    assert render_compose(hello_chain()) == render_compose(hello_chain())


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        (
            {"env": (("CHAINS_CONFIG", "{}"),)},
            "sets the environment variable `CHAINS_CONFIG` in `env_variables`",
        ),
        ({"env": (("CHAINS_SECRET_x", "v"),)}, "`CHAINS_SECRET_x`"),
        ({"secret_keys": ("../etc/passwd",)}, 'secret key "../etc/passwd", which cannot be'),
    ],
)
def test_bad_chainlet_settings_are_build_errors(changed: dict[str, Any], message: str) -> None:
    plan = chain(chainlet("Echo", entrypoint=True, **changed))
    with pytest.raises(BuildError) as caught:
        render_compose(plan)
    assert message in caught.value.message


def gpu_plan() -> ChainPlan:
    return chain(
        chainlet("HelloAll", entrypoint=True, dependencies=("SayHello",), env=(("A", "$x"),)),
        chainlet(
            "SayHello",
            secret_keys=("hf_access_token",),
            resources=Resources("2", "1G", "H100", 2, "compute"),
        ),
    )


def write_compose_project(plan: ChainPlan, folder: Path) -> Path:
    """The compose file with what it refers to: context folders and secret files."""
    for item in plan.chainlets:
        (folder / item.display_name).mkdir(parents=True)
        (folder / item.display_name / "Dockerfile").write_text("FROM scratch\n")
        for key in item.secret_keys:
            (folder / "secrets").mkdir(exist_ok=True)
            (folder / "secrets" / key).write_text("not a real secret\n")
    path = folder / "docker-compose.yaml"
    path.write_text(render_compose(plan), encoding="utf-8")
    return path


@pytest.mark.parametrize("version", ["v2", "1.29"])
def test_both_compose_versions_accept_the_file(version: str, tmp_path: Path) -> None:
    command = compose_v2() if version == "v2" else compose_v1()
    write_compose_project(gpu_plan(), tmp_path)
    result = run([*command, "config"], cwd=tmp_path, env=tool_environment(CHAINS_SERVICE_TOKEN="t"))
    assert result.returncode == 0, result.stderr
    # An unescaped "$x" would be reported as an unset variable; 1.29 names ignored deploy keys.
    assert "not set" not in result.stderr
    assert "ignored" not in result.stderr
    assert "hf_access_token" in result.stdout


@pytest.mark.parametrize("version", ["v2", "1.29"])
def test_compose_stops_without_the_service_token(version: str, tmp_path: Path) -> None:
    command = compose_v2() if version == "v2" else compose_v1()
    write_compose_project(gpu_plan(), tmp_path)
    result = run([*command, "config"], cwd=tmp_path, env=tool_environment())
    assert result.returncode != 0
    assert "set CHAINS_SERVICE_TOKEN in the environment or in .env" in result.stderr


def test_compose_v2_resolves_resources_and_wiring(tmp_path: Path) -> None:
    write_compose_project(gpu_plan(), tmp_path)
    result = run(
        [*compose_v2(), "config", "--format", "json"],
        cwd=tmp_path,
        env=tool_environment(CHAINS_SERVICE_TOKEN="t0ken"),
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    resources = services["say-hello"]["deploy"]["resources"]
    assert resources["limits"]["cpus"] == 2
    assert int(resources["limits"]["memory"]) == 976563 * 1024  # 1G rounded up to whole KiB
    assert resources["reservations"]["devices"][0]["count"] == 2
    environment = services["hello-all"]["environment"]
    assert environment["CHAINS_SERVICE_TOKEN"] == "t0ken"
    assert environment["CHAINS_API_KEY"] == ""
    assert services["hello-all"]["depends_on"]["say-hello"]["condition"] == "service_healthy"
    assert services["say-hello"]["secrets"] == [
        {"source": "hf_access_token", "target": "/run/secrets/hf_access_token"}
    ]


# --- the wiring and the healthcheck against a real chainlet server ----------------------------


@contextlib.contextmanager
def healthcheck(command: list[str]) -> Iterator[subprocess.Popen[str]]:
    """The healthcheck's command running as Docker runs it (CMD form), killed on the way out."""
    assert command[:2] == ["CMD", "python3"]
    process = subprocess.Popen(command[1:], stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def container_environment(plan: ChainPlan, slug: str, token: str) -> dict[str, str]:
    """The environment Compose gives the container of ``slug`` (token substituted)."""
    service = compose_of(plan)["services"][slug]
    environment = {"CHAINS_CONFIG": wiring_of(service)}
    if "CHAINS_SERVICE_TOKEN" in service["environment"]:
        environment["CHAINS_SERVICE_TOKEN"] = token
    return environment


def test_the_healthcheck_waits_for_a_loading_chainlet_then_passes(tmp_path: Path) -> None:
    chain_file = write_chain_file(tmp_path)
    port = free_port()
    plan = chain(
        chainlet("Entry", entrypoint=True, dependencies=("Greeter",)),
        chainlet("Greeter", port=port),
    )
    service = compose_of(plan)["services"]["greeter"]
    environment = container_environment(plan, "greeter", token="s3cret")
    with healthcheck(service["healthcheck"]["test"]) as check:
        # Nothing listens yet: the check keeps waiting instead of failing.
        with pytest.raises(subprocess.TimeoutExpired):
            check.wait(timeout=3)
        with serve(chain_file, "Greeter", port, environment) as process:
            assert check.wait(timeout=30) == 0
            assert process.poll() is None
            # The wiring made it an internal chainlet: the token from the environment counts.
            url = f"http://127.0.0.1:{port}/run_remote"
            assert httpx.post(url, json={"name": "x"}).status_code == 401
            token = {"x-chains-service-token": "s3cret"}
            assert httpx.post(url, json={"name": "Ada"}, headers=token).json() == "Hello, Ada"


def test_the_healthcheck_fails_at_once_when_init_failed(tmp_path: Path) -> None:
    chain_file = write_chain_file(tmp_path)
    port = free_port()
    plan = chain(chainlet("Broken", entrypoint=True, port=port))
    service = compose_of(plan)["services"]["broken"]
    environment = container_environment(plan, "broken", token="unused")
    with (
        serve(chain_file, "Broken", port, environment),
        healthcheck(service["healthcheck"]["test"]) as check,
    ):
        assert check.wait(timeout=30) == 1
        assert check.stderr is not None
        assert check.stderr.read().strip() == "__init__ failed: see the logs"


def test_the_healthcheck_outlasts_the_startup_grace() -> None:
    check = compose_of(hello_chain())["services"]["say-hello"]["healthcheck"]
    assert check["timeout"] == f"{STARTUP_GRACE_SECONDS + 30}s"
    assert f"deadline = time.monotonic() + {STARTUP_GRACE_SECONDS}" in check["test"][3]
    assert "start_period" not in check  # it would hide a failed __init__ for that long


@pytest.mark.parametrize("version", ["v2", "1.29"])
def test_values_yaml_could_misread_reach_compose_unchanged(version: str, tmp_path: Path) -> None:
    values = [text for text in TRICKY if "\x00" not in text]
    env = tuple((f"VALUE_{number:02d}", text) for number, text in enumerate(values))
    write_compose_project(chain(chainlet("Echo", entrypoint=True, env=env)), tmp_path)
    if version == "v2":
        command = [*compose_v2(), "config", "--format", "json"]
        result = run(command, cwd=tmp_path, env=tool_environment())
        assert result.returncode == 0, result.stderr
        environment = json.loads(result.stdout)["services"]["echo"]["environment"]
    else:
        result = run([*compose_v1(), "config"], cwd=tmp_path, env=tool_environment())
        assert result.returncode == 0, result.stderr
        environment = yaml.safe_load(result.stdout)["services"]["echo"]["environment"]
    # Both print the file back with "$" escaped as "$$" again.
    found = {name: value.replace("$$", "$") for name, value in environment.items()}
    assert found == {
        **dict(env),
        "CHAINS_API_KEY": "",
        "CHAINS_ALLOWED_HOSTS": "localhost,127.0.0.1,::1,echo",
        "CHAINS_CONFIG": found["CHAINS_CONFIG"],
    }


@pytest.mark.parametrize("example", EXAMPLE_CHAINS)
def test_the_examples_compose_files_pass_both_compose_versions(
    example: str, tmp_path: Path
) -> None:
    out = build_example(example, tmp_path / "out")
    document = yaml.safe_load((out / "docker-compose.yaml").read_text(encoding="utf-8"))
    for key, secret in document.get("secrets", {}).items():
        (out / secret["file"]).parent.mkdir(exist_ok=True)
        (out / secret["file"]).write_text(f"{key} value\n")
    for service in document["services"].values():
        assert (out / service["build"] / "Dockerfile").is_file()
    for command in (compose_v2(), compose_v1()):
        environment = tool_environment(CHAINS_SERVICE_TOKEN="t")
        result = run([*command, "config", "--quiet"], cwd=out, env=environment)
        assert result.returncode == 0, f"{command}: {result.stderr}"


def _code_strings(path: Path) -> Iterator[tuple[int, str]]:
    """(line, token) of each string literal in ``path`` that is not a docstring (f-strings
    included: up to Python 3.11 they are one token)."""
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline))
    skip = {tokenize.NL, tokenize.COMMENT}
    for index, token in enumerate(tokens):
        if token.type != tokenize.STRING:
            continue
        before = next((t for t in reversed(tokens[:index]) if t.type not in skip), None)
        after = next(t for t in tokens[index + 1 :] if t.type not in skip)
        statement_start = before is None or before.type in (
            tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT
        )
        if statement_start and after.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            continue  # a docstring: prose may name the variables
        yield token.start[0], token.string


def test_the_contract_names_are_written_once() -> None:
    """The runtime reads and the build writes the names of ``chains_runtime.contract``; no
    other module of ours spells one of them in its code, messages included."""
    from chains_runtime import contract

    values = {
        value
        for name, value in vars(contract).items()
        if name.isupper() and isinstance(value, str)
    }
    assert {"CHAINS_CONFIG", "CHAINS_SECRET_", "/readyz"} <= values
    project = Path(__file__).resolve().parents[1]
    exempt = {
        project / "runtime" / "chains_runtime" / "contract.py",
        # A FastAPI+httpx chain written without this toolkit, the benchmarks' yardstick.
        project / "benchmarks" / "data" / "bare_chain.py",
    }
    sources = [
        path
        for folder in ("chains_build", "runtime", "benchmarks")
        for path in sorted((project / folder).rglob("*.py"))
        if path not in exempt
    ]
    spelled = [
        f"{path.relative_to(project)}:{line}: {value}"
        for path in sources
        for line, text in _code_strings(path)
        for value in values
        if value in text
    ]
    assert spelled == []
