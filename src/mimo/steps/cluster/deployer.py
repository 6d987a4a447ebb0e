"""The ARO operator's deployer: what Go's ``deploy.Operator.Update`` writes into a cluster.

Go's ``DeployOperatorIntoCluster`` (``pkg/mimo/steps/cluster/operator.go``) calls the
operator deployer's ``Update`` (``pkg/operator/deploy/deploy.go``): every object of the
operator's static resources (``staticresources/``, templated with the image and version)
and the pull secret, each through ``clienthelper.Ensure`` (create, or update what differs).
:func:`operator_resources` builds the same objects:

* ``Namespace`` ``openshift-azure-operator`` (``namespace.yaml``);
* master: ``ServiceAccount``, ``ClusterRoleBinding`` to ``cluster-admin``, ``Service``,
  ``Deployment`` ``aro-operator-master`` (``master/``);
* worker: ``ServiceAccount``, ``ClusterRole``, ``ClusterRoleBinding``, ``Deployment``
  ``aro-operator-worker`` (``worker/``);
* ``Role`` / ``RoleBinding`` ``prometheus-k8s`` (``prometheus-role*.yaml``);
* ``Secret`` ``openshift-azure-operator/cluster`` holding ``.dockerconfigjson``, the
  cluster's registry profiles as ``pullsecret.SetRegistryProfiles`` writes them;
* for a workload-identity cluster, ``Secret`` ``azure-cloud-credentials`` (the operator
  identity's client ID, the tenant, region, subscription and token file), as
  ``generateOperatorIdentitySecret``.

The Deployments carry the label ``version: <version>`` and the image
``<ACR domain>/aro:<version>``; the pod security settings (``SupportsPodSecurityAdmission``)
are set for clusters of OpenShift 4.11 and later.

Not written, and why (the fake API server, like a cluster without those operators, serves no
such kinds): the ``CustomResourceDefinition``s (``clusters``, ``previewfeatures``; the fake
serves the Cluster CRD as installed), the ``ServiceMonitor`` and the ``CredentialsRequest``.
Go decides pod security from the cluster's ``ClusterVersion`` (``ShouldUsePodSecurityStandard``);
we read the cluster document's ``clusterProfile.version``.

:func:`ensure` is ``Ensure`` made idempotent against a server that defaults fields: an
object is written only when some field we set differs from the stored one (fields the
server added are left alone), so a second run writes nothing.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any

from mimo.context import TaskContext
from mimo.steps.cluster import objects

__all__ = ["OPERATOR_IDENTITY_NAME", "PULL_SECRET_NAME", "ensure", "operator_resources", "pull_secret"]

NAMESPACE = "openshift-azure-operator"
#: ``pkgoperator.SecretName``
PULL_SECRET_NAME = "cluster"
#: ``pkgoperator.OperatorIdentityName`` / ``OperatorIdentitySecretName`` / ``OperatorTokenFile``
OPERATOR_IDENTITY_NAME = "aro-operator"
OPERATOR_IDENTITY_SECRET = "azure-cloud-credentials"
OPERATOR_TOKEN_FILE = "/var/run/secrets/openshift/serviceaccount/token"

Obj = dict[str, Any]


def contains(current: Any, desired: Any) -> bool:
    """Whether every field of ``desired`` is in ``current`` with the same value (lists item by item)."""
    if isinstance(desired, dict):
        return isinstance(current, dict) and all(k in current and contains(current[k], v) for k, v in desired.items())
    if isinstance(desired, list):
        return (
            isinstance(current, list)
            and len(current) == len(desired)
            and all(contains(c, d) for c, d in zip(current, desired, strict=True))
        )
    return bool(current == desired)


def ensure(helper: Any, desired: Obj) -> bool:
    """Create ``desired``, or overwrite what it sets on the stored object when any of it differs; wrote?"""
    from mimo.kube import retry_on_conflict

    meta = desired["metadata"]
    wrote = False

    def attempt() -> None:
        nonlocal wrote
        wrote = False
        current = objects.create_or_get(helper, desired)
        if current is None:
            wrote = True
            return
        body = {k: v for k, v in desired.items() if k not in ("apiVersion", "kind", "metadata")}
        want_meta = {k: meta[k] for k in ("labels", "annotations") if k in meta}
        if contains(current, body) and contains(current.get("metadata") or {}, want_meta):
            return
        updated = copy.deepcopy(current)
        for k, v in body.items():
            updated[k] = copy.deepcopy(v)
        cur_meta = updated.setdefault("metadata", {})
        for k, v in want_meta.items():
            cur_meta[k] = {**(cur_meta.get(k) or {}), **v}
        helper.update(updated)
        wrote = True

    retry_on_conflict(attempt)
    return wrote


def _version_at_least(version: str, major: int, minor: int) -> bool:
    m = re.match(r"^(\d+)\.(\d+)", version or "")
    if m is None:
        return False
    return (int(m.group(1)), int(m.group(2))) >= (major, minor)


def pull_secret(tc: TaskContext) -> str:
    """``pullsecret.Build(oc, "")``: ``{"auths": {<registry>: {"auth": base64(user:password)}}}``."""
    auths: dict[str, Any] = {}
    for rp in tc.get_openshift_cluster_properties().registry_profiles:
        token = base64.b64encode(f"{rp.username}:{rp.password.reveal()}".encode()).decode()
        auths[rp.name] = {"auth": token}
    # Go's encoding/json: map keys sorted, no spaces
    return json.dumps({"auths": auths}, sort_keys=True, separators=(",", ":"))


def _deployment(role: str, image: str, version: str, *, psa: bool, workload_identity: bool) -> Obj:
    name = f"aro-operator-{role}"
    cred = OPERATOR_IDENTITY_SECRET

    def secret_env(var: str, key: str) -> Obj:
        return {"name": var, "valueFrom": {"secretKeyRef": {"name": cred, "key": key}}}

    container: Obj = {
        "command": ["aro"],
        "args": ["operator", role],
        "image": image,
        "name": "aro-operator",
        "resources": {"requests": {"cpu": "10m", "memory": "250Mi" if role == "master" else "100Mi"}},
    }
    if role == "master":  # only the master carries the Azure credentials and the ports
        env: list[Obj] = [secret_env("AZURE_CLIENT_ID", "azure_client_id")]
        if workload_identity:
            env += [{"name": "AZURE_FEDERATED_TOKEN_FILE", "value": OPERATOR_TOKEN_FILE},
                    {"name": "AZURE_TOKEN_CREDENTIALS", "value": "WorkloadIdentityCredential"}]
        else:
            env += [secret_env("AZURE_CLIENT_SECRET", "azure_client_secret"),
                    {"name": "AZURE_TOKEN_CREDENTIALS", "value": "EnvironmentCredential"}]
        env.append(secret_env("AZURE_TENANT_ID", "azure_tenant_id"))
        container["env"] = env
        container["ports"] = [{"containerPort": 8080, "name": "http"},
                              {"containerPort": 8888, "name": "http-metrics"}]
    container["livenessProbe"] = {"httpGet": {"path": "/healthz/ready", "port": 8080}}
    if psa:
        container["securityContext"] = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                        "runAsNonRoot": True}
    workload_identity = workload_identity and role == "master"
    if workload_identity:
        container["volumeMounts"] = [{"mountPath": OPERATOR_TOKEN_FILE.rsplit("/", 1)[0], "name": "bound-sa-token",
                                      "readOnly": True}]
    pod: Obj = {"containers": [container]}
    pod["nodeSelector"] = (
        {"node-role.kubernetes.io/master": ""} if role == "master"
        else {"node-role.kubernetes.io/worker": "", "kubernetes.io/arch": "amd64"}
    )
    if psa:
        pod["securityContext"] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    pod.update({
        "serviceAccountName": name,
        "serviceAccount": name,
        "priorityClassName": "system-cluster-critical",
        "tolerations": [{"effect": "NoExecute", "operator": "Exists"}, {"effect": "NoSchedule", "operator": "Exists"}],
    })
    if workload_identity:
        pod["volumes"] = [{"name": "bound-sa-token", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"audience": "openshift", "expirationSeconds": 3600, "path": "token"}}]}}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app": name, "version": version}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod},
        },
    }


def _binding(kind: str, name: str, role_kind: str, role: str, sa: str, namespace: str | None = None) -> Obj:
    meta: Obj = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": "openshift-monitoring" if sa == "prometheus-k8s"
                      else NAMESPACE}],
    }


def operator_resources(tc: TaskContext, image: str, version: str) -> list[Obj]:
    """The objects Go's ``deploy.Operator.Update`` ensures, in its order (see the module documentation)."""
    props = tc.get_openshift_cluster_properties()
    psa = _version_at_least(props.cluster_profile.version, 4, 11)
    wi = props.platform_workload_identity_profile is not None
    sa = [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": f"aro-operator-{r}", "namespace": NAMESPACE}}
          for r in ("master", "worker")]
    resources: list[Obj] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": NAMESPACE, "labels": {"openshift.io/cluster-monitoring": "true"},
            "annotations": {"openshift.io/node-selector": ""}}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": "prometheus-k8s", "namespace": NAMESPACE},
         "rules": [{"apiGroups": [""], "resources": ["services", "endpoints", "pods"],
                    "verbs": ["get", "list", "watch"]}]},
        _binding("RoleBinding", "prometheus-k8s", "Role", "prometheus-k8s", "prometheus-k8s", NAMESPACE),
        # master/
        _deployment("master", image, version, psa=psa, workload_identity=wi),
        _binding("ClusterRoleBinding", "aro-operator-master", "ClusterRole", "cluster-admin", "aro-operator-master"),
        {"apiVersion": "v1", "kind": "Service", "metadata": {
            "name": "aro-operator-master", "namespace": NAMESPACE, "labels": {"name": "aro-operator-master"}},
         "spec": {"selector": {"app": "aro-operator-master"}, "ports": [
             {"name": "http", "port": 8080, "targetPort": 8080},
             {"name": "http-metrics", "port": 8888, "targetPort": 8888}]}},
        sa[0],
        # worker/
        _deployment("worker", image, version, psa=psa, workload_identity=wi),
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "aro-operator-worker"},
         "rules": [
             {"apiGroups": ["aro.openshift.io"], "resources": ["clusters"], "verbs": ["get", "list", "watch"]},
             {"apiGroups": ["aro.openshift.io"], "resources": ["clusters/status"], "verbs": ["get", "patch", "update"]},
         ]},
        _binding("ClusterRoleBinding", "aro-operator-worker", "ClusterRole", "aro-operator-worker", "aro-operator-worker"),
        sa[1],
    ]
    if wi:
        resources.append(_identity_secret(tc))
    resources.append({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": PULL_SECRET_NAME, "namespace": NAMESPACE},
        "data": {".dockerconfigjson": base64.b64encode(pull_secret(tc).encode()).decode()},
    })
    return resources


def _identity_secret(tc: TaskContext) -> Obj:
    from mimo.errors import TerminalError

    props = tc.get_openshift_cluster_properties()
    identities = (props.platform_workload_identity_profile or {}).get("platformWorkloadIdentities") or {}
    identity = identities.get(OPERATOR_IDENTITY_NAME)
    if not isinstance(identity, dict):
        # Go: fmt.Errorf("operator identity %s not found", ...)
        raise TerminalError(f"operator identity {OPERATOR_IDENTITY_NAME} not found")
    sub = tc.get_subscription_document()
    values = {
        "azure_client_id": str(identity.get("clientId", "")),
        "azure_tenant_id": sub.tenant_id if sub is not None else "",
        "azure_region": tc.get_openshift_cluster_document().location,
        "azure_subscription_id": sub.id if sub is not None else "",
        "azure_federated_token_file": OPERATOR_TOKEN_FILE,
    }
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": OPERATOR_IDENTITY_SECRET, "namespace": NAMESPACE},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}}
