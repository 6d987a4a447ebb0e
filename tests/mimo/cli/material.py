"""Valid files the command line reads (a CA bundle, a kubeconfig), for tests that need real ones."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache


@lru_cache(maxsize=1)
def ca_pem() -> str:
    """A self-signed CA certificate in PEM (made with cryptography; the key is thrown away)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mimo test CA")])
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(start).not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def kubeconfig_text(server: str = "https://api.demo.example.com:6443") -> str:
    """A kubeconfig whose current context reaches ``server`` with a token."""
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: demo\n  cluster:\n    server: {server}\n    insecure-skip-tls-verify: true\n"
        "users:\n- name: admin\n  user:\n    token: tok-SECRET\n"
        "contexts:\n- name: demo\n  context:\n    cluster: demo\n    user: admin\n"
        "current-context: demo\n"
    )
