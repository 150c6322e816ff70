"""The names of ``truss_chains`` that only Baseten can run, each failing with one clear error.

They exist so that a chain file using them imports, and fails where it uses them (subclassing
``EngineBuilderLLMChainlet``, calling ``push(...)``, reading ``truss_chains.deployment.X``)
with a ``BasetenOnlyError`` that says what to use self-hosted. ``chains-lint`` reports the
same headline (rule CH002, ``chains_lint/rules/baseten_only.py``, which keeps its own copy of
``BASETEN_ONLY`` so that the linter never imports the runtime; a test keeps them equal).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any, NoReturn

from chains_runtime.errors import ChainsUsageError


@dataclass(frozen=True)
class BasetenOnlyName:
    """Why a ``truss_chains`` name needs Baseten, and what to use self-hosted."""

    headline: str
    """One line, also the linter's message."""
    example: tuple[str, ...]
    """A short example of the self-hosted alternative (code or shell lines)."""


_LLM_SERVER_EXAMPLE = (
    'self._llm = chains.StubBase.from_url("http://vllm:8000/v1/chat/completions", context)',
    'answer = await self._llm.predict_async({"model": "my-model", "messages": messages})',
)
_DEPLOY_EXAMPLE = (
    "chains-build chain.py --output build",
    "cd build && docker compose up --build   # or, on Kubernetes: kubectl apply -f k8s/",
)

BASETEN_ONLY: dict[str, BasetenOnlyName] = {
    "EngineBuilderLLMChainlet": BasetenOnlyName(
        "`truss_chains.EngineBuilderLLMChainlet` is Baseten-only: Baseten builds and serves its "
        "TensorRT-LLM engine. Self-hosted, serve the model with an OpenAI-compatible server "
        "such as vLLM and call it through a `chains.StubBase`.",
        _LLM_SERVER_EXAMPLE,
    ),
    "EngineBuilderLLMInput": BasetenOnlyName(
        "`truss_chains.EngineBuilderLLMInput` is Baseten-only: it is the request of an "
        "`EngineBuilderLLMChainlet`, whose TensorRT-LLM engine Baseten builds and serves. "
        "Self-hosted, serve the model with an OpenAI-compatible server such as vLLM and send it "
        "an OpenAI chat-completions request (a `dict`) through a `chains.StubBase`.",
        _LLM_SERVER_EXAMPLE,
    ),
    "TrussChainlet": BasetenOnlyName(
        "`truss_chains.TrussChainlet` is Baseten-only: Baseten builds and serves the Truss "
        "directory it names. Self-hosted, run the Truss as its own container (`truss image "
        "build`) and call it through a `chains.StubBase`, or port its model to a "
        "`chains.ChainletBase`.",
        (
            'self._model = chains.StubBase.from_url("http://my-truss:8080/v1/models/model:predict",'
            " context)",
            'result = await self._model.predict_async({"text": text})',
        ),
    ),
    "push": BasetenOnlyName(
        "`truss_chains.push` is Baseten-only: it deploys the chain to Baseten. Self-hosted, "
        "build the chain with `chains-build` and run it with `docker compose up` or `kubectl "
        "apply` (or locally with `chains-run`).",
        _DEPLOY_EXAMPLE,
    ),
    "deployment": BasetenOnlyName(
        "`truss_chains.deployment` is Baseten-only: it builds and deploys chains on Baseten. "
        "Self-hosted, build the chain with `chains-build` and run it with `docker compose up` "
        "or `kubectl apply` (or locally with `chains-run`).",
        _DEPLOY_EXAMPLE,
    ),
    "remote_chainlet": BasetenOnlyName(
        "`truss_chains.remote_chainlet` is Baseten-only: it is the code of Baseten's chainlet "
        "servers (`TrussHandle`, the generated model). Self-hosted, chains_runtime's server "
        "runs every chainlet, and a service that is not a chainlet is called through a "
        "`chains.StubBase` (also importable as `truss_chains.remote_chainlet.stub.StubBase`).",
        (
            'self._service = chains.StubBase.from_url("http://my-service:8080/predict", context)',
            'result = await self._service.predict_async({"text": text})',
        ),
    ),
}
"""By the name ``truss_chains`` exports (``deployment`` and ``remote_chainlet`` are modules)."""

BASETEN_ONLY_MODULES: frozenset[str] = frozenset({"deployment", "remote_chainlet"})
"""The Baseten-only submodules of ``truss_chains``."""

STUB_MODULE = "remote_chainlet.stub"
"""The one part of ``truss_chains.remote_chainlet`` here (truss defines ``StubBase`` there)."""


class BasetenOnlyError(ChainsUsageError):
    """A chain used a ``truss_chains`` name that only Baseten can run (see ``BASETEN_ONLY``)."""

    def __init__(self, name: str) -> None:
        entry = BASETEN_ONLY[name]
        example = "\n".join("    " + line for line in entry.example)
        super().__init__(f"{entry.headline}\nFor example:\n{example}")
        self.name = name
        self.headline = entry.headline

    def __str__(self) -> str:
        return str(self.args[0])


def _refuse(name: str) -> NoReturn:
    raise BasetenOnlyError(name) from None


class EngineBuilderLLMChainlet:
    """Baseten-only: subclassing it raises ``BasetenOnlyError`` (see ``BASETEN_ONLY``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        _refuse("EngineBuilderLLMChainlet")

    def __new__(cls, *args: Any, **kwargs: Any) -> EngineBuilderLLMChainlet:
        _refuse("EngineBuilderLLMChainlet")


class TrussChainlet:
    """Baseten-only: subclassing it raises ``BasetenOnlyError`` (see ``BASETEN_ONLY``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        _refuse("TrussChainlet")

    def __new__(cls, *args: Any, **kwargs: Any) -> TrussChainlet:
        _refuse("TrussChainlet")


class EngineBuilderLLMInput:
    """Baseten-only: making one, subclassing it, or using it as a pydantic type (a
    ``run_remote`` argument) raises ``BasetenOnlyError`` (see ``BASETEN_ONLY``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        _refuse("EngineBuilderLLMInput")

    def __new__(cls, *args: Any, **kwargs: Any) -> EngineBuilderLLMInput:
        _refuse("EngineBuilderLLMInput")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> NoReturn:
        _refuse("EngineBuilderLLMInput")


def push(*args: Any, **kwargs: Any) -> NoReturn:
    """Baseten-only: calling it raises ``BasetenOnlyError`` (see ``BASETEN_ONLY``)."""
    _refuse("push")


class BasetenOnlyModule(ModuleType):
    """A Baseten-only submodule of ``truss_chains``: reading any of its names raises
    ``BasetenOnlyError``. Dunder names are plain ``AttributeError``s, as the import system,
    ``hasattr`` and introspection tools expect."""

    def __init__(self, name: str) -> None:
        short = name.rpartition(".")[2]
        super().__init__(name, f"Baseten-only: {BASETEN_ONLY[short].headline}")
        self.__dict__["_baseten_only_name"] = short

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") and attribute.endswith("__"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {attribute!r}")
        short = self.__dict__["_baseten_only_name"]
        if f"{short}.{attribute}" == STUB_MODULE:
            return importlib.import_module("chains_runtime.stub_base")
        _refuse(short)

    def __dir__(self) -> list[str]:
        return sorted(self.__dict__)


deployment = BasetenOnlyModule("chains_runtime.deployment")
remote_chainlet = BasetenOnlyModule("chains_runtime.remote_chainlet")

# ``import chains_runtime.deployment`` finds them as ``import truss_chains.deployment`` does.
for _module in (deployment, remote_chainlet):
    sys.modules.setdefault(_module.__name__, _module)
