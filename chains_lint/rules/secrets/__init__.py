"""CH601-CH604: secrets read from ``context.secrets`` and declared in ``Assets``.

In a deployed chainlet ``context.secrets`` holds exactly the keys listed in
``remote_config=RemoteConfig(assets=Assets(secret_keys=[...]))`` of that
chainlet (plus ``baseten_chain_api_key``, which the framework adds itself).
The keys a chainlet declares are read as :mod:`.declared_keys` explains; when
they cannot be seen, reads are not reported as undeclared (CH604 says so
instead).
"""

from __future__ import annotations

from chains_lint.rules.base import Rule
from chains_lint.rules.secrets.dynamic_key import DynamicSecretKey
from chains_lint.rules.secrets.keys_unknown import SecretKeysUnknown
from chains_lint.rules.secrets.undeclared import UndeclaredOptionalSecret, UndeclaredSecret

RULES: tuple[type[Rule], ...] = (
    UndeclaredSecret,
    UndeclaredOptionalSecret,
    DynamicSecretKey,
    SecretKeysUnknown,
)
