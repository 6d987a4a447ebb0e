"""Who may call the admin API: a bearer token, or a client certificate with a given common name.

The Go admin API authorises by mutual TLS only: a client certificate that
verifies against the configured CA and whose subject common name is the
configured one (``pkg/util/clientauthorizer/subject_name_and_issuer.go``),
else 403 ``Forbidden`` "Forbidden." (``pkg/frontend/middleware/authenticated.go``).
We accept that, and a bearer token from a file (one token a line) for hosts
that run without TLS client certificates. The certificate chain itself is
verified by the TLS layer (uvicorn's ``ssl_ca_certs`` with ``CERT_REQUIRED``);
here the common name is compared. Tokens are compared in constant time and
never shown.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

__all__ = ["Authenticator", "AuthConfigError", "read_token_file"]


class AuthConfigError(ValueError):
    """Authentication settings that cannot work; the message names the setting."""


def read_token_file(path: str) -> list[str]:
    """Tokens from ``path``: one per line; blank lines and ``#`` comments skipped."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise AuthConfigError(f"--token-file: {path}: no such file") from None
    except OSError as e:
        raise AuthConfigError(f"--token-file: {path}: {e.strerror}") from None
    tokens = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not tokens:
        raise AuthConfigError(f"--token-file: {path}: holds no token")
    for t in tokens:
        if any(c.isspace() for c in t) or not t.isprintable():
            raise AuthConfigError(f"--token-file: {path}: a token must be one word of printable characters")
    return tokens


def _cert_common_name(pem: str) -> str | None:
    try:
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError:
        return None
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


class Authenticator:
    """Decides one request: ``authorize(headers, tls)``.

    ``tokens``: accepted bearer tokens. ``client_cert_cn``: the common name a
    (TLS-verified) client certificate must carry. ``anonymous=True`` lets
    every request in (only when explicitly asked for).
    """

    def __init__(self, *, tokens: Iterable[str] = (), client_cert_cn: str | None = None, anonymous: bool = False) -> None:
        self._tokens = [t.encode("utf-8") for t in tokens]
        if client_cert_cn is not None and not client_cert_cn.strip():
            raise AuthConfigError("--client-cn: must not be empty")
        self.client_cert_cn = client_cert_cn
        self.anonymous = anonymous

    def __repr__(self) -> str:
        return (
            f"Authenticator(tokens={len(self._tokens)}, client_cert_cn={self.client_cert_cn!r}, "
            f"anonymous={self.anonymous})"
        )

    @property
    def configured(self) -> bool:
        """Something protects the API (or open access was chosen on purpose)."""
        return self.anonymous or bool(self._tokens) or self.client_cert_cn is not None

    def authorize(self, headers: Mapping[str, str], tls: Mapping[str, Any] | None) -> bool:
        if self.anonymous:
            return True
        if self._tokens:
            auth = headers.get("authorization", "")
            scheme, _, given = auth.partition(" ")
            if scheme.lower() == "bearer" and given:
                g = given.strip().encode("utf-8")
                # compare against every token, so the time taken does not tell which matched
                if sum(hmac.compare_digest(g, t) for t in self._tokens):
                    return True
        if self.client_cert_cn is not None and tls:
            chain = tls.get("client_cert_chain") or []
            if chain and _cert_common_name(chain[0]) == self.client_cert_cn:
                return True
        return False
