"""Kubernetes objects of a realistic ARO cluster, and the certificate bundles its Key Vault holds.

World builders for step tests and replay scenarios (``mimo_world.kube.add(*cluster_objects())``):
an OpenShift 4 cluster with the ARO operator as the built-in tasks read and write it. Each
builder returns plain documents (dicts) the fake validates like the real API server would.
Promoted from the project's own tests (issue #15): see docs/writing-tasks.md, section 4.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from mimo.steps.cluster.operator import DEFAULT_OPERATOR_VERSION
from pytest_mimo.fakes.kube.schemas import crds_dir

__all__ = [
    "DEFAULT_OPERATOR_VERSION",
    "OLD_OPERATOR_VERSION",
    "NAMESPACES",
    "apiserver",
    "aro_cluster",
    "cluster_objects",
    "crd_document",
    "openshift_crds",
    "cluster_operator",
    "cluster_version",
    "ingress_controller",
    "namespace",
    "operator_deployment",
    "pem_bundle",
]

OLD_OPERATOR_VERSION = "v20251101.0"


# -- Kubernetes --------------------------------------------------------------------------------


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def cluster_operator(
    name: str = "kube-apiserver",
    available: str | None = "True",
    progressing: str | None = "False",
    degraded: str | None = "False",
) -> dict[str, Any]:
    conditions = [
        {"type": t, "status": s, "lastTransitionTime": "2026-01-01T00:00:00Z"}
        for t, s in (("Available", available), ("Progressing", progressing), ("Degraded", degraded))
        if s is not None
    ]
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterOperator",
        "metadata": {"name": name},
        "spec": {},
        "status": {"conditions": conditions},
    }


def cluster_version(*history: tuple[str, str]) -> dict[str, Any]:
    """The ``ClusterVersion`` ``version``; ``history`` is ``(version, state)`` newest first, as the
    cluster-version operator keeps ``status.history`` (default: one ``Completed`` 4.16.30).

    Fields as the ClusterVersion CRD requires them (0000_00_cluster-version-operator_01_clusterversions-Default.crd.yaml:
    ``spec.clusterID``; ``status.desired``, ``versionHash``, ``observedGeneration``, ``availableUpdates``;
    each history entry's ``state``, ``startedTime``, ``completionTime``, ``image``, ``verified``).
    """
    entries = history or (("4.16.30", "Completed"),)
    image = "quay.io/openshift-release-dev/ocp-release@sha256:" + "0" * 64
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "ClusterVersion",
        "metadata": {"name": "version"},
        "spec": {"clusterID": "9a5e4c1e-2b44-4f5e-9d1e-6c0a3b2f7d11"},
        "status": {
            "desired": {"version": entries[0][0], "image": image},
            "history": [
                {
                    "version": v,
                    "state": state,
                    "image": image,
                    "verified": False,
                    "startedTime": "2026-01-01T00:00:00Z",
                    "completionTime": "2026-01-01T01:00:00Z" if state == "Completed" else None,
                }
                for v, state in entries
            ],
            "observedGeneration": 1,
            "versionHash": "abcdefghijk=",
            "availableUpdates": None,
        },
    }


def apiserver(named_certificates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"audit": {"profile": "Default"}}
    if named_certificates is not None:
        spec["servingCerts"] = {"namedCertificates": named_certificates}
    return {
        "apiVersion": "config.openshift.io/v1",
        "kind": "APIServer",
        "metadata": {"name": "cluster"},
        "spec": spec,
    }


def ingress_controller(default_certificate: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"replicas": 2, "domain": "apps.mycluster.eastus.aroapp.io"}
    if default_certificate:
        spec["defaultCertificate"] = {"name": default_certificate}
    return {
        "apiVersion": "operator.openshift.io/v1",
        "kind": "IngressController",
        "metadata": {"name": "default", "namespace": "openshift-ingress-operator"},
        "spec": spec,
    }


def aro_cluster(flags: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "resourceId": "/subscriptions/11111111-2222-4333-8444-555555555555/resourcegroups/customer-rg"
        "/providers/microsoft.redhatopenshift/openshiftclusters/mycluster",
        "domain": "mycluster.eastus.aroapp.io",
        "operatorflags": dict(flags or {"aro.imageconfig.enabled": "true"}),
    }
    return {
        "apiVersion": "aro.openshift.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": "cluster"},
        "spec": spec,
    }


def operator_deployment(
    name: str,
    version: str = OLD_OPERATOR_VERSION,
    *,
    acr: str = "arointsvc.azurecr.io",
    replicas: int = 1,
) -> dict[str, Any]:
    """A rolled-out ARO operator Deployment running ``version`` (status as its controller left it)."""
    role = name.rsplit("-", 1)[-1]
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "openshift-azure-operator",
            "labels": {**labels, "version": version},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": f"aro-operator-{role}",
                    "containers": [
                        {
                            "name": "aro-operator",
                            "image": f"{acr}/aro:{version}",
                            "command": ["aro"],
                            "args": ["operator", role],
                        }
                    ],
                },
            },
        },
        "status": {
            "observedGeneration": 1,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "conditions": [{"type": "Available", "status": "True"}],
        },
    }


NAMESPACES = (
    "openshift-config",
    "openshift-ingress",
    "openshift-ingress-operator",
    "openshift-azure-operator",
    "openshift-cloud-credential-operator",
)


#: the CRDs an OpenShift cluster has installed besides the fake's own kinds (their sources in
#: pytest_mimo/fakes/kube/crds/README.md), by CRD name
_CRD_FILES = {
    "servicemonitors.monitoring.coreos.com": "monitoring.coreos.com_servicemonitors.yaml",
    "credentialsrequests.cloudcredential.openshift.io": "0000_03_cloud-credential-operator_01_crd.yaml",
    "previewfeatures.preview.aro.openshift.io": "preview.aro.openshift.io_previewfeatures.yaml",
    "clusters.aro.openshift.io": "aro.openshift.io_clusters.yaml",
}


@functools.cache
def _crd_text(name: str) -> str:
    return (Path(crds_dir()) / _CRD_FILES[name]).read_text()


@functools.cache
def _crd_parsed(name: str) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc: dict[str, Any] = yaml.load(_crd_text(name), Loader=loader)  # noqa: S506 - a safe loader
    return doc


def crd_document(name: str) -> dict[str, Any]:
    """The real CRD ``name`` (``servicemonitors.monitoring.coreos.com``, …) as a document to add
    (a fresh copy each call; the YAML is parsed once per process: a world per replay, or a
    thousand in a simulation, would parse it again each time)."""
    from pytest_mimo.fakes.jsoncopy import json_copy

    return json_copy(_crd_parsed(name))


def openshift_crds() -> list[dict[str, Any]]:
    """The CRDs of other operators a real OpenShift cluster serves and the ARO operator writes objects of:
    prometheus-operator's ``ServiceMonitor`` and cloud-credential-operator's ``CredentialsRequest``."""
    return [crd_document("servicemonitors.monitoring.coreos.com"),
            crd_document("credentialsrequests.cloudcredential.openshift.io")]


def cluster_objects(*, operator_version: str = OLD_OPERATOR_VERSION) -> list[dict[str, Any]]:
    """Everything the built-in tasks read or write in a healthy cluster: the CRDs it serves
    (:func:`openshift_crds`, and the ARO operator's own, as its deployer installed them), the
    ``ClusterVersion``, namespaces, the kube-apiserver operator, ingress, the ``Cluster`` object and
    the operator's Deployments."""
    return [
        *openshift_crds(),
        crd_document("clusters.aro.openshift.io"),
        crd_document("previewfeatures.preview.aro.openshift.io"),
        cluster_version(),
        *(namespace(n) for n in NAMESPACES),
        cluster_operator(),
        apiserver(),
        ingress_controller(),
        aro_cluster(),
        operator_deployment("aro-operator-master", operator_version),
        operator_deployment("aro-operator-worker", operator_version),
    ]


# -- certificates ------------------------------------------------------------------------------

_NOT_BEFORE = dt.datetime(2025, 12, 1, tzinfo=dt.timezone.utc)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: Any, issuer: str, issuer_key: Any, *, ca: bool) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_BEFORE + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def pem_bundle(
    cn: str, *, rsa_key: bool = False, key_last: bool = False, chain_first: bool = False
) -> str:
    """A Key Vault style PEM bundle: the leaf's private key, the leaf for ``cn`` and its issuing CA."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key: Any = (
        rsa.generate_private_key(65537, 2048)
        if rsa_key
        else ec.generate_private_key(ec.SECP256R1())
    )
    ca = _cert("Test Issuing CA", ca_key, "Test Issuing CA", ca_key, ca=True)
    leaf = _cert(cn, leaf_key, "Test Issuing CA", ca_key, ca=False)
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    certs = [leaf, ca] if not chain_first else [ca, leaf]
    cert_pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)
    return cert_pem + key_pem if key_last else key_pem + cert_pem
