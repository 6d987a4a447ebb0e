"""The client certificate of a TLS connection, handed to the app as the ASGI TLS extension.

uvicorn verifies a client certificate against ``ssl_ca_certs`` but does not
put it in the request scope. :class:`PeerCertH11Protocol` (given to uvicorn as
its ``http`` protocol class) reads the verified leaf certificate when the
connection is made and adds ``scope["extensions"]["tls"]["client_cert_chain"]``
(PEM strings, as the ASGI TLS extension defines it) to every request on it.
"""

from __future__ import annotations

import ssl
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["PeerCertH11Protocol", "with_tls_extension"]


def with_tls_extension(app: Any, chain: list[str]) -> Any:
    """An ASGI app that adds the TLS extension (``client_cert_chain``) to each scope."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") in ("http", "websocket"):
            ext = dict(scope.get("extensions") or {})
            ext["tls"] = {"client_cert_chain": list(chain), "server_cert": None}
            scope = {**scope, "extensions": ext}
        await app(scope, receive, send)

    return wrapped


class PeerCertH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, passing the client certificate on to the app."""

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        chain = [ssl.DER_cert_to_PEM_cert(der)] if der else []
        self.app = with_tls_extension(self.app, chain)
