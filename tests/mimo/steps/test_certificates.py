"""The TLS steps against Go's ``pkg/mimo/steps/cluster/tls.go`` (``RotateManagedCertificates``,
``EnsureAPIServerServingCertificateConfiguration``, ``EnsureIngressServingCertificateConfiguration``)
and their test table ``tls_test.go`` (``TestConfigureAPIServerCertificates``,
``TestConfigureIngressCertificate``, ``TestRotateClusterCertificates``: "not found", "not managed",
"invalid domain", "signed certificates disabled", "secrets referenced", "creates certs", "missing
cert still loads other"). The failure text of rotation is ours (README, Go differences: Go gives a
``multierror`` list)."""

from __future__ import annotations

import base64
import logging
from dataclasses import replace
from typing import Any

import pytest
from cryptography import x509

from mimo import TerminalError, TransientError
from mimo.steps.cluster.certificates import (
    ensure_api_server_serving_certificate,
    ensure_ingress_default_certificate,
    rotate_managed_certificates,
)
from pytest_mimo import defaults

from .builders import apiserver, ingress_controller, namespace, pem_bundle, unsupported_key_pem

UUID = defaults.CLUSTER_ID
API = f"{UUID}-apiserver"
INGRESS = f"{UUID}-ingress"
VAULT = "eastus-cls"
TARGETS = [
    ("openshift-config", API),
    ("openshift-azure-operator", API),
    ("openshift-ingress", INGRESS),
    ("openshift-azure-operator", INGRESS),
]
STEPS = [
    rotate_managed_certificates,
    ensure_api_server_serving_certificate,
    ensure_ingress_default_certificate,
]


@pytest.fixture
def tc(kube_tc: Any, fake_azure: Any, fake_kube: Any) -> Any:
    fake_kube.add(
        *(
            namespace(n)
            for n in ("openshift-config", "openshift-ingress", "openshift-azure-operator")
        )
    )
    return kube_tc.with_azure(fake_azure)


def _vault(fake_azure: Any, **bundles: str) -> None:
    kv = fake_azure.keyvault(VAULT)
    for name, value in bundles.items():
        kv.set_secret(name, value)


def _tls(fake_kube: Any, namespace: str, name: str) -> tuple[str, list[x509.Certificate], bytes]:
    secret = fake_kube.get("v1", "Secret", name, namespace)
    assert secret is not None, f"secret {namespace}/{name} missing"
    crt = base64.b64decode(secret["data"]["tls.crt"])
    key = base64.b64decode(secret["data"]["tls.key"])
    return secret["type"], x509.load_pem_x509_certificates(crt), key


def _custom_domain(tc: Any) -> Any:
    doc = tc.get_openshift_cluster_document().copy()
    doc.properties.cluster_profile = replace(
        doc.properties.cluster_profile, domain="apps.contoso.com"
    )
    return tc.with_cluster_document(doc)


# -- rotate managed certificates -------------------------------------------------------------


def test_rotate_copies_both_certificates_to_both_namespaces(
    tc: Any, fake_azure: Any, fake_kube: Any
) -> None:
    _vault(
        fake_azure,
        **{
            API: pem_bundle("api.mycluster.eastus.aroapp.io"),
            INGRESS: pem_bundle("*.apps.mycluster.eastus.aroapp.io"),
        },
    )
    rotate_managed_certificates(tc)
    for ns, name in TARGETS:
        kind, chain, key = _tls(fake_kube, ns, name)
        assert kind == "kubernetes.io/tls"
        assert [c.subject.rfc4514_string() for c in chain][1:] == ["CN=Test Issuing CA"]
        assert b"PRIVATE KEY" in key
    assert (
        _tls(fake_kube, "openshift-config", API)[1][0].subject.rfc4514_string()
        == "CN=api.mycluster.eastus.aroapp.io"
    )
    assert tc.result_message == ""


def test_rotate_twice_writes_nothing_the_second_time(
    tc: Any, fake_azure: Any, fake_kube: Any
) -> None:
    _vault(fake_azure, **{API: pem_bundle("api.x"), INGRESS: pem_bundle("apps.x")})
    rotate_managed_certificates(tc)
    before = {
        (ns, n): fake_kube.get("v1", "Secret", n, ns)["metadata"]["resourceVersion"]
        for ns, n in TARGETS
    }
    rotate_managed_certificates(tc)
    after = {
        (ns, n): fake_kube.get("v1", "Secret", n, ns)["metadata"]["resourceVersion"]
        for ns, n in TARGETS
    }
    assert before == after


def test_rotate_replaces_an_old_certificate(tc: Any, fake_azure: Any, fake_kube: Any) -> None:
    _vault(fake_azure, **{API: pem_bundle("api.old"), INGRESS: pem_bundle("apps.old")})
    rotate_managed_certificates(tc)
    _vault(fake_azure, **{API: pem_bundle("api.new")})
    rotate_managed_certificates(tc)
    assert _tls(fake_kube, "openshift-config", API)[1][0].subject.rfc4514_string() == "CN=api.new"
    assert (
        _tls(fake_kube, "openshift-azure-operator", API)[1][0].subject.rfc4514_string()
        == "CN=api.new"
    )
    assert (
        _tls(fake_kube, "openshift-ingress", INGRESS)[1][0].subject.rfc4514_string()
        == "CN=apps.old"
    )


def test_one_missing_certificate_does_not_stop_the_other(
    tc: Any, fake_azure: Any, fake_kube: Any
) -> None:
    _vault(fake_azure, **{INGRESS: pem_bundle("apps.x")})
    with pytest.raises(TransientError) as e:
        rotate_managed_certificates(tc)
    text = str(e.value)
    assert text.startswith(f"TransientError: certificates not rotated: {API}: ")
    assert INGRESS not in text
    assert fake_kube.get("v1", "Secret", INGRESS, "openshift-ingress") is not None
    assert fake_kube.get("v1", "Secret", API, "openshift-config") is None


def test_rotation_logs_go_s_lines(tc: Any, fake_azure: Any, fake_kube: Any, caplog: Any) -> None:
    """RotateManagedCertificates: 'failed to load <name> from keyvault: <err>' for the missing one
    ("missing cert still loads other"), and clienthelper.Ensure's 'Create <key>' / 'Update <key>:
    <scrubbed>' (a Secret's diff is never shown) for each copy written."""
    _vault(fake_azure, **{INGRESS: pem_bundle("apps.x")})
    caplog.set_level(logging.INFO, "mimo.task")
    with pytest.raises(TransientError):
        rotate_managed_certificates(tc)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines[0][0] == "ERROR" and lines[0][1].startswith(f"failed to load {API} from keyvault: ")
    assert lines[1:] == [("INFO", f"Create Secret/openshift-ingress/{INGRESS}"),
                         ("INFO", f"Create Secret/openshift-azure-operator/{INGRESS}")]
    _vault(fake_azure, **{API: pem_bundle("api.x"), INGRESS: pem_bundle("apps.y")})
    caplog.clear()
    rotate_managed_certificates(tc)
    assert [r.getMessage() for r in caplog.records] == [
        f"Create Secret/openshift-config/{API}", f"Create Secret/openshift-azure-operator/{API}",
        f"Update Secret/openshift-ingress/{INGRESS}: <scrubbed>",
        f"Update Secret/openshift-azure-operator/{INGRESS}: <scrubbed>",
    ]


def test_a_failed_save_logs_go_s_line(tc: Any, fake_azure: Any, fake_kube: Any, caplog: Any) -> None:
    """RotateManagedCertificates: 'failed to save <name>: <err>' when Ensure fails."""
    _vault(fake_azure, **{API: pem_bundle("api.x"), INGRESS: pem_bundle("apps.x")})
    fake_kube.delete("v1", "Namespace", "openshift-ingress")
    caplog.set_level(logging.INFO, "mimo.task")
    with pytest.raises(TransientError):
        rotate_managed_certificates(tc)
    assert ("ERROR", f'failed to save {INGRESS}: namespaces "openshift-ingress" not found') in [
        (r.levelname, r.getMessage()) for r in caplog.records
    ]


def test_both_missing_names_both(tc: Any, fake_azure: Any) -> None:
    _vault(fake_azure)
    with pytest.raises(TransientError) as e:
        rotate_managed_certificates(tc)
    assert f"{API}: " in str(e.value) and f"; {INGRESS}: " in str(e.value)


def test_unparsable_bundle_is_terminal_naming_the_secret(
    tc: Any, fake_azure: Any, fake_kube: Any
) -> None:
    _vault(
        fake_azure,
        **{
            API: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
            INGRESS: pem_bundle("apps.x"),
        },
    )
    with pytest.raises(TerminalError) as e:
        rotate_managed_certificates(tc)
    assert str(e.value) == (
        f"TerminalError: certificates not rotated: {API}: "
        f"Key Vault secret {API} is not a usable PEM bundle: no private key in the bundle"
    )
    assert fake_kube.get("v1", "Secret", INGRESS, "openshift-ingress") is not None


def test_unsupported_key_algorithm_is_classified_and_the_other_rotates(
    tc: Any, fake_azure: Any, fake_kube: Any
) -> None:
    """No raw cryptography exception escapes (an unusable bundle is terminal, naming the secret),
    and it does not stop the other certificate."""
    cert = pem_bundle("api.x").split("-----END PRIVATE KEY-----\n", 1)[-1]
    _vault(fake_azure, **{API: unsupported_key_pem() + cert, INGRESS: pem_bundle("apps.x")})
    with pytest.raises(TerminalError) as e:
        rotate_managed_certificates(tc)
    assert str(e.value) == (
        f"TerminalError: certificates not rotated: {API}: Key Vault secret {API} "
        "is not a usable PEM bundle: the private key's algorithm is not supported"
    )
    assert fake_kube.get("v1", "Secret", INGRESS, "openshift-ingress") is not None


def test_kubernetes_write_failure_is_transient(tc: Any, fake_azure: Any, fake_kube: Any) -> None:
    fake_kube.delete("v1", "Namespace", "openshift-ingress")
    _vault(fake_azure, **{API: pem_bundle("api.x"), INGRESS: pem_bundle("apps.x")})
    with pytest.raises(TransientError) as e:
        rotate_managed_certificates(tc)
    assert str(e.value) == (
        f'TransientError: certificates not rotated: {INGRESS}: namespaces "openshift-ingress" not found'
    )


@pytest.mark.parametrize("kind", ["server_error", "unavailable", "throttle"])
def test_key_vault_errors_are_transient(
    tc: Any, fake_azure: Any, mimo_faults: Any, kind: str
) -> None:
    _vault(fake_azure, **{API: pem_bundle("api.x"), INGRESS: pem_bundle("apps.x")})
    mimo_faults.inject("azure", kind, match="vault")
    with pytest.raises(TransientError, match="certificates not rotated"):
        rotate_managed_certificates(tc)


@pytest.mark.parametrize("kind", ["conflict", "lost_response", "server_error"])
def test_secret_write_faults_once_are_survived_or_transient(
    tc: Any, fake_azure: Any, fake_kube: Any, mimo_faults: Any, kind: str
) -> None:
    if kind == "conflict":
        # a conflict needs an object to conflict on (no conflict kind applies to a create:
        # pytest_mimo.faults.applicable_kinds); the rotation's update meets it
        _vault(fake_azure, **{API: pem_bundle("api.old"), INGRESS: pem_bundle("apps.old")})
        rotate_managed_certificates(tc)
        match = "(PUT|PATCH) .*secrets"
    else:
        match = "POST .*secrets"
    _vault(fake_azure, **{API: pem_bundle("api.x"), INGRESS: pem_bundle("apps.x")})
    mimo_faults.inject("kube", kind, match=match, times=1)
    try:
        rotate_managed_certificates(tc)
    except TransientError:
        rotate_managed_certificates(tc)  # the retry the actuator would make
    for ns, name in TARGETS:
        kind_, chain, _ = _tls(fake_kube, ns, name)
        assert kind_ == "kubernetes.io/tls"
        assert chain[0].subject.rfc4514_string() in ("CN=api.x", "CN=apps.x")


# -- API server serving certificate ----------------------------------------------------------


def test_apiserver_serves_the_managed_certificate(kube_tc: Any, fake_kube: Any) -> None:
    fake_kube.add(
        apiserver([{"names": ["old.example.com"], "servingCertificate": {"name": "old"}}])
    )
    ensure_api_server_serving_certificate(kube_tc)
    spec = fake_kube.get("config.openshift.io/v1", "APIServer", "cluster")["spec"]
    assert spec["servingCerts"]["namedCertificates"] == [
        {"names": ["api.mycluster.eastus.aroapp.io"], "servingCertificate": {"name": API}}
    ]
    assert spec["audit"] == {"profile": "Default"}


def test_apiserver_already_right_is_not_written(kube_tc: Any, fake_kube: Any) -> None:
    fake_kube.add(apiserver())
    ensure_api_server_serving_certificate(kube_tc)
    rv = fake_kube.get("config.openshift.io/v1", "APIServer", "cluster")["metadata"][
        "resourceVersion"
    ]
    ensure_api_server_serving_certificate(kube_tc)
    assert (
        fake_kube.get("config.openshift.io/v1", "APIServer", "cluster")["metadata"][
            "resourceVersion"
        ]
        == rv
    )


def test_apiserver_missing_is_terminal(kube_tc: Any) -> None:
    with pytest.raises(TerminalError) as e:
        ensure_api_server_serving_certificate(kube_tc)
    assert str(e.value) == 'TerminalError: apiservers.config.openshift.io "cluster" not found'


def test_apiserver_conflict_is_retried(kube_tc: Any, fake_kube: Any, mimo_faults: Any) -> None:
    fake_kube.add(apiserver())
    mimo_faults.inject("kube", "conflict", match="PUT .*apiservers", times=3)
    ensure_api_server_serving_certificate(kube_tc)
    assert fake_kube.get("config.openshift.io/v1", "APIServer", "cluster")["spec"]["servingCerts"]
    assert [e.kind for e in mimo_faults.trace] == ["conflict"] * 3


def test_apiserver_endless_conflict_is_transient(
    kube_tc: Any, fake_kube: Any, mimo_faults: Any
) -> None:
    fake_kube.add(apiserver())
    mimo_faults.inject("kube", "conflict", match="PUT .*apiservers")
    with pytest.raises(TransientError, match="the object has been modified"):
        ensure_api_server_serving_certificate(kube_tc)


@pytest.mark.parametrize("kind", ["server_error", "throttle", "connection_reset"])
def test_apiserver_other_errors_are_transient(
    kube_tc: Any, fake_kube: Any, mimo_faults: Any, kind: str
) -> None:
    fake_kube.add(apiserver())
    mimo_faults.inject("kube", kind, match="apiservers")
    with pytest.raises(TransientError):
        ensure_api_server_serving_certificate(kube_tc)


# -- ingress default certificate -------------------------------------------------------------


def test_ingress_serves_the_managed_certificate(kube_tc: Any, fake_kube: Any) -> None:
    fake_kube.add(ingress_controller("customer-cert"))
    ensure_ingress_default_certificate(kube_tc)
    ic = fake_kube.get(
        "operator.openshift.io/v1", "IngressController", "default", "openshift-ingress-operator"
    )
    assert ic["spec"]["defaultCertificate"] == {"name": INGRESS}
    assert ic["spec"]["replicas"] == 2
    rv = ic["metadata"]["resourceVersion"]
    ensure_ingress_default_certificate(kube_tc)
    ic = fake_kube.get(
        "operator.openshift.io/v1", "IngressController", "default", "openshift-ingress-operator"
    )
    assert ic["metadata"]["resourceVersion"] == rv


def test_ingress_missing_is_terminal(kube_tc: Any) -> None:
    with pytest.raises(TerminalError) as e:
        ensure_ingress_default_certificate(kube_tc)
    assert (
        str(e.value)
        == 'TerminalError: ingresscontrollers.operator.openshift.io "default" not found'
    )


def test_ingress_conflict_is_retried(kube_tc: Any, fake_kube: Any, mimo_faults: Any) -> None:
    fake_kube.add(ingress_controller())
    mimo_faults.inject("kube", "conflict", match="PUT .*ingresscontrollers", times=2)
    ensure_ingress_default_certificate(kube_tc)
    ic = fake_kube.get(
        "operator.openshift.io/v1", "IngressController", "default", "openshift-ingress-operator"
    )
    assert ic["spec"]["defaultCertificate"] == {"name": INGRESS}


@pytest.mark.parametrize("kind", ["server_error", "unavailable", "timeout", "lost_response"])
def test_ingress_other_errors_are_transient(
    kube_tc: Any, fake_kube: Any, mimo_faults: Any, kind: str
) -> None:
    fake_kube.add(ingress_controller())
    mimo_faults.inject("kube", kind, match="PUT .*ingresscontrollers")
    with pytest.raises(TransientError):
        ensure_ingress_default_certificate(kube_tc)


# -- the feature flag and custom domains: no-ops, nothing wired needed ---------------------------


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.__name__)
def test_signed_certificates_disabled(fake_task_context: Any, step: Any) -> None:
    tc = fake_task_context.with_features("DisableSignedCertificates")
    step(tc)
    assert tc.result_message == "signed certificates disabled"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (rotate_managed_certificates, "cluster certificates are not managed"),
        (ensure_api_server_serving_certificate, "apiserver certificate is not managed"),
        (ensure_ingress_default_certificate, "cluster certificate is not managed"),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_custom_domain(fake_task_context: Any, step: Any, message: str) -> None:
    """Go's tls_test.go 'not managed' cases: RotateManagedCertificates says "cluster certificates are not
    managed", EnsureAPIServerServingCertificateConfiguration "apiserver certificate is not managed" and
    EnsureIngressServingCertificateConfiguration "cluster certificate is not managed" (pkg/mimo/steps/cluster/tls.go)."""
    tc = _custom_domain(fake_task_context)
    step(tc)
    assert tc.result_message == message


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.__name__)
def test_invalid_domain_is_terminal(fake_task_context: Any, step: Any) -> None:
    doc = fake_task_context.get_openshift_cluster_document().copy()
    doc.properties.cluster_profile = replace(doc.properties.cluster_profile, domain=".bad")
    fake_task_context.with_cluster_document(doc)
    with pytest.raises(TerminalError, match=r'invalid domain "\.bad"'):
        step(fake_task_context)


def test_broken_bundle_next_to_a_transient_failure_is_transient(
    tc: Any, fake_azure: Any, fake_kube: Any, mimo_faults: Any
) -> None:
    _vault(fake_azure, **{API: pem_bundle("api.x"), INGRESS: "garbage"})
    mimo_faults.inject("kube", "unavailable", match="openshift-config/secrets")
    with pytest.raises(TransientError) as e:
        rotate_managed_certificates(tc)  # a retry can still rotate the API server's certificate
    assert f"{API}: " in str(e.value)
    assert f"{INGRESS}: Key Vault secret {INGRESS} is not a usable PEM bundle" in str(e.value)
