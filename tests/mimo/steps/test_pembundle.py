from __future__ import annotations

import base64
import re
import textwrap

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mimo.steps.cluster.pembundle import PEMBundleError, parse_pem_bundle

from .builders import pem_bundle, unsupported_key_pem


def _certs(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"key_last": True},
        {"chain_first": True},
        {"rsa_key": True, "key_last": True, "chain_first": True},
    ],
)
def test_key_and_chain_leaf_first(options: dict[str, bool]) -> None:
    bundle = parse_pem_bundle(pem_bundle("api.mycluster.eastus.aroapp.io", **options))
    certs = _certs(bundle.chain_pem)
    assert [c.subject.rfc4514_string() for c in certs] == [
        "CN=api.mycluster.eastus.aroapp.io",
        "CN=Test Issuing CA",
    ]
    key = serialization.load_pem_private_key(bundle.key_pem, password=None)
    assert key.public_key() == certs[0].public_key()
    # PKCS#8 whatever the bundle had, as Go's TLSSecretsFromKeyVault (pkg/cluster/apply.go) writes tls.key
    assert bundle.key_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert bundle.key_pem == key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_repr_never_shows_the_key() -> None:
    bundle = parse_pem_bundle(pem_bundle("x.example"))
    assert "PRIVATE" not in repr(bundle)
    assert "CN=x.example" in repr(bundle)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "the bundle is empty"),
        ("not a pem", "no private key in the bundle"),
        (
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "the private key does not parse",
        ),
        (
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
            "encrypted",
        ),
    ],
)
def test_unusable_bundles(text: str, why: str) -> None:
    with pytest.raises(PEMBundleError, match=why):
        parse_pem_bundle(text)


def test_key_without_certificate() -> None:
    only_key = pem_bundle("x.example").split("-----BEGIN CERTIFICATE-----")[0]
    with pytest.raises(PEMBundleError, match="no certificate in the bundle"):
        parse_pem_bundle(only_key)


def test_certificate_of_another_key() -> None:
    a, b = pem_bundle("a.example"), pem_bundle("b.example")
    key_a = a[: a.index("-----BEGIN CERTIFICATE-----")]
    certs_b = b[b.index("-----BEGIN CERTIFICATE-----") :]
    with pytest.raises(
        PEMBundleError, match="no certificate in the bundle matches the private key"
    ):
        parse_pem_bundle(key_a + certs_b)


def test_corrupt_certificate() -> None:
    text = pem_bundle("x.example")
    start = text.index("-----BEGIN CERTIFICATE-----") + len("-----BEGIN CERTIFICATE-----\n")
    broken = text[:start] + "AAAA" + text[start + 40 :]
    with pytest.raises(PEMBundleError, match=r"certificate 1 of 2 does not parse"):
        parse_pem_bundle(broken)


def test_two_keys() -> None:
    text = pem_bundle("x.example")
    key = text[: text.index("-----BEGIN CERTIFICATE-----")]
    with pytest.raises(PEMBundleError, match="2 private keys"):
        parse_pem_bundle(key + text)


def test_unsupported_key_algorithm_is_a_bundle_error() -> None:
    """cryptography raises UnsupportedAlgorithm (not a ValueError): it must not escape raw."""
    cert = pem_bundle("x.example").split("-----END PRIVATE KEY-----\n", 1)[-1]
    with pytest.raises(PEMBundleError, match=r"^the private key's algorithm is not supported$"):
        parse_pem_bundle(unsupported_key_pem() + cert)


def _rsa_bundle_with(label: str, fmt: serialization.PrivateFormat) -> tuple[str, bytes]:
    """A bundle whose RSA key is ``fmt`` DER inside a ``label`` block; and the key's PKCS#8 PEM."""
    text = pem_bundle("api.example.com", rsa_key=True)
    key = serialization.load_pem_private_key(
        re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.+?-----END [A-Z ]*PRIVATE KEY-----", text, re.S)
        .group(0).encode(), password=None,
    )
    der = key.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    block = f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"
    certs = "".join(re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?", text, re.S))
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    return certs + block, pkcs8


@pytest.mark.parametrize(
    ("label", "fmt"),
    [
        # Go's tls_test.go 'creates certs' writes exactly this: x509.MarshalPKCS1PrivateKey in a "PRIVATE KEY" block
        ("PRIVATE KEY", serialization.PrivateFormat.TraditionalOpenSSL),
        ("PRIVATE KEY", serialization.PrivateFormat.PKCS8),
        ("RSA PRIVATE KEY", serialization.PrivateFormat.TraditionalOpenSSL),
        ("RSA PRIVATE KEY", serialization.PrivateFormat.PKCS8),
    ],
    ids=["pkcs1-in-private-key", "pkcs8-in-private-key", "pkcs1-in-rsa", "pkcs8-in-rsa"],
)
def test_either_der_in_either_block_as_go_parse(label: str, fmt: serialization.PrivateFormat) -> None:
    """Go's utilpem.Parse (pkg/util/pem/decode.go, parsePrivateKey): a "RSA PRIVATE KEY" or "PRIVATE KEY"
    block is tried as PKCS#1 first, then PKCS#8; tls.key always comes out PKCS#8."""
    text, pkcs8 = _rsa_bundle_with(label, fmt)
    bundle = parse_pem_bundle(text)
    assert bundle.key_pem == pkcs8
    assert bundle.leaf.subject.rfc4514_string() == "CN=api.example.com"


def test_an_old_style_encrypted_key_is_named_encrypted() -> None:
    text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"
    with pytest.raises(PEMBundleError, match="^the private key is encrypted$"):
        parse_pem_bundle(text)
