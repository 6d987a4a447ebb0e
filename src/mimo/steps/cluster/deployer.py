"""The ARO operator's deployer: what Go's ``deploy.Operator.Update`` writes into a cluster.

Go's ``DeployOperatorIntoCluster`` (``pkg/mimo/steps/cluster/operator.go``) calls the
operator deployer's ``Update`` (``pkg/operator/deploy/deploy.go``): every object of the
operator's static resources (``staticresources/``, templated with the image and version)
and the pull secret, put in ``dynamichelper.Prepare``'s create order and each written
through ``clienthelper.Ensure`` (create, or update what differs); after a
``CustomResourceDefinition`` it waits (``wait.PollImmediate(time.Second, time.Minute, …)``)
until the CRD is ``Established`` and ``NamesAccepted`` (``isCRDEstablished``).
:func:`operator_resources` builds the same objects:

* the CRDs ``clusters.aro.openshift.io`` and ``previewfeatures.preview.aro.openshift.io``
  (shipped unchanged in ``staticresources/``);
* ``Namespace`` ``openshift-azure-operator`` (``namespace.yaml``);
* ``CredentialsRequest`` ``openshift-cloud-credential-operator/openshift-azure-operator``
  with its ``cloudcredential.openshift.io/deprovision`` finalizer (``credentialsrequest.yaml``);
* master: ``ServiceAccount``, ``ClusterRoleBinding`` to ``cluster-admin``, ``Service``,
  ``ServiceMonitor``, ``Deployment`` ``aro-operator-master`` (``master/``);
* worker: ``ServiceAccount``, ``ClusterRole``, ``ClusterRoleBinding``, ``Deployment``
  ``aro-operator-worker`` (``worker/``);
* ``Role`` / ``RoleBinding`` ``prometheus-k8s`` (``prometheus-role*.yaml``);
* ``Secret`` ``openshift-azure-operator/cluster`` holding ``.dockerconfigjson``, the
  cluster's registry profiles as ``pullsecret.Build`` writes them;
* for a workload-identity cluster, ``Secret`` ``azure-cloud-credentials`` (the operator
  identity's client ID, the tenant, region, subscription and token file), as
  ``generateOperatorIdentitySecret``.

The order is Go's ``createOrder`` (``pkg/util/dynamichelper/createorder.go``, a stable sort):
CRDs, ClusterRoles, ClusterRoleBindings, Namespaces, Secrets, ServiceAccounts, then the rest;
within a rank, the templates' file order (Go's is ``template.Templates()``'s map order).

The Deployments carry the label ``version: <version>`` and the image
``<ACR domain>/aro:<version>``; the pod security settings (``SupportsPodSecurityAdmission``)
are set when the cluster's ``ClusterVersion`` says 4.11 or later (Go's
``ShouldUsePodSecurityStandard`` and ``version.GetClusterVersion``: the first ``Completed``
entry of ``status.history``, else the first entry; :func:`cluster_version`).

:func:`ensure` is ``Ensure`` made idempotent against a server that defaults fields: an
object is written only when some field we set differs from the stored one (fields the
server or another controller added are left alone, where Go's ``Merge`` replaces the whole
object), so a second run writes nothing.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
from importlib import resources as importlib_resources
from typing import Any

from mimo.context import TaskContext
from mimo.steps.cluster import objects

__all__ = [
    "CRD_NAMES",
    "OPERATOR_IDENTITY_NAME",
    "PULL_SECRET_NAME",
    "cluster_version",
    "crd_established",
    "create_order",
    "ensure",
    "object_key",
    "operator_resources",
    "pull_secret",
    "uses_pod_security_standard",
]

NAMESPACE = "openshift-azure-operator"
#: ``pkgoperator.SecretName``
PULL_SECRET_NAME = "cluster"
#: ``pkgoperator.OperatorIdentityName`` / ``OperatorIdentitySecretName`` / ``OperatorTokenFile``
OPERATOR_IDENTITY_NAME = "aro-operator"
OPERATOR_IDENTITY_SECRET = "azure-cloud-credentials"
OPERATOR_TOKEN_FILE = "/var/run/secrets/openshift/serviceaccount/token"
CREDENTIALS_REQUEST_NAMESPACE = "openshift-cloud-credential-operator"

#: the CRDs of ``staticresources/``, by CRD name (the shipped file of each)
CRD_NAMES = {
    "clusters.aro.openshift.io": "aro.openshift.io_clusters.yaml",
    "previewfeatures.preview.aro.openshift.io": "preview.aro.openshift.io_previewfeatures.yaml",
}
#: ``pkgoperator.clusterVersionForPodSecurityStandard``
POD_SECURITY_STANDARD_VERSION = (4, 11, 0)

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


def object_key(obj: Obj) -> str:
    """Go's ``clienthelper.keyFunc``: ``Kind.group/namespace/name`` (no group for the core API)."""
    group = obj["apiVersion"].rpartition("/")[0]
    meta = obj["metadata"]
    key = f"{obj['kind']}.{group}" if group else obj["kind"]
    if meta.get("namespace"):
        key += "/" + meta["namespace"]
    return f"{key}/{meta['name']}"


def ensure(helper: Any, desired: Obj) -> str | None:
    """Create ``desired``, or overwrite what it sets on the stored object when any of it differs.

    Returns ``"Create"``, ``"Update"`` or ``None`` (nothing written). Labels and annotations are
    merged into the stored ones, missing finalizers appended; ``generation`` (which Go's
    ``Merge`` copies from the stored object) is never compared.
    """
    meta = desired["metadata"]
    body = {k: v for k, v in desired.items() if k not in ("apiVersion", "kind", "metadata", "status")}
    want_meta = {k: meta[k] for k in ("labels", "annotations") if k in meta}

    def merge(updated: Obj) -> None:
        # ``updated`` is still the stored object here: when it holds all of ``desired`` it is
        # left as it is (a stored list item with more fields than ours counts as holding it)
        cur_meta = updated.get("metadata") or {}
        missing_finalizers = [f for f in meta.get("finalizers") or () if f not in (cur_meta.get("finalizers") or ())]
        if contains(updated, body) and contains(cur_meta, want_meta) and not missing_finalizers:
            return
        for k, v in body.items():
            updated[k] = copy.deepcopy(v)
        new_meta = updated.setdefault("metadata", {})
        for k, v in want_meta.items():
            new_meta[k] = {**(new_meta.get(k) or {}), **v}
        if missing_finalizers:
            new_meta["finalizers"] = [*(new_meta.get("finalizers") or ()), *missing_finalizers]

    return objects.ensure_merged(helper, desired, merge)


def crd_established(crd: Obj) -> bool:
    """Go's ``isCRDEstablished``: conditions ``Established`` and ``NamesAccepted`` both ``True``."""
    status = {c.get("type"): c.get("status") for c in (crd.get("status") or {}).get("conditions") or ()}
    return status.get("Established") == "True" and status.get("NamesAccepted") == "True"


_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(.*)", re.DOTALL)


def _parse_version(text: str) -> tuple[int, int, int]:
    """Go's ``version.ParseVersion`` (``pkg/api/util/version``): ``X.Y.Z`` and any suffix."""
    m = _VERSION.match(text.strip())
    if m is None:
        raise ValueError(f"could not parse version {json.dumps(text)}")
    for g in m.groups()[:3]:
        if int(g) > 0xFFFFFFFF:  # Go's strconv.ParseUint(…, 10, 32)
            raise ValueError(f'strconv.ParseUint: parsing "{g}": value out of range')
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def cluster_version(cv: Obj | None) -> tuple[int, int, int]:
    """Go's ``version.GetClusterVersion``: the first ``Completed`` history entry, else the first.

    ``ValueError("unknown cluster version")`` without a history, ``could not parse version "…"``
    for a version that is not ``X.Y.Z…``.
    """
    history = ((cv or {}).get("status") or {}).get("history") or []
    for entry in history:
        if entry.get("state") == "Completed":
            return _parse_version(str(entry.get("version") or ""))
    if history:
        return _parse_version(str(history[0].get("version") or ""))
    raise ValueError("unknown cluster version")


def uses_pod_security_standard(helper: Any) -> bool:
    """Go's ``ShouldUsePodSecurityStandard``: the ``ClusterVersion`` ``version`` says 4.11 or later.

    The client's error when the object cannot be read (``…"version" not found``); ``ValueError``
    as :func:`cluster_version`.
    """
    cv = helper.get_one("config.openshift.io/v1", "ClusterVersion", "version")
    return cluster_version(cv) >= POD_SECURITY_STANDARD_VERSION


@functools.cache
def _crd_text(name: str) -> str:
    return (importlib_resources.files("mimo.steps.cluster") / "staticresources" / CRD_NAMES[name]).read_text()


def _crd(name: str) -> Obj:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc: Obj = yaml.load(_crd_text(name), Loader=loader)  # noqa: S506 - a safe loader
    return doc


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


#: Go's ``createOrderMap`` (``pkg/util/dynamichelper/createorder.go``); every other kind ranks 0
_CREATE_ORDER = {
    ("apiextensions.k8s.io", "CustomResourceDefinition"): -9,
    ("rbac.authorization.k8s.io", "ClusterRole"): -7,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): -6,
    ("security.openshift.io", "SecurityContextConstraints"): -5,
    ("", "Namespace"): -4,
    ("", "ConfigMap"): -3,
    ("", "Secret"): -2,
    ("", "ServiceAccount"): -1,
}


def create_order(resources: list[Obj]) -> list[Obj]:
    """Go's ``dynamichelper.Prepare`` order: a stable sort by :data:`_CREATE_ORDER` rank.

    (``Prepare`` also annotates Deployments with the hash of each Secret or ConfigMap they mount
    as a volume; the operator's Deployments mount none, so that changes nothing here.)
    """
    def rank(obj: Obj) -> int:
        return _CREATE_ORDER.get((obj["apiVersion"].rpartition("/")[0], obj["kind"]), 0)

    return sorted(resources, key=rank)


def _credentials_request() -> Obj:
    """``staticresources/credentialsrequest.yaml``."""
    permissions = [
        "Microsoft.Storage/storageAccounts/listKeys/action",
        "Microsoft.Storage/storageAccounts/read",
        "Microsoft.Network/virtualNetworks/subnets/read",
        "Microsoft.Network/virtualNetworks/subnets/write",
        "Microsoft.Network/natGateways/join/action",
        "Microsoft.Network/routeTables/join/action",
        "Microsoft.Network/networkSecurityGroups/join/action",
        "Microsoft.Network/serviceEndpointPolicies/join/action",
        "Microsoft.Network/networkIntentPolicies/join/action",
        "Microsoft.Network/networkManagers/ipamPools/associateResourcesToPool/action",
    ]
    return {
        "apiVersion": "cloudcredential.openshift.io/v1",
        "kind": "CredentialsRequest",
        "metadata": {
            "annotations": {
                "exclude.release.openshift.io/internal-openshift-hosted": "true",
                "include.release.openshift.io/self-managed-high-availability": "true",
            },
            "finalizers": ["cloudcredential.openshift.io/deprovision"],
            "generation": 1,
            "labels": {"controller-tools.k8s.io": "1.0"},
            "name": "openshift-azure-operator",
            "namespace": CREDENTIALS_REQUEST_NAMESPACE,
        },
        "spec": {
            "providerSpec": {
                "apiVersion": "cloudcredential.openshift.io/v1",
                "kind": "AzureProviderSpec",
                "permissions": permissions,
            },
            "secretRef": {"name": OPERATOR_IDENTITY_SECRET, "namespace": NAMESPACE},
            "serviceAccountNames": ["aro-operator-master"],
        },
    }


def operator_resources(tc: TaskContext, image: str, version: str) -> list[Obj]:
    """The objects Go's ``deploy.Operator.Update`` ensures, in its order (see the module documentation).

    Reads the cluster's ``ClusterVersion`` (:func:`uses_pod_security_standard`); its errors, and
    a workload-identity cluster without the operator identity, raise before anything is written.
    """
    props = tc.get_openshift_cluster_properties()
    psa = uses_pod_security_standard(tc.client_helper())
    wi = props.platform_workload_identity_profile is not None
    sa = [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": f"aro-operator-{r}", "namespace": NAMESPACE}}
          for r in ("master", "worker")]
    resources: list[Obj] = [
        # staticresources/*.yaml
        _crd("clusters.aro.openshift.io"),
        _credentials_request(),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": NAMESPACE, "labels": {"openshift.io/cluster-monitoring": "true"},
            "annotations": {"openshift.io/node-selector": ""}}},
        _crd("previewfeatures.preview.aro.openshift.io"),
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
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
         "metadata": {"name": "aro-operator-master", "namespace": NAMESPACE},
         "spec": {"selector": {"matchLabels": {"name": "aro-operator-master"}},
                  "endpoints": [{"port": "http-metrics"}]}},
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
    return create_order(resources)


def _identity_secret(tc: TaskContext) -> Obj:
    props = tc.get_openshift_cluster_properties()
    identities = (props.platform_workload_identity_profile or {}).get("platformWorkloadIdentities") or {}
    identity = identities.get(OPERATOR_IDENTITY_NAME)
    if not isinstance(identity, dict):
        # Go: fmt.Errorf("operator identity %s not found", ...), which DeployOperatorIntoCluster
        # returns as mimo.TransientError("failed updating operator: …")
        raise ValueError(f"operator identity {OPERATOR_IDENTITY_NAME} not found")
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
