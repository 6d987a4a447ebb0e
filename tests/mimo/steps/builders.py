"""The world builders of the plugin (``pytest_mimo.worlds``), and what only these tests need.

The builders themselves live in :mod:`pytest_mimo.worlds.kube` and :mod:`pytest_mimo.worlds.azure`
(importable by any task author); this module keeps the tests' imports short.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pytest_mimo.worlds.azure import *  # noqa: F403
from pytest_mimo.worlds.kube import *  # noqa: F403


def unsupported_key_pem() -> str:
    """A PKCS#8 private key whose algorithm OID (1.3.101.127) no library supports."""
    der = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # the Ed25519 OID 1.3.101.112 becomes the unassigned 1.3.101.127
    der = der.replace(bytes.fromhex("06032b6570"), bytes.fromhex("06032b657f"))
    body = base64.encodebytes(der).decode("ascii")
    return f"-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----\n"
