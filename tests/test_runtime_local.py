"""run_local: chainlets built in process, each once, wired by depends, given their context."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import inspect
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import chains_runtime as chains
import pytest
from chains_runtime.injection import DependencyMarker

BUILT: Counter[str] = Counter()


class Shared(chains.ChainletBase):
    def __init__(self) -> None:
        BUILT["Shared"] += 1

    async def run_remote(self, text: str, suffix: str = "!") -> str:
        return text + suffix


class Left(chains.ChainletBase):
    def __init__(self, shared: Shared = chains.depends(Shared)) -> None:
        BUILT["Left"] += 1
        self.shared = shared

    async def run_remote(self, text: str) -> str:
        return await self.shared.run_remote("L" + text)


class Right(chains.ChainletBase):
    def __init__(self, shared: Shared = chains.depends(Shared, retries=3)) -> None:
        BUILT["Right"] += 1
        self.shared = shared

    async def run_remote(self, text: str) -> str:
        return await self.shared.run_remote("R" + text, suffix="?")


@chains.mark_entrypoint
class Diamond(chains.ChainletBase):
    def __init__(
        self, left: Left = chains.depends(Left), right: Right = chains.depends(Right)
    ) -> None:
        self.left = left
        self.right = right

    async def run_remote(self, text: str) -> list[str]:
        return list(await asyncio.gather(self.left.run_remote(text), self.right.run_remote(text)))


def test_each_chainlet_is_built_once_and_shared() -> None:
    BUILT.clear()
    with chains.run_local():
        chain = Diamond()
    assert chain.left.shared is chain.right.shared
    assert dict(BUILT) == {"Shared": 1, "Left": 1, "Right": 1}
    assert asyncio.run(chain.run_remote("x")) == ["Lx!", "Rx?"]


def test_instances_are_shared_within_one_block_only() -> None:
    with chains.run_local():
        first, second = Diamond(), Diamond()
    with chains.run_local():
        third = Diamond()
    assert first is not second
    assert first.left is second.left
    assert third.left is not first.left


def test_a_directly_made_chainlet_is_reused_as_a_dependency() -> None:
    with chains.run_local():
        shared = Shared()
        left = Left()
    assert left.shared is shared


def test_signatures_and_run_remote_defaults_are_kept() -> None:
    signature = str(inspect.signature(Shared.run_remote))
    assert signature == "(self, text: 'str', suffix: 'str' = '!') -> 'str'"
    init = inspect.signature(Left.__init__)
    assert repr(init.parameters["shared"].default) == "<depends(Shared)>"
    with chains.run_local():
        shared = Shared()
    assert asyncio.run(shared.run_remote("a")) == "a!"


def test_explicit_arguments_win_over_injection() -> None:
    class FakeShared(Shared):
        async def run_remote(self, text: str, suffix: str = "!") -> str:
            return "fake"

    with chains.run_local():
        fake = FakeShared()
        left = Left(shared=fake)
        right = Right()
    assert left.shared is fake
    assert type(right.shared) is Shared  # FakeShared is not Shared's instance slot
    assert asyncio.run(left.run_remote("x")) == "fake"


# Outside run_local ####################################################################


@pytest.mark.parametrize("chainlet_cls", [Diamond, Shared, Left])
def test_direct_instantiation_outside_run_local_is_refused(
    chainlet_cls: type[chains.ChainletBase],
) -> None:
    with pytest.raises(chains.ChainletInstantiationError) as caught:
        chainlet_cls()
    message = str(caught.value)
    assert f"chainlet `{chainlet_cls.__name__}` was instantiated directly" in message
    assert "run_local" in message and "deploy" in message


def test_refused_after_the_block_and_with_explicit_dependencies() -> None:
    with chains.run_local():
        shared = Shared()
    build = functools.partial(Left, shared=shared)  # chains-lint reports a direct `Left(...)`
    with pytest.raises(chains.ChainletInstantiationError, match="run_local"):
        build()


# chains-lint reports these mistakes (CH411) statically, so they live in a file of their own.
NAIVE_CHAIN = """
import chains_runtime as chains


class Shared(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text


class Outer(chains.ChainletBase):
    def __init__(self) -> None:
        self.inner = Shared()  # wrong: should be a depends(...) parameter

    async def run_remote(self) -> str:
        return "outer"


class Caller(chains.ChainletBase):
    async def run_remote(self) -> str:
        return await Shared().run_remote("x")  # wrong too
"""


def _import_file(path: Path, text: str) -> ModuleType:
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_chainlet_instantiating_another_is_refused(tmp_path: Path) -> None:
    naive = _import_file(tmp_path / "naive_chain.py", NAIVE_CHAIN)
    with chains.run_local(), pytest.raises(chains.ChainsUsageError) as caught:
        naive.Outer()
    assert "chainlet `Outer` instantiates chainlet `Shared`" in str(caught.value)
    assert "depends(Shared)" in str(caught.value)
    with chains.run_local():
        caller = naive.Caller()
    with chains.run_local(), pytest.raises(chains.ChainsUsageError, match="`Caller` instant"):
        asyncio.run(caller.run_remote())


# Cycles ###############################################################################


def _rebind_dependency(chainlet_cls: type[chains.ChainletBase], target: type) -> None:
    """Point the only ``depends`` default of ``chainlet_cls.__init__`` at ``target``."""
    init = chainlet_cls.__dict__["__init__"].__wrapped__
    (marker,) = init.__defaults__
    init.__defaults__ = (DependencyMarker(target, marker.options),)


# Defaults are evaluated when `def` runs, so a cycle needs a default rebound later.
class CycleA(chains.ChainletBase):
    def __init__(self, b: chains.ChainletBase = chains.depends(Shared)) -> None:
        self.b = b

    async def run_remote(self) -> str:
        return "a"


class CycleB(chains.ChainletBase):
    def __init__(self, a: CycleA = chains.depends(CycleA)) -> None:
        self.a = a

    async def run_remote(self) -> str:
        return "b"


_rebind_dependency(CycleA, CycleB)


def test_cycles_are_reported_with_the_path() -> None:
    with chains.run_local(), pytest.raises(chains.DependencyCycleError) as caught:
        CycleA()
    message = str(caught.value)
    assert "cycle: CycleA -> CycleB (parameter `CycleA.b`) -> CycleA (parameter `CycleB.a`)" in (
        message
    )
    assert "directed acyclic graph" in message


def test_a_self_dependency_is_a_cycle() -> None:
    class Selfish(chains.ChainletBase):
        def __init__(self, me: chains.ChainletBase = chains.depends(Shared)) -> None:
            self.me = me

        async def run_remote(self) -> str:
            return "me"

    _rebind_dependency(Selfish, Selfish)
    with chains.run_local(), pytest.raises(chains.DependencyCycleError, match="Selfish -> Selfish"):
        Selfish()


# Context and secrets ##################################################################


class Tokenized(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(secret_keys=["hf_access_token", "optional_key"])
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self.context = context

    async def run_remote(self) -> str:
        return self.context.secrets["hf_access_token"]


class NeedsTokenized(chains.ChainletBase):
    remote_config = chains.RemoteConfig(assets=chains.Assets(secret_keys=["db_password"]))

    def __init__(
        self,
        tokenized: Tokenized = chains.depends(Tokenized),
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        self.tokenized = tokenized
        self.ctx = context

    async def run_remote(self) -> str:
        return await self.tokenized.run_remote()


SECRETS = {"hf_access_token": "hf-123", "db_password": "pw", "unrelated": "x"}


def test_each_chainlet_sees_its_declared_secrets() -> None:
    with chains.run_local(secrets=SECRETS):
        chain = NeedsTokenized()
    assert chain.ctx.secrets["db_password"] == "pw"
    assert chain.tokenized.context.secrets["hf_access_token"] == "hf-123"
    assert dict(chain.tokenized.context.secrets) == {"hf_access_token": "hf-123"}
    assert "hf-123" not in repr(chain.tokenized.context.secrets)


def test_reading_an_undeclared_secret_names_the_chainlet_and_key() -> None:
    with chains.run_local(secrets=SECRETS):
        chain = NeedsTokenized()
    secrets = chain.ctx.secrets
    for read in (
        lambda: secrets["hf_access_token"],
        lambda: secrets.get("hf_access_token"),
        lambda: "hf_access_token" in secrets,
    ):
        with pytest.raises(chains.UndeclaredSecretError) as caught:
            read()
        message = str(caught.value)
        assert "chainlet `NeedsTokenized` reads the secret `hf_access_token`" in message
        assert "declared: `db_password`" in message and "secret_keys" in message
        assert isinstance(caught.value, KeyError)


def test_a_declared_secret_without_value_fails_when_read() -> None:
    with chains.run_local(secrets={"hf_access_token": "hf-123"}):
        chain = Tokenized()  # building does not need the value
    secrets = chain.context.secrets
    with pytest.raises(chains.MissingSecretError) as caught:
        secrets["optional_key"]
    assert str(caught.value) == (
        "chainlet `Tokenized` declares the secret `optional_key`, but no value was provided; "
        "pass it, e.g. `run_local(secrets={'optional_key': ...})`"
    )
    assert secrets.get("optional_key") is None
    assert secrets.get("optional_key", "fallback") == "fallback"
    assert "optional_key" not in secrets
    assert "hf_access_token" in secrets and len(secrets) == 1


def test_a_chainlet_without_declared_secrets_reads_none() -> None:
    class NoSecrets(chains.ChainletBase):
        def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
            self.context = context

        async def run_remote(self) -> str:
            return "none"

    with chains.run_local(secrets=SECRETS):
        chain = NoSecrets()
    with pytest.raises(chains.UndeclaredSecretError, match=r"\(declared: none\)"):
        chain.context.secrets["db_password"]


def test_context_carries_data_dir_environment_and_services(tmp_path: Path) -> None:
    service = chains.DeployedServiceDescriptor(
        name="Tokenized", display_name="Tokenized", predict_url="http://tokenized:8080/predict"
    )
    with chains.run_local(
        data_dir=str(tmp_path), environment="staging", chainlet_to_service={"Tokenized": service}
    ):
        chain = Tokenized()
    context = chain.context
    assert context.data_dir == tmp_path
    assert context.environment == chains.Environment(name="staging")
    assert context.get_service_descriptor("Tokenized") is service
    with pytest.raises(chains.MissingServiceError, match=r"`Other`.*known: `Tokenized`"):
        context.get_service_descriptor("Other")
    with chains.run_local():
        bare = Tokenized()
    assert bare.context.data_dir is None and bare.context.environment is None


def test_run_local_checks_secret_values() -> None:
    with (
        pytest.raises(chains.ChainsUsageError, match="mapping of str to str"),
        chains.run_local(secrets={"k": 1}),  # type: ignore[dict-item]
    ):
        pass


# Inheritance, nesting, errors #########################################################


class BaseWithDeps(chains.ChainletBase):
    def __init__(
        self,
        shared: Shared = chains.depends(Shared),
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        self.shared = shared
        self.context = context

    async def run_remote(self, text: str) -> str:
        return await self.shared.run_remote(text)


class InheritsInit(BaseWithDeps):
    remote_config = chains.RemoteConfig(assets=chains.Assets(secret_keys=["db_password"]))


class CallsSuper(BaseWithDeps):
    def __init__(self, left: Left = chains.depends(Left)) -> None:
        super().__init__()
        self.left = left

    async def run_remote(self, text: str) -> str:
        return await self.left.run_remote(text)


def test_subclasses_get_injection_through_inherited_and_super_inits() -> None:
    with chains.run_local(secrets=SECRETS):
        inherits = InheritsInit()
        calls_super = CallsSuper()
    assert isinstance(inherits.shared, Shared)
    assert inherits.context.secrets["db_password"] == "pw"  # the subclass's own config
    assert calls_super.shared is inherits.shared is calls_super.left.shared
    assert isinstance(calls_super.context, chains.DeploymentContext)


def test_nested_blocks_use_the_innermost() -> None:
    with chains.run_local(secrets={"hf_access_token": "outer"}):
        with chains.run_local(secrets={"hf_access_token": "inner"}):
            inner = Tokenized()
        outer = Tokenized()
    assert inner.context.secrets["hf_access_token"] == "inner"
    assert outer.context.secrets["hf_access_token"] == "outer"


class Broken(chains.ChainletBase):
    def __init__(self) -> None:
        raise RuntimeError("model weights not found")

    async def run_remote(self) -> str:
        return "never"


class UsesBroken(chains.ChainletBase):
    def __init__(self, broken: Broken = chains.depends(Broken)) -> None:
        self.broken = broken

    async def run_remote(self) -> str:
        return await self.broken.run_remote()


def test_an_error_building_a_dependency_says_where() -> None:
    with chains.run_local(), pytest.raises(RuntimeError, match="weights") as caught:
        UsesBroken()
    if sys.version_info >= (3, 11):  # exception notes
        note = "(while run_local built `Broken` for parameter `broken` of `UsesBroken`)"
        assert caught.value.__notes__ == [note]
    with chains.run_local(), pytest.raises(RuntimeError):  # nothing left from the last block
        UsesBroken()


def test_abstract_chainlets_cannot_be_built() -> None:
    import abc

    class Abstract(chains.ChainletBase):
        @abc.abstractmethod
        async def run_remote(self) -> str: ...

    with chains.run_local(), pytest.raises(TypeError, match="abstract"):
        Abstract()  # type: ignore[abstract]
