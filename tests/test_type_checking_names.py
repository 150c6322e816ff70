"""CH206: a ``run_remote`` annotation naming what exists only under ``if TYPE_CHECKING:``.

Each case is linted for real and also run: the chain's source is executed and the runtime's
own server spec (``RunRemoteSpec.from_chainlet``, what the server builds at start-up) is made
from it, so the rule is checked against what the server does, not against a table.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chains_runtime.errors import ChainsUsageError
from chains_runtime.server.signature import RunRemoteSpec

from tests.lint_helpers import lint_text

_CHAINLET = """
class Checkout(chains.ChainletBase):
    async def run_remote(self, order: {annotation}) -> str:
        return "ok"
"""

CASES = {
    # (prelude, annotation): whether the server refuses to start
    "future import, name only under TYPE_CHECKING": (
        "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
        "import truss_chains as chains\nif TYPE_CHECKING:\n    from decimal import Decimal\n",
        "list[Decimal]",
        True,
    ),
    "quoted name only under typing.TYPE_CHECKING": (
        "import typing\nimport truss_chains as chains\n"
        "if typing.TYPE_CHECKING:\n    from decimal import Decimal\n",
        '"Decimal"',
        True,
    ),
    "module only under TYPE_CHECKING, used dotted": (
        "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
        "import truss_chains as chains\nif TYPE_CHECKING:\n    import decimal\n",
        "decimal.Decimal",
        True,
    ),
    "bound in the else branch too": (
        "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
        "import truss_chains as chains\nif TYPE_CHECKING:\n    from decimal import Decimal\n"
        "else:\n    Decimal = float\n",
        "Decimal",
        False,
    ),
    "imported again at the top level": (
        "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
        "import truss_chains as chains\nfrom decimal import Decimal\n"
        "if TYPE_CHECKING:\n    from decimal import Decimal\n",
        "Decimal",
        False,
    ),
    "other names of the TYPE_CHECKING block unused": (
        "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
        "import truss_chains as chains\nif TYPE_CHECKING:\n    from decimal import Decimal\n",
        "str",
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_ch206_matches_whether_the_server_starts(tmp_path: Path, case: str) -> None:
    prelude, annotation, refused = CASES[case]
    source = prelude + "\n" + _CHAINLET.format(annotation=annotation)
    reported = [d for d in lint_text(tmp_path, source) if d.code == "CH206"]

    namespace: dict[str, object] = {"__name__": "chain_under_test"}
    exec(compile(source, str(tmp_path / "chain.py"), "exec"), namespace)
    try:
        RunRemoteSpec.from_chainlet(namespace["Checkout"])  # type: ignore[arg-type]
        server_refused = False
    except ChainsUsageError as exc:
        server_refused = True
        assert "TYPE_CHECKING" in str(exc)

    assert server_refused is refused
    assert len(reported) == int(refused), [d.message for d in reported]
    if reported:
        line = source.splitlines().index(
            f"    async def run_remote(self, order: {annotation}) -> str:"
        )
        assert reported[0].span.line == line + 1
        assert "TYPE_CHECKING" in reported[0].message


def test_ch206_runs_in_the_truss_profile_too(tmp_path: Path) -> None:
    prelude, annotation, _ = CASES["quoted name only under typing.TYPE_CHECKING"]
    source = prelude + "\n" + _CHAINLET.format(annotation=annotation)
    codes = [d.code for d in lint_text(tmp_path, source, profile="truss")]
    assert "CH206" in codes
