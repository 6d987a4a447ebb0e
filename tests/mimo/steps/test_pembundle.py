from __future__ import annotations

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
    label = b"RSA PRIVATE KEY" if options.get("rsa_key") else b"EC PRIVATE KEY"
    assert label in bundle.key_pem


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
