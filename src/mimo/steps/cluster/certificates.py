"""The cluster's signed certificates: copy them from Key Vault and point the cluster at them.

ARO keeps two certificates per managed-domain cluster in the cluster Key
Vault, named after the cluster document ID: ``<uuid>-apiserver`` and
``<uuid>-ingress``. Rotation is three steps:

1. :func:`rotate_managed_certificates` copies each into ``kubernetes.io/tls``
   Secrets (its target namespace and ``openshift-azure-operator``);
2. :func:`ensure_api_server_serving_certificate` makes APIServer ``cluster``
   serve ``api.<managed domain>`` with the first;
3. :func:`ensure_ingress_default_certificate` makes the default
   IngressController serve the second.

With the environment feature ``DisableSignedCertificates`` every step only
records ``signed certificates disabled``; on a custom domain they record
that the certificates are not managed. Neither is an error.
"""

from __future__ import annotations

import base64
from typing import Any

from mimo.context import TaskContext, get_task_context
from mimo.errors import MIMOError, TerminalError, TransientError
from mimo.steps.cluster import objects
from mimo.steps.cluster.domain import managed_domain
from mimo.steps.cluster.pembundle import PEMBundle, PEMBundleError, parse_pem_bundle
from mimo.steps.errors import azure_error, kube_error

__all__ = [
    "FEATURE_DISABLE_SIGNED_CERTIFICATES",
    "OPERATOR_NAMESPACE",
    "apiserver_certificate_name",
    "ingress_certificate_name",
    "rotate_managed_certificates",
    "ensure_api_server_serving_certificate",
    "ensure_ingress_default_certificate",
    "tls_secret",
]

FEATURE_DISABLE_SIGNED_CERTIFICATES = "DisableSignedCertificates"
OPERATOR_NAMESPACE = "openshift-azure-operator"


def apiserver_certificate_name(tc: TaskContext) -> str:
    return f"{tc.get_cluster_uuid()}-apiserver"


def ingress_certificate_name(tc: TaskContext) -> str:
    return f"{tc.get_cluster_uuid()}-ingress"


def _signed_certificates_disabled(tc: TaskContext) -> bool:
    if tc.environment().feature_is_set(FEATURE_DISABLE_SIGNED_CERTIFICATES):
        tc.set_result_message("signed certificates disabled")
        return True
    return False


def tls_secret(name: str, namespace: str, bundle: PEMBundle) -> dict[str, Any]:
    """A ``kubernetes.io/tls`` Secret holding ``bundle``."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "kubernetes.io/tls",
        "data": {
            "tls.crt": base64.b64encode(bundle.chain_pem).decode("ascii"),
            "tls.key": base64.b64encode(bundle.key_pem).decode("ascii"),
        },
    }


def _read_bundle(keyvault: Any, secret_name: str) -> PEMBundle:
    try:
        value = keyvault.get_secret(secret_name).value
    except Exception as e:
        raise azure_error(e) from e
    try:
        return parse_pem_bundle(value or "")
    except PEMBundleError as e:
        raise TerminalError(
            f"Key Vault secret {secret_name} is not a usable PEM bundle: {e}"
        ) from e


def _copy_certificate(
    tc: TaskContext, keyvault: Any, helper: Any, name: str, namespace: str
) -> None:
    """Key Vault secret ``name`` into Secret ``name`` in ``namespace`` and the operator's namespace.

    Logs Go's lines (``RotateManagedCertificates``, ``pkg/mimo/steps/cluster/tls.go``):
    ``failed to load <name> from keyvault: <err>``, ``failed to save <name>: <err>``, and
    ``clienthelper.Ensure``'s ``Create Secret/<ns>/<name>`` / ``Update Secret/<ns>/<name>: <scrubbed>``.
    """
    log = tc.log()
    try:
        bundle = _read_bundle(keyvault, name)
    except MIMOError as e:
        log.error("failed to load %s from keyvault: %s", name, e.cause_text)
        raise
    for target in (namespace, OPERATOR_NAMESPACE):
        try:
            did = objects.ensure_verb(helper, tls_secret(name, target, bundle), fields=("type", "data"))
        except Exception as e:
            err = kube_error(e, not_found_is_terminal=False)
            log.error("failed to save %s: %s", name, err.cause_text)
            raise err from e
        if did == "Create":
            log.info("Create Secret/%s/%s", target, name)
        elif did == "Update":
            log.info("Update Secret/%s/%s: <scrubbed>", target, name)


def rotate_managed_certificates(tc: TaskContext) -> None:
    """Copy the API server and ingress certificates from Key Vault into the cluster.

    One certificate failing does not stop the other. Failures are reported
    together, naming each certificate: transient, unless every failure is a
    Key Vault bundle that does not parse (terminal: a human must fix the
    secret, and a retry would change nothing).
    """
    tc = get_task_context(tc)
    if _signed_certificates_disabled(tc):
        return
    if not managed_domain(tc):
        tc.set_result_message("cluster certificates are not managed")
        return

    try:
        keyvault = tc.cluster_keyvault()
    except Exception as e:
        raise azure_error(e) from e
    try:
        helper = tc.client_helper()
    except Exception as e:
        raise kube_error(e) from e

    failures: list[tuple[str, MIMOError]] = []
    for name, target_namespace in (
        (apiserver_certificate_name(tc), "openshift-config"),
        (ingress_certificate_name(tc), "openshift-ingress"),
    ):
        try:
            _copy_certificate(tc, keyvault, helper, name, target_namespace)
        except MIMOError as e:
            failures.append((name, e))

    if failures:
        text = "certificates not rotated: " + "; ".join(f"{n}: {e.cause_text}" for n, e in failures)
        # terminal only when nothing would change on a retry: a transient failure
        # next to a broken bundle still deserves the retry that heals it
        terminal = all(isinstance(e, TerminalError) for _, e in failures)
        err: MIMOError = TerminalError(text) if terminal else TransientError(text)
        raise err from failures[0][1]


def ensure_api_server_serving_certificate(tc: TaskContext) -> None:
    """Make APIServer ``cluster`` serve ``api.<managed domain>`` with ``<uuid>-apiserver``."""
    tc = get_task_context(tc)
    if _signed_certificates_disabled(tc):
        return
    domain = managed_domain(tc)
    if not domain:
        tc.set_result_message("apiserver certificate is not managed")
        return

    wanted = [
        {"names": [f"api.{domain}"], "servingCertificate": {"name": apiserver_certificate_name(tc)}}
    ]

    def serve_managed_certificate(apiserver: dict[str, Any]) -> None:
        spec = apiserver.setdefault("spec", {})
        serving = spec.get("servingCerts") or {}
        serving["namedCertificates"] = wanted
        spec["servingCerts"] = serving

    try:
        objects.modify(
            tc.client_helper(),
            "config.openshift.io/v1",
            "APIServer",
            "cluster",
            serve_managed_certificate,
        )
    except Exception as e:
        raise kube_error(e) from e


def ensure_ingress_default_certificate(tc: TaskContext) -> None:
    """Make IngressController ``openshift-ingress-operator/default`` serve ``<uuid>-ingress``."""
    tc = get_task_context(tc)
    if _signed_certificates_disabled(tc):
        return
    if not managed_domain(tc):
        tc.set_result_message("cluster certificate is not managed")  # Go's words, singular here
        return

    name = ingress_certificate_name(tc)

    def use_managed_certificate(ingress: dict[str, Any]) -> None:
        spec = ingress.setdefault("spec", {})
        default = spec.get("defaultCertificate") or {}
        default["name"] = name
        spec["defaultCertificate"] = default

    try:
        objects.modify(
            tc.client_helper(),
            "operator.openshift.io/v1",
            "IngressController",
            "default",
            use_managed_certificate,
            namespace="openshift-ingress-operator",
        )
    except Exception as e:
        raise kube_error(e) from e
