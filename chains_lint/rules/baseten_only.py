"""CH002: a use of a ``truss_chains`` name that only Baseten can run.

The messages are the headlines of the runtime's ``BasetenOnlyError``
(``chains_runtime/baseten_only.py``), kept here as a copy so that the linter never imports the
runtime; ``tests/test_baseten_only.py`` checks that the two agree.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.module import ModuleInfo
from chains_lint.model.sdk import SDK_MODULES
from chains_lint.model.values import dotted_name
from chains_lint.model.walk import children, walk
from chains_lint.rules.base import Rule, RuleContext

_LLM_ALTERNATIVE = (
    "Self-hosted, serve the model with an OpenAI-compatible server such as vLLM and call it "
    "through a `chains.StubBase`."
)
_DEPLOY_ALTERNATIVE = (
    "Self-hosted, build the chain with `chains-build` and run it with `docker compose up` or "
    "`kubectl apply` (or locally with `chains-run`)."
)

BASETEN_ONLY_MESSAGES: dict[str, str] = {
    "EngineBuilderLLMChainlet": (
        "`truss_chains.EngineBuilderLLMChainlet` is Baseten-only: Baseten builds and serves its "
        "TensorRT-LLM engine. " + _LLM_ALTERNATIVE
    ),
    "EngineBuilderLLMInput": (
        "`truss_chains.EngineBuilderLLMInput` is Baseten-only: it is the request of an "
        "`EngineBuilderLLMChainlet`, whose TensorRT-LLM engine Baseten builds and serves. "
        "Self-hosted, serve the model with an OpenAI-compatible server such as vLLM and send it "
        "an OpenAI chat-completions request (a `dict`) through a `chains.StubBase`."
    ),
    "TrussChainlet": (
        "`truss_chains.TrussChainlet` is Baseten-only: Baseten builds and serves the Truss "
        "directory it names. Self-hosted, run the Truss as its own container (`truss image "
        "build`) and call it through a `chains.StubBase`, or port its model to a "
        "`chains.ChainletBase`."
    ),
    "push": (
        "`truss_chains.push` is Baseten-only: it deploys the chain to Baseten. "
        + _DEPLOY_ALTERNATIVE
    ),
    "deployment": (
        "`truss_chains.deployment` is Baseten-only: it builds and deploys chains on Baseten. "
        + _DEPLOY_ALTERNATIVE
    ),
    "remote_chainlet": (
        "`truss_chains.remote_chainlet` is Baseten-only: it is the code of Baseten's chainlet "
        "servers (`TrussHandle`, the generated model). Self-hosted, chains_runtime's server "
        "runs every chainlet, and a service that is not a chainlet is called through a "
        "`chains.StubBase` (also importable as `truss_chains.remote_chainlet.stub.StubBase`)."
    ),
}
"""By name; ``deployment`` and ``remote_chainlet`` are modules, the others top-level names."""

_MODULES = frozenset({"deployment", "remote_chainlet"})
_SERVED_BELOW_MODULES = frozenset({"remote_chainlet.stub"})
# truss_chains submodules that re-export the top-level names (chains_runtime aliases them).
_PUBLIC_SUBMODULES = frozenset({"public_api", "public_types", "framework"})


def baseten_only_name(qualified: str | None) -> str | None:
    """The Baseten-only name (a key of ``BASETEN_ONLY_MESSAGES``) that ``qualified`` refers
    to, or None: ``truss_chains.push``, ``truss_chains.public_api.push``,
    ``truss_chains.deployment.deployment_client`` all count, ``truss_chains.remote_chainlet.stub``
    (where ``StubBase`` lives, served here) does not."""
    if qualified is None:
        return None
    head, _, rest = qualified.partition(".")
    if head not in SDK_MODULES or not rest:
        return None
    parts = rest.split(".")
    if parts[0] in _MODULES:
        below = ".".join(parts[:2])
        return None if below in _SERVED_BELOW_MODULES else parts[0]
    if len(parts) == 2 and parts[0] in _PUBLIC_SUBMODULES:
        parts = parts[1:]
    if len(parts) == 1 and parts[0] in BASETEN_ONLY_MESSAGES:
        return parts[0]
    return None


class BasetenOnlyApiRule(Rule):
    code = "CH002"
    name = "baseten-only-api"
    summary = (
        "Reports a use of a `truss_chains` name that only Baseten can run: "
        "`EngineBuilderLLMChainlet`, `EngineBuilderLLMInput`, `TrussChainlet`, `push`, and "
        "the modules `truss_chains.deployment` and `truss_chains.remote_chainlet`."
    )
    why = (
        "These names exist in chains_runtime so that a chain file imports, but what they do "
        "needs Baseten: an LLM engine Baseten builds, a Truss directory Baseten serves, a "
        "deployment to Baseten. Where the chain uses one (subclassing, calling, instantiating, "
        "reading a name of the module), it fails with a `BasetenOnlyError` carrying this "
        "message, so `chains-build` and `chains-run` cannot run it."
    )
    fix = """
Use the self-hosted alternative the message names. For an LLM engine, serve the model with an
OpenAI-compatible server such as vLLM and call it through a `chains.StubBase`:

```python
self._llm = chains.StubBase.from_url("http://vllm:8000/v1/chat/completions", context)
answer = await self._llm.predict_async({"model": "my-model", "messages": messages})
```

For `push`, build the chain with `chains-build chain.py --output build` and run it with
`docker compose up --build` in `build/`, or on Kubernetes with `kubectl apply -f build/k8s/`
(see the README's "Deploying" section for the secrets to create first).
"""
    bad = """
import truss_chains as chains


class Llama(chains.EngineBuilderLLMChainlet):
    pass


@chains.mark_entrypoint
class Chat(chains.ChainletBase):
    def __init__(self, llm: Llama = chains.depends(Llama)) -> None:
        self._llm = llm

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (4, 13, 4, 44)
    good = """
import truss_chains as chains

VLLM_URL = "http://vllm:8000/v1/chat/completions"


@chains.mark_entrypoint
class Chat(chains.ChainletBase):
    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._llm = chains.StubBase.from_url(VLLM_URL, context)

    async def run_remote(self, prompt: str) -> str:
        messages = [{"role": "user", "content": prompt}]
        answer = await self._llm.predict_async({"model": "llama", "messages": messages})
        return str(answer["choices"][0]["message"]["content"])
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        module = ctx.module
        if module.tree is None or not any(name in module.source for name in BASETEN_ONLY_MESSAGES):
            return
        local_imports = _sdk_imports_in_functions(module.tree)
        for node, name in _uses(module, module.tree, local_imports):
            yield self.diagnostic(module.span_of(node), BASETEN_ONLY_MESSAGES[name])


def _sdk_imports_in_functions(tree: cst.Module) -> dict[str, str]:
    """Local name -> qualified name of the SDK imports below the top level (inside functions,
    ``if`` blocks...), which the module's own imports do not hold. Scopes are not told apart:
    only SDK names are bound this way, and a chain file rarely rebinds them."""
    found: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, cst.SimpleStatementLine):
            continue
        for node in walk(statement):
            if isinstance(node, cst.Import):
                for alias in node.names:
                    full = dotted_name(alias.name) or ""
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        found[alias.asname.name.value] = full
                    else:
                        found[full.partition(".")[0]] = full.partition(".")[0]
            elif (
                isinstance(node, cst.ImportFrom)
                and not node.relative
                and node.module is not None
                and not isinstance(node.names, cst.ImportStar)
            ):
                base = dotted_name(node.module) or ""
                for alias in node.names:
                    imported = dotted_name(alias.name) or ""
                    local = imported
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        local = alias.asname.name.value
                    found[local] = f"{base}.{imported}"
    return {local: full for local, full in found.items() if full.partition(".")[0] in SDK_MODULES}


def _qualify(module: ModuleInfo, dotted: str, local_imports: dict[str, str]) -> str | None:
    qualified = module.qualify(dotted)
    if qualified is not None:
        return qualified
    first, dot, rest = dotted.partition(".")
    base = local_imports.get(first)
    return None if base is None else f"{base}{dot}{rest}"


def _uses(
    module: ModuleInfo, root: cst.CSTNode, local_imports: dict[str, str]
) -> Iterator[tuple[cst.CSTNode, str]]:
    """Each expression (in source order) that refers to a Baseten-only name, and each import
    that reads a name from a Baseten-only module."""
    stack: list[cst.CSTNode] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Import):
            for alias in node.names:
                name = _module_name(dotted_name(alias.name), below_only=True)
                if name is not None:
                    yield alias, name
            continue
        if isinstance(node, cst.ImportFrom):
            name = _from_import_name(node)
            if name is not None:
                yield node, name
            continue
        if isinstance(node, (cst.Name, cst.Attribute)):
            dotted = dotted_name(node)
            if dotted is not None:  # the whole chain of names, never a prefix of it
                name = baseten_only_name(_qualify(module, dotted, local_imports))
                if name is not None:
                    yield node, name
            elif isinstance(node, cst.Attribute):
                stack.append(node.value)  # never the attribute's own name alone
            continue
        stack.extend(reversed(_expression_children(node)))


def _module_name(imported: str | None, *, below_only: bool) -> str | None:
    """For ``import M``: importing a module below a Baseten-only one fails (``below_only``),
    importing the Baseten-only module itself does not."""
    name = baseten_only_name(imported)
    if name is None or name not in _MODULES or imported is None:
        return None
    depth = imported.count(".")
    return name if depth >= 2 or not below_only else None


def _from_import_name(node: cst.ImportFrom) -> str | None:
    """For ``from M import a, b``: reading a name of a Baseten-only module fails, except the
    served ``remote_chainlet.stub``."""
    if node.relative or node.module is None:
        return None
    base = dotted_name(node.module)
    name = baseten_only_name(base)
    if base is None or name is None or name not in _MODULES:
        return None
    if isinstance(node.names, cst.ImportStar):
        return name
    for alias in node.names:
        if baseten_only_name(f"{base}.{dotted_name(alias.name)}") is not None:
            return name
    return None


def _expression_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """``node``'s children, without the names that bind rather than read (a keyword
    argument's name, a parameter's or a definition's name)."""
    found = children(node)
    if isinstance(node, cst.Arg) and node.keyword is not None:
        return [child for child in found if child is not node.keyword]
    if isinstance(node, cst.Param):
        return [child for child in found if child is not node.name]
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return [child for child in found if child is not node.name]
    return found


RULES: tuple[type[Rule], ...] = (BasetenOnlyApiRule,)
