"""TLS settings of an endpoint that is not a chainlet: which CAs to trust, which certificate to
show. The files are read once, when the stub is made, so a missing or bad one fails there with
an error naming it, not at the first call.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from chains_runtime.errors import ChainsUsageError


@dataclass(frozen=True)
class TLSSettings:
    """``ca_bundle``: a PEM file of the CAs to trust *instead of* the system's (default: the
    system store, which honours ``SSL_CERT_FILE``/``SSL_CERT_DIR``). ``client_cert``: a PEM
    certificate (chain) for mutual TLS, with its key in it or in ``client_key``."""

    ca_bundle: str | Path | None = None
    client_cert: str | Path | None = None
    client_key: str | Path | None = None

    @property
    def given(self) -> bool:
        return any(v is not None for v in (self.ca_bundle, self.client_cert, self.client_key))

    def ssl_context(self, who: str) -> ssl.SSLContext:
        """A verifying client context; ``who`` names the endpoint in errors."""
        if self.client_key is not None and self.client_cert is None:
            raise ChainsUsageError(f"{who}: client_key was given without client_cert")
        try:
            if self.ca_bundle is None:
                context = ssl.create_default_context()
            else:
                context = ssl.create_default_context(cafile=_existing(self.ca_bundle, who))
        except ssl.SSLError as exc:
            raise ChainsUsageError(
                f"{who}: ca_bundle {str(self.ca_bundle)!r} holds no usable PEM certificate: {exc}"
            ) from None
        if self.client_cert is not None:
            cert = _existing(self.client_cert, who)
            key = None if self.client_key is None else _existing(self.client_key, who)
            try:
                context.load_cert_chain(cert, key)
            except ssl.SSLError as exc:
                raise ChainsUsageError(
                    f"{who}: cannot use client_cert {cert!r}"
                    + (f" with client_key {key!r}" if key else "")
                    + f" (a PEM certificate and its unencrypted private key are expected): {exc}"
                ) from None
        return context


def _existing(path: str | Path, who: str) -> str:
    if not Path(path).is_file():
        raise ChainsUsageError(f"{who}: the TLS file {str(path)!r} does not exist")
    return str(path)
