"""A Key Vault certificate secret: one PEM bundle holding a private key and its chain.

Key Vault stores a certificate's secret as ``application/x-pem-file``: the
private key and the certificates, in any order. :func:`parse_pem_bundle`
reads it with ``cryptography`` and returns what a ``kubernetes.io/tls``
Secret wants: ``tls.key`` (the key) and ``tls.crt`` (the leaf — the
certificate whose public key matches the private key — then the rest of the
chain in bundle order). Anything it cannot read raises :class:`PEMBundleError`,
whose message never contains key material.

As Go's ``utilpem.Parse`` (``pkg/util/pem/decode.go``, ``parsePrivateKey``),
a ``PRIVATE KEY`` or ``RSA PRIVATE KEY`` block may hold either PKCS#1 or
PKCS#8 DER; and as Go's ``TLSSecretsFromKeyVault`` (``pkg/cluster/apply.go``),
``tls.key`` is written as PKCS#8 (``-----BEGIN PRIVATE KEY-----``). Ours
beyond Go: EC keys (``EC PRIVATE KEY`` or PKCS#8) are accepted too, where Go
reads RSA keys only, and the leaf is put first where Go keeps bundle order.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

__all__ = ["PEMBundle", "PEMBundleError", "parse_pem_bundle"]

_KEY_BLOCK = re.compile(
    r"-----BEGIN (?P<label>(?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----.+?-----END (?P=label)-----",
    re.DOTALL,
)
_CERT_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


class PEMBundleError(ValueError):
    """The bundle does not hold exactly one usable private key and its certificate."""


@dataclass(frozen=True)
class PEMBundle:
    """What a ``kubernetes.io/tls`` Secret needs. ``repr`` never shows the key."""

    key_pem: bytes
    chain_pem: bytes
    leaf: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def __repr__(self) -> str:
        return f"PEMBundle(leaf={self.leaf.subject.rfc4514_string()!r}, chain={len(self.chain)} certificate(s))"


def _public_bytes(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _certificate_public_bytes(cert: x509.Certificate) -> bytes | None:
    """The certificate's public key, ``None`` when its algorithm is not supported."""
    try:
        return _public_bytes(cert.public_key())
    except (UnsupportedAlgorithm, ValueError):
        return None


def _load_key(block: re.Match[str]) -> PrivateKeyTypes:
    """The block's key, whichever of PKCS#1 (or SEC 1) and PKCS#8 its DER is, whatever its label says."""
    label = block.group("label")
    body = block.group(0)[len(f"-----BEGIN {label}-----"):-len(f"-----END {label}-----")]
    if label.startswith("ENCRYPTED") or "Proc-Type:" in body:
        raise PEMBundleError("the private key is encrypted")
    try:
        der = base64.b64decode("".join(body.split()).encode("ascii"), validate=True)
        # load_der_private_key reads PKCS#8 and the traditional forms (PKCS#1, SEC 1) alike
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnicodeEncodeError, binascii.Error):
        raise PEMBundleError("the private key does not parse") from None
    except UnsupportedAlgorithm:
        raise PEMBundleError("the private key's algorithm is not supported") from None
    return key


def parse_pem_bundle(data: str | bytes) -> PEMBundle:
    """Split a PEM bundle into its private key and certificate chain (leaf first)."""
    text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
    if not isinstance(text, str) or not text.strip():
        raise PEMBundleError("the bundle is empty")

    keys = list(_KEY_BLOCK.finditer(text))
    if not keys:
        raise PEMBundleError("no private key in the bundle")
    if len(keys) > 1:
        raise PEMBundleError(f"{len(keys)} private keys in the bundle, expected 1")
    key = _load_key(keys[0])

    blocks = [m.group(0) for m in _CERT_BLOCK.finditer(text)]
    if not blocks:
        raise PEMBundleError("no certificate in the bundle")
    certs: list[x509.Certificate] = []
    for i, block in enumerate(blocks):
        try:
            certs.append(x509.load_pem_x509_certificate(block.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            raise PEMBundleError(f"certificate {i + 1} of {len(blocks)} does not parse") from None

    key_public = _public_bytes(key.public_key())
    leaves = [c for c in certs if _certificate_public_bytes(c) == key_public]
    if not leaves:
        raise PEMBundleError("no certificate in the bundle matches the private key")
    leaf = leaves[0]
    chain = (leaf, *[c for c in certs if c is not leaf])

    # tls.key as PKCS#8, as Go's TLSSecretsFromKeyVault writes it (x509.MarshalPKCS8PrivateKey)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    return PEMBundle(key_pem=key_pem, chain_pem=chain_pem, leaf=leaf, chain=chain)
