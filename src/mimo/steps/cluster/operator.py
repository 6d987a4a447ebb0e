"""The ARO operator: its flags, its version, its Deployments and the ``Cluster`` object.

The operator runs as two Deployments in ``openshift-azure-operator``
(``aro-operator-master`` and ``aro-operator-worker``, container
``aro-operator``) and reads its configuration from the cluster-scoped
``aro.openshift.io/v1alpha1`` ``Cluster`` named ``cluster``.

**Which version.** The cluster document's ``operatorVersion`` pins a version;
empty means "the runtime's default", :data:`DEFAULT_OPERATOR_VERSION`.
The image of a version is ``<ACR domain>/aro:<version>``, from the region's
Azure Container Registry (as in the reference system); a rolled Deployment
also carries the label ``version: <version>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from mimo.api import OpenShiftClusterDocument
from mimo.context import TaskContext, get_task_context
from mimo.errors import MIMOError, TerminalError, TransientError
from mimo.runner import StepFunc
from mimo.steps.cluster import objects
from mimo.steps.errors import kube_error, store_error

__all__ = [
    "DEFAULT_OPERATOR_VERSION",
    "OPERATOR_NAMESPACE",
    "OPERATOR_DEPLOYMENTS",
    "OPERATOR_CONTAINER",
    "desired_operator_version",
    "operator_image",
    "deployment_is_ready",
    "update_cluster_operator_flags",
    "set_operator_flags",
    "reset_operator_version",
    "roll_operator_deployments",
    "deploy_operator_into_cluster",
    "aro_operator_ready",
    "aro_operator_running_desired_version",
    "sync_cluster_object",
]

#: the operator version the runtime deploys when the document pins none
DEFAULT_OPERATOR_VERSION = "v20260105.0"
OPERATOR_NAMESPACE = "openshift-azure-operator"
OPERATOR_DEPLOYMENTS = ("aro-operator-master", "aro-operator-worker")
OPERATOR_CONTAINER = "aro-operator"

_CLUSTER = ("aro.openshift.io/v1alpha1", "Cluster", "cluster")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def desired_operator_version(tc: TaskContext) -> str:
    """The document's pinned version, or the runtime default; terminal if it cannot be an image tag."""
    version = tc.get_openshift_cluster_properties().operator_version or DEFAULT_OPERATOR_VERSION
    if not _IMAGE_TAG.match(version):
        raise TerminalError(f"operator version {version!r} is not a valid image tag")
    return version


def operator_image(tc: TaskContext) -> str:
    """``<ACR domain>/aro:<desired version>``."""
    return f"{tc.environment().acr_domain}/aro:{desired_operator_version(tc)}"


# -- the Cluster object ------------------------------------------------------------------------


def _modify_cluster_object(tc: TaskContext, spec_fields: Mapping[str, Any]) -> None:
    def apply(cluster: dict[str, Any]) -> None:
        spec = cluster.setdefault("spec", {})
        for key, value in spec_fields.items():
            spec[key] = value

    try:
        objects.modify(tc.client_helper(), *_CLUSTER, apply)
    except Exception as e:
        raise kube_error(e) from e


def update_cluster_operator_flags(tc: TaskContext) -> None:
    """Set the ``Cluster`` object's ``spec.operatorflags`` to the document's flags (replace, not merge).

    The field is ``operatorflags``, lower case, as the ARO Cluster CRD names it
    (``aro.openshift.io_clusters.yaml``); a real API server prunes any other spelling.
    """
    tc = get_task_context(tc)
    flags = dict(tc.get_openshift_cluster_properties().operator_flags)
    _modify_cluster_object(tc, {"operatorflags": flags})


def sync_cluster_object(tc: TaskContext) -> None:
    """Go's ``SyncClusterObject`` step: the deployer's ``SyncClusterObject`` (:mod:`.clusterobject`).

    The whole ``Cluster`` spec Go's ``clusterObject`` builds from the document and the RP's
    environment (resource ID, domain, ACR, cloud, network, gateway, the document's operator flags
    with ``aro.environment``) is ensured: created when missing (``Create Cluster.aro.openshift.io/cluster``),
    else updated when it differs (``Update …: changed``). Go's errors, building or writing, are
    ``TransientError: failed syncing cluster resource: …``; an RP value the object needs and the
    environment lacks, or a malformed document field, is terminal and named.
    """
    from mimo.steps.cluster.clusterobject import (
        CLUSTER_KEY,
        ClusterObjectError,
        cluster_spec,
        ensure_cluster_object,
    )

    tc = get_task_context(tc)
    try:
        spec = cluster_spec(tc)
        did = ensure_cluster_object(tc.client_helper(), spec)
    except MIMOError:
        raise
    except ClusterObjectError as e:
        raise TransientError(f"failed syncing cluster resource: {e}") from e
    except Exception as e:
        raise TransientError(f"failed syncing cluster resource: {_go_error_text(e)}") from e
    if did == "Create":
        tc.log().info("Create %s", CLUSTER_KEY)
    elif did == "Update":
        tc.log().info("Update %s: %s", CLUSTER_KEY, "changed")


# -- the cluster document ----------------------------------------------------------------------


def _patch_document(tc: TaskContext, mutate: Any) -> None:
    try:
        tc.patch_openshift_cluster_document(mutate)
    except Exception as e:
        raise store_error(e) from e


def set_operator_flags(flags: Mapping[str, str], *, name: str = "set_operator_flags") -> StepFunc:
    """A step that sets ``flags`` in the cluster document (other flags kept); no write if already set."""
    wanted = dict(flags)

    def step(tc: TaskContext) -> None:
        tc = get_task_context(tc)
        current = tc.get_openshift_cluster_properties().operator_flags
        if all(current.get(k) == v for k, v in wanted.items()):
            return

        def apply(doc: OpenShiftClusterDocument) -> None:
            doc.properties.operator_flags.update(wanted)

        _patch_document(tc, apply)

    step.__name__ = step.__qualname__ = name
    return step


def reset_operator_version(tc: TaskContext) -> None:
    """Clear the document's operator version, so the operator follows the runtime's default."""
    tc = get_task_context(tc)
    if not tc.get_openshift_cluster_properties().operator_version:
        return

    def apply(doc: OpenShiftClusterDocument) -> None:
        doc.properties.operator_version = ""

    _patch_document(tc, apply)


# -- the Deployments ---------------------------------------------------------------------------


def deployment_is_ready(deployment: dict[str, Any]) -> bool:
    """Go's ``ready.DeploymentIsReady``: this generation observed, every replica there, updated and available."""
    spec_replicas = (deployment.get("spec") or {}).get("replicas")
    replicas = 1 if spec_replicas is None else int(spec_replicas)
    status = deployment.get("status") or {}
    generation = (deployment.get("metadata") or {}).get("generation")
    return (
        status.get("observedGeneration") == generation
        and int(status.get("updatedReplicas") or 0) == replicas
        and int(status.get("availableReplicas") or 0) == replicas
        and int(status.get("replicas") or 0) == replicas
    )


def _operator_container(deployment: dict[str, Any]) -> dict[str, Any]:
    """The ``aro-operator`` container of ``deployment`` (itself, not a copy); terminal if absent."""
    pod_spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    for c in pod_spec.get("containers") or []:
        if c.get("name") == OPERATOR_CONTAINER:
            return c  # type: ignore[no-any-return]
    name = (deployment.get("metadata") or {}).get("name", "")
    raise TerminalError(
        f"deployment {OPERATOR_NAMESPACE}/{name} has no container {OPERATOR_CONTAINER}"
    )


def _roll_to(version: str, image: str) -> Callable[[dict[str, Any]], None]:
    def roll(deployment: dict[str, Any]) -> None:
        _operator_container(deployment)["image"] = image
        meta = deployment.setdefault("metadata", {})
        meta["labels"] = {**(meta.get("labels") or {}), "version": version}

    return roll


def roll_operator_deployments(tc: TaskContext) -> None:
    """Point both operator Deployments at the image of the desired version.

    A missing Deployment, or one without the ``aro-operator`` container, is
    terminal: the operator is not installed as MIMO expects.
    """
    tc = get_task_context(tc)
    version = desired_operator_version(tc)
    image = operator_image(tc)
    roll = _roll_to(version, image)
    try:
        helper = tc.client_helper()
        for name in OPERATOR_DEPLOYMENTS:
            if objects.modify(
                helper, "apps/v1", "Deployment", name, roll, namespace=OPERATOR_NAMESPACE
            ):
                tc.log().info("rolled %s/%s to %s", OPERATOR_NAMESPACE, name, image)
    except Exception as e:
        raise kube_error(e) from e


#: Go's ``applyDeployment``: ``wait.PollImmediate(time.Second, time.Minute, …)`` after a CRD
CRD_POLL_INTERVAL = 1.0
CRD_TIMEOUT = 60.0


def _wait_crd_established(tc: TaskContext, helper: Any, name: str) -> None:
    """Poll the CRD ``name`` on the task's clock until :func:`~.deployer.crd_established`.

    As ``wait.PollImmediate``: checked at once, then every second; a read error ends the wait
    with that error; after a minute ``timed out waiting for the condition`` (``wait.ErrWaitTimeout``).
    """
    from mimo.steps.cluster.deployer import crd_established

    start = tc.now()
    while True:
        crd = helper.get_one("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
        if crd_established(crd):
            return
        waited = (tc.now() - start).total_seconds()
        if waited >= CRD_TIMEOUT:
            raise _WaitTimeout("timed out waiting for the condition")
        tc.sleep(min(CRD_POLL_INTERVAL, CRD_TIMEOUT - waited))


class _WaitTimeout(Exception):
    """``wait.ErrWaitTimeout``."""


def _go_error_text(e: BaseException) -> str:
    """The text Go's client would give: the API's Status message, ``no matches for kind …`` for
    a kind the server does not serve (``meta.NoKindMatchError``), else the error's first line."""
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    from mimo.steps.errors import describe

    if isinstance(e, ResourceNotFoundError):
        m = re.search(r"'api_version': '([^']*)', 'kind': '([^']*)'", str(e))
        if m:
            return f'no matches for kind "{m.group(2)}" in version "{m.group(1)}"'
    return describe(e)


def deploy_operator_into_cluster(tc: TaskContext) -> None:
    """Go's ``DeployOperatorIntoCluster``: the operator deployer's ``Update`` (see :mod:`.deployer`).

    Every object of the operator's static resources and its pull secret is created or brought
    to what the deployer writes, in Go's create order, the Deployments at the desired version's
    image; after each ``CustomResourceDefinition``, a wait (on the task's clock, 1 s polls, 1 min)
    until it is ``Established`` and ``NamesAccepted``. Logs Go's ``clienthelper`` lines
    (``Create <key>``, ``Update <key>``; a Secret's diff ``<scrubbed>``). As Go, any failure is
    ``TransientError: failed updating operator: …`` (a version that cannot be an image tag stays
    terminal: Go has no such check).
    """
    from mimo.steps.cluster.deployer import ensure, object_key, operator_resources

    tc = get_task_context(tc)
    version = desired_operator_version(tc)
    image = operator_image(tc)
    try:
        helper = tc.client_helper()
        for obj in operator_resources(tc, image, version):
            did = ensure(helper, obj)
            if did == "Create":
                tc.log().info("Create %s", object_key(obj))
            elif did == "Update":
                tc.log().info("Update %s: %s", object_key(obj), "<scrubbed>" if obj["kind"] == "Secret" else "changed")
            if obj["kind"] == "CustomResourceDefinition":
                _wait_crd_established(tc, helper, obj["metadata"]["name"])
    except MIMOError:
        raise
    except Exception as e:
        raise TransientError(f"failed updating operator: {_go_error_text(e)}") from e


def _operator_deployments(tc: TaskContext) -> list[dict[str, Any] | None]:
    """Both operator Deployments, ``None`` for one that does not exist."""
    try:
        helper = tc.client_helper()
        return [
            objects.get_or_none(helper, "apps/v1", "Deployment", name, OPERATOR_NAMESPACE)
            for name in OPERATOR_DEPLOYMENTS
        ]
    except Exception as e:
        raise kube_error(e) from e


#: the JSON fields of Go's ``appsv1.DeploymentStatus``, in struct order;
#: ``True``: ``omitempty`` on a value (a zero is left out), ``False``: always written or a pointer
_DEPLOYMENT_STATUS = (("observedGeneration", True), ("replicas", True), ("updatedReplicas", True),
                      ("readyReplicas", True), ("availableReplicas", True), ("unavailableReplicas", True),
                      ("terminatingReplicas", False), ("conditions", True), ("collisionCount", False))
#: ``DeploymentCondition``: type and status always, the ``metav1.Time``s
#: ``null`` when unset (``omitempty`` leaves no struct out), reason and message ``omitempty``
_CONDITION_TIMES = {"Deployment": ("lastUpdateTime", "lastTransitionTime")}


def _go_status_json(kind: str, status: Mapping[str, Any]) -> str:
    """``json.Marshal`` of a Deployment's ``status`` as Go's struct writes it."""
    out: dict[str, Any] = {}
    for key, omitempty in _DEPLOYMENT_STATUS:
        value = status.get(key)
        if key == "conditions":
            if value:
                out[key] = [_go_condition(kind, c) for c in value]
        elif value is None:
            continue
        elif not (omitempty and value == 0):
            out[key] = value
    return json.dumps(out, separators=(",", ":"))


def _go_condition(kind: str, c: Mapping[str, Any]) -> dict[str, Any]:
    cond: dict[str, Any] = {"type": c.get("type", ""), "status": c.get("status", "")}
    for t in _CONDITION_TIMES[kind]:
        cond[t] = c.get(t) or None
    for k in ("reason", "message"):
        if c.get(k):
            cond[k] = c[k]
    return cond


def _log_not_ready(tc: TaskContext, name: str, d: dict[str, Any] | None) -> None:
    """Go's ``IsReady`` lines for a Deployment that is not ready: its status, or ``failed to get
    deployment`` when it does not exist (from the read just made; Go reads it again, and lists its
    ReplicaSets and Pods, which this condition does not: README, Go differences)."""
    if d is None:
        tc.log().error('failed to get deployment "%s": deployments.apps "%s" not found', name, name)
        return
    tc.log().info('deployment "%s" status: %s', name, _go_status_json("Deployment", d.get("status") or {}))


def aro_operator_ready(tc: TaskContext) -> bool:
    """Condition, Go's ``deploy.Operator.IsReady``: both operator Deployments exist and are rolled out.

    Logs Go's lines: ``deployment "aro-operator-master" ok status is: true, err is: <nil>`` for each;
    for one that is not ready, its status as Go's ``json.Marshal`` writes it (or
    ``failed to get deployment "…": …`` when it does not exist).
    """
    tc = get_task_context(tc)
    try:
        deployments = _operator_deployments(tc)
    except MIMOError as e:
        raise TransientError(f"error when checking Operator readiness: {e.cause_text}") from e
    ok_all = True
    for name, d in zip(OPERATOR_DEPLOYMENTS, deployments, strict=True):
        ok = d is not None and deployment_is_ready(d)
        tc.log().info('deployment "%s" ok status is: %s, err is: <nil>', name, "true" if ok else "false")
        ok_all = ok_all and ok
        if not ok:
            _log_not_ready(tc, name, d)
    return ok_all


def _pod_image_tag(tc: TaskContext, role: str) -> str:
    """Go's ``checkPodImageVersion``: the tag of the first container's image of the last Pod
    labelled ``app=<role>`` that has one (``latest`` when none does)."""
    pods = tc.client_helper().list("v1", "Pod", OPERATOR_NAMESPACE, label_selector=f"app={role}")
    tag = "latest"
    for pod in pods:
        containers = (pod.get("spec") or {}).get("containers") or [{}]
        image = str(containers[0].get("image") or "")
        if ":" in image:
            tag = image.split(":")[-1]
    return tag


def aro_operator_running_desired_version(tc: TaskContext) -> bool:
    """Condition, Go's ``deploy.Operator.IsRunningDesiredVersion``: for the master, then the worker,
    the Deployment's ``version`` label is the desired version (a Deployment not found: not yet)
    and so is the image tag its Pods run (``checkPodImageVersion``)."""
    tc = get_task_context(tc)
    version = desired_operator_version(tc)
    try:
        for name in OPERATOR_DEPLOYMENTS:
            d = objects.get_or_none(tc.client_helper(), "apps/v1", "Deployment", name, OPERATOR_NAMESPACE)
            if d is None or ((d.get("metadata") or {}).get("labels") or {}).get("version") != version:
                return False
            if _pod_image_tag(tc, name) != version:
                return False
    except MIMOError:
        raise
    except Exception as e:
        raise TransientError(f"error when checking if Operator is desired version: {_go_error_text(e)}") from e
    return True
