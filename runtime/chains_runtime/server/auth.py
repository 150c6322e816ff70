"""Who may call ``run_remote``: the internal service token, and the entrypoint's API key."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Final

from chains_runtime.protocol import SERVICE_TOKEN_HEADER
from chains_runtime.server.config import ServerConfig

API_KEY_HEADER: Final = "x-api-key"
_SERVICE_TOKEN_KEY = SERVICE_TOKEN_HEADER.encode("latin-1")
_API_KEY_KEY = API_KEY_HEADER.encode("latin-1")
_API_KEY_PREFIX = b"api-key "


class Authenticator:
    """Checks a request's headers against the configured token and key, in constant time.

    Accepted: ``x-chains-service-token: <token>``; on the entrypoint also
    ``Authorization: Api-Key <key>`` or ``x-api-key: <key>``. With neither configured (and the
    token not required) every request is let in.
    """

    __slots__ = ("_api_key", "_open", "_token")

    def __init__(self, config: ServerConfig) -> None:
        self._open = not config.require_service_token and config.api_key is None
        self._token = config.service_token.encode() if config.service_token else None
        self._api_key = config.api_key.encode() if config.api_key is not None else None

    def is_internal(self, headers: Mapping[bytes, bytes]) -> bool:
        """Whether the request carries the valid service token (a call from another chainlet)."""
        if self._token is None:
            return False
        token = headers.get(_SERVICE_TOKEN_KEY)
        return token is not None and hmac.compare_digest(token, self._token)

    def allows(self, headers: Mapping[bytes, bytes]) -> bool:
        """``headers``: the request's headers by lower-case name."""
        if self._open:
            return True
        if self._token is not None:
            token = headers.get(_SERVICE_TOKEN_KEY)
            if token is not None and hmac.compare_digest(token, self._token):
                return True
        if self._api_key is not None:
            key = headers.get(_API_KEY_KEY)
            if key is None:
                authorization = headers.get(b"authorization", b"")
                if authorization[: len(_API_KEY_PREFIX)].lower() == _API_KEY_PREFIX:
                    key = authorization[len(_API_KEY_PREFIX) :].strip()
            if key is not None and hmac.compare_digest(key, self._api_key):
                return True
        return False
