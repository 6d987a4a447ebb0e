from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from mimo import TerminalError, TransientError
from mimo.steps.cluster.operator import (
    DEFAULT_OPERATOR_VERSION,
    aro_operator_ready,
    aro_operator_running_desired_version,
    deploy_operator_into_cluster,
    deployment_is_ready,
    desired_operator_version,
    operator_image,
    reset_operator_version,
    roll_operator_deployments,
    set_operator_flags,
    update_cluster_operator_flags,
)
from mimo.store.base import StoreError
from pytest_mimo.controllers import rolled_out_pods

from .builders import aro_cluster, cluster_version, namespace, openshift_crds, operator_deployment

ARO = ("aro.openshift.io/v1alpha1", "Cluster", "cluster")
NS = "openshift-azure-operator"
DEPLOYMENTS = ("aro-operator-master", "aro-operator-worker")


def _pin(tc: Any, version: str) -> Any:
    doc = tc.get_openshift_cluster_document().copy()
    doc.properties.operator_version = version
    return tc.with_cluster_document(doc)


def _flags(tc: Any, flags: dict[str, str]) -> Any:
    doc = tc.get_openshift_cluster_document().copy()
    doc.properties.operator_flags = dict(flags)
    return tc.with_cluster_document(doc)


def _deployment(fake_kube: Any, name: str) -> dict[str, Any]:
    d = fake_kube.get("apps/v1", "Deployment", name, NS)
    assert d is not None
    return d  # type: ignore[no-any-return]


# -- versions and images -----------------------------------------------------------------------


def test_desired_version_defaults_to_the_runtime_default(fake_task_context: Any) -> None:
    assert desired_operator_version(fake_task_context) == DEFAULT_OPERATOR_VERSION
    assert (
        operator_image(fake_task_context) == f"arointsvc.azurecr.io/aro:{DEFAULT_OPERATOR_VERSION}"
    )


def test_pinned_version(fake_task_context: Any) -> None:
    tc = _pin(fake_task_context, "v20260201.3")
    assert operator_image(tc) == "arointsvc.azurecr.io/aro:v20260201.3"


def test_version_that_cannot_be_a_tag_is_terminal(fake_task_context: Any) -> None:
    tc = _pin(fake_task_context, "v1:bad")
    with pytest.raises(TerminalError) as e:
        desired_operator_version(tc)
    assert str(e.value) == "TerminalError: operator version 'v1:bad' is not a valid image tag"


# -- operator flags into the Cluster object ----------------------------------------------------


def test_flags_replace_not_merge(kube_tc: Any, fake_kube: Any) -> None:
    fake_kube.add(aro_cluster({"aro.stale": "true", "aro.imageconfig.enabled": "false"}))
    tc = _flags(kube_tc, {"aro.imageconfig.enabled": "true", "aro.genevalogging.enabled": "true"})
    update_cluster_operator_flags(tc)
    spec = fake_kube.get(*ARO)["spec"]
    assert spec["operatorflags"] == {
        "aro.imageconfig.enabled": "true",
        "aro.genevalogging.enabled": "true",
    }
    assert spec["domain"] == "mycluster.eastus.aroapp.io"
    rv = fake_kube.get(*ARO)["metadata"]["resourceVersion"]
    update_cluster_operator_flags(tc)
    assert fake_kube.get(*ARO)["metadata"]["resourceVersion"] == rv


def test_flags_cluster_object_missing_is_terminal(kube_tc: Any) -> None:
    with pytest.raises(TerminalError) as e:
        update_cluster_operator_flags(kube_tc)
    assert str(e.value) == 'TerminalError: clusters.aro.openshift.io "cluster" not found'


def test_flags_conflict_is_retried(kube_tc: Any, fake_kube: Any, mimo_faults: Any) -> None:
    fake_kube.add(aro_cluster({}))
    mimo_faults.inject("kube", "conflict", match="PUT .*clusters", times=4)
    update_cluster_operator_flags(kube_tc)
    assert (
        fake_kube.get(*ARO)["spec"]["operatorflags"]
        == kube_tc.get_openshift_cluster_properties().operator_flags
    )


@pytest.mark.parametrize(
    "kind",
    ["server_error", "unavailable", "throttle", "timeout", "connection_reset", "lost_response"],
)
def test_flags_other_errors_are_transient(
    kube_tc: Any, fake_kube: Any, mimo_faults: Any, kind: str
) -> None:
    fake_kube.add(aro_cluster({}))
    mimo_faults.inject("kube", kind, match="PUT .*clusters")
    with pytest.raises(TransientError):
        update_cluster_operator_flags(kube_tc)


# -- flags and version in the cluster document -------------------------------------------------


def test_set_flags_in_the_document_keeps_others(fake_task_context: Any) -> None:
    step = set_operator_flags({"aro.genevalogging.otel.profile": "max-logs"}, name="set_profile")
    assert step.__name__ == "set_profile"
    step(fake_task_context)
    flags = fake_task_context.get_openshift_cluster_properties().operator_flags
    assert flags["aro.genevalogging.otel.profile"] == "max-logs"
    assert flags["aro.imageconfig.enabled"] == "true"
    stored = fake_task_context.store.get_cluster(
        fake_task_context.get_openshift_cluster_document().resource_id
    )
    assert stored.properties.operator_flags == flags


def test_set_flags_already_set_writes_nothing(fake_task_context: Any) -> None:
    calls = []
    real = fake_task_context.patch_openshift_cluster_document
    fake_task_context.patch_openshift_cluster_document = lambda m: calls.append(m) or real(m)
    set_operator_flags({"aro.imageconfig.enabled": "true"})(fake_task_context)
    assert calls == []


def test_set_flags_document_gone_is_terminal(fake_task_context: Any) -> None:
    rid = fake_task_context.get_openshift_cluster_document().resource_id
    fake_task_context.store.delete_cluster(rid)
    with pytest.raises(TerminalError, match="not found"):
        set_operator_flags({"x": "y"})(fake_task_context)


def test_set_flags_other_store_errors_are_transient(fake_task_context: Any) -> None:
    def broken(mutator: Any) -> Any:
        raise StoreError("database is locked")

    fake_task_context.patch_openshift_cluster_document = broken
    with pytest.raises(TransientError) as e:
        set_operator_flags({"x": "y"})(fake_task_context)
    assert str(e.value) == "TransientError: database is locked"


def test_reset_operator_version(fake_task_context: Any) -> None:
    """Go TestResetOperator (pkg/mimo/steps/cluster/operator_test.go): operatorVersion "whatever" with the
    flags foo=baz, gaz=data; after ResetOperatorVersion the stored document has an empty version and
    the same flags."""
    tc = _flags(_pin(fake_task_context, "whatever"), {"foo": "baz", "gaz": "data"})
    reset_operator_version(tc)
    assert tc.get_openshift_cluster_properties().operator_version == ""
    rid = tc.get_openshift_cluster_document().resource_id
    stored = tc.store.get_cluster(rid).properties
    assert (stored.operator_version, stored.operator_flags) == ("", {"foo": "baz", "gaz": "data"})
    reset_operator_version(tc)  # nothing to do the second time (README: Go patches every time)


# -- rolling the Deployments -------------------------------------------------------------------


def _cluster_basics(fake_kube: Any, *, crds: bool = True) -> None:
    """What a real OpenShift cluster serves besides the operator: the ClusterVersion the deployer reads
    (Go's ShouldUsePodSecurityStandard), the CRDs and namespace of the ServiceMonitor and CredentialsRequest."""
    fake_kube.add(*(openshift_crds() if crds else []), cluster_version(), namespace("openshift-cloud-credential-operator"))


@pytest.fixture
def operator_tc(kube_tc: Any, fake_kube: Any) -> Any:
    _cluster_basics(fake_kube)
    fake_kube.add(*(operator_deployment(n) for n in DEPLOYMENTS))
    return kube_tc


def test_roll_points_both_deployments_at_the_desired_image(
    operator_tc: Any, fake_kube: Any
) -> None:
    assert aro_operator_ready(operator_tc)
    assert not aro_operator_running_desired_version(operator_tc)
    roll_operator_deployments(operator_tc)
    for name in DEPLOYMENTS:
        d = _deployment(fake_kube, name)
        assert d["spec"]["template"]["spec"]["containers"][0]["image"] == operator_image(
            operator_tc
        )
        assert d["metadata"]["labels"] == {"app": name, "version": DEFAULT_OPERATOR_VERSION}
        assert d["metadata"]["generation"] == 2
        assert not deployment_is_ready(d)
    assert not aro_operator_ready(operator_tc)
    assert not aro_operator_running_desired_version(operator_tc)


def test_roll_twice_writes_nothing_the_second_time(operator_tc: Any, fake_kube: Any) -> None:
    roll_operator_deployments(operator_tc)
    rvs = [_deployment(fake_kube, n)["metadata"]["resourceVersion"] for n in DEPLOYMENTS]
    roll_operator_deployments(operator_tc)
    assert [_deployment(fake_kube, n)["metadata"]["resourceVersion"] for n in DEPLOYMENTS] == rvs


def test_running_desired_version_once_rolled_out(operator_tc: Any, fake_kube: Any) -> None:
    """IsRunningDesiredVersion (pkg/operator/deploy/deploy.go): the Deployment's version label, then the image
    tag of its Pods (checkPodImageVersion): the rolled Deployments' Pods, as the deployment controller leaves them."""
    roll_operator_deployments(operator_tc)
    assert not aro_operator_running_desired_version(operator_tc)  # labels rolled, no Pod runs the image yet
    for name in DEPLOYMENTS:  # what the deployment controller does
        d = _deployment(fake_kube, name)
        d["status"].update(observedGeneration=d["metadata"]["generation"])
        fake_kube.add(d, *rolled_out_pods(d))
    assert aro_operator_ready(operator_tc)
    assert aro_operator_running_desired_version(operator_tc)


@pytest.mark.parametrize(
    ("label", "pod_image", "want"),
    [
        # Go's TestCheckOperatorDeploymentVersion: the version label decides
        (DEFAULT_OPERATOR_VERSION, f"random-image:{DEFAULT_OPERATOR_VERSION}", True),
        ("unknown", f"random-image:{DEFAULT_OPERATOR_VERSION}", False),
        # Go's TestCheckPodImageVersion: the Pods' image tag decides
        (DEFAULT_OPERATOR_VERSION, "random-image:unknown", False),
        (DEFAULT_OPERATOR_VERSION, "random-image", False),  # no tag: "latest"
        (DEFAULT_OPERATOR_VERSION, None, False),  # no Pods: "latest"
    ],
)
def test_running_desired_version_is_go_s(
    kube_tc: Any, fake_kube: Any, label: str, pod_image: str | None, want: bool
) -> None:
    for name in DEPLOYMENTS:
        d = operator_deployment(name, DEFAULT_OPERATOR_VERSION)
        d["metadata"]["labels"]["version"] = label if name == "aro-operator-worker" else DEFAULT_OPERATOR_VERSION
        pods = rolled_out_pods(d)
        for p in pods:
            p["spec"]["containers"][0]["image"] = (
                pod_image if name == "aro-operator-worker" else f"x:{DEFAULT_OPERATOR_VERSION}")
        fake_kube.add(d, *(pods if pod_image is not None or name != "aro-operator-worker" else []))
    assert aro_operator_running_desired_version(kube_tc) is want


def test_deployment_missing_is_terminal(kube_tc: Any, fake_kube: Any) -> None:
    fake_kube.add(operator_deployment("aro-operator-master"))
    with pytest.raises(TerminalError) as e:
        roll_operator_deployments(kube_tc)
    assert str(e.value) == 'TerminalError: deployments.apps "aro-operator-worker" not found'
    assert not aro_operator_ready(kube_tc)
    assert not aro_operator_running_desired_version(kube_tc)


def test_deployment_without_the_operator_container_is_terminal(
    kube_tc: Any, fake_kube: Any
) -> None:
    d = operator_deployment("aro-operator-master")
    d["spec"]["template"]["spec"]["containers"][0]["name"] = "something-else"
    fake_kube.add(d, operator_deployment("aro-operator-worker"))
    with pytest.raises(TerminalError) as e:
        roll_operator_deployments(kube_tc)
    assert str(e.value) == (
        "TerminalError: deployment openshift-azure-operator/aro-operator-master has no container aro-operator"
    )


def test_roll_conflict_is_retried(operator_tc: Any, fake_kube: Any, mimo_faults: Any) -> None:
    mimo_faults.inject("kube", "conflict", match="PUT .*deployments", times=2)
    roll_operator_deployments(operator_tc)
    assert (
        _deployment(fake_kube, "aro-operator-worker")["metadata"]["labels"]["version"]
        == DEFAULT_OPERATOR_VERSION
    )


@pytest.mark.parametrize("kind", ["server_error", "throttle", "connection_reset", "lost_response"])
def test_roll_other_errors_are_transient(operator_tc: Any, mimo_faults: Any, kind: str) -> None:
    mimo_faults.inject("kube", kind, match="PUT .*deployments")
    with pytest.raises(TransientError):
        roll_operator_deployments(operator_tc)


@pytest.mark.parametrize("kind", ["server_error", "timeout", "connection_reset"])
def test_condition_read_errors_are_transient(operator_tc: Any, mimo_faults: Any, kind: str) -> None:
    mimo_faults.inject("kube", kind, match="deployments")
    with pytest.raises(TransientError):
        aro_operator_ready(operator_tc)
    with pytest.raises(TransientError):
        aro_operator_running_desired_version(operator_tc)


def test_deployment_readiness_rules() -> None:
    """Go's ready.DeploymentIsReady (pkg/util/ready/ready.go): spec replicas (default 1) equal to available,
    updated and status replicas, and the generation observed."""
    d = operator_deployment("aro-operator-master", replicas=2)
    d["metadata"]["generation"] = 1
    assert deployment_is_ready(d)
    d["status"]["availableReplicas"] = 1
    assert not deployment_is_ready(d)
    d["status"]["availableReplicas"] = 2
    d["metadata"]["generation"] = 2
    assert not deployment_is_ready(d)
    del d["spec"]["replicas"]
    d["status"] = {"observedGeneration": 2, "updatedReplicas": 1, "availableReplicas": 1}
    assert not deployment_is_ready(d)  # status.replicas missing: 0 != 1
    d["status"]["replicas"] = 1
    assert deployment_is_ready(d)


# -- the Cluster object sync: tests/mimo/steps/test_clusterobject.py (Go TestClusterObject) ------


# -- Go's DeployOperatorIntoCluster: the deployer's Update -------------------------------------------
# pkg/mimo/steps/cluster/operator.go (DeployOperatorIntoCluster, WaitForAROOperatorReady) and
# pkg/operator/deploy/deploy.go (Update, resources, IsReady), staticresources/ for the objects.


def test_deploy_writes_what_go_s_deployer_update_ensures(operator_tc: Any, fake_kube: Any) -> None:
    deploy_operator_into_cluster(operator_tc)
    ns = fake_kube.get("v1", "Namespace", NS)
    assert ns["metadata"]["labels"]["openshift.io/cluster-monitoring"] == "true"
    assert ns["metadata"]["annotations"]["openshift.io/node-selector"] == ""
    image = operator_image(operator_tc)
    for role in ("master", "worker"):
        d = _deployment(fake_kube, f"aro-operator-{role}")
        assert d["metadata"]["labels"] == {"app": f"aro-operator-{role}", "version": DEFAULT_OPERATOR_VERSION}
        pod = d["spec"]["template"]["spec"]
        c = pod["containers"][0]
        assert (c["name"], c["image"], c["command"], c["args"]) == ("aro-operator", image, ["aro"], ["operator", role])
        assert pod["serviceAccountName"] == f"aro-operator-{role}"
        assert pod["priorityClassName"] == "system-cluster-critical"
        # cluster version 4.16 >= 4.11: SupportsPodSecurityAdmission
        assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        assert fake_kube.get("v1", "ServiceAccount", f"aro-operator-{role}", NS) is not None
    master = _deployment(fake_kube, "aro-operator-master")["spec"]["template"]["spec"]["containers"][0]
    assert [e["name"] for e in master["env"]] == [
        "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TOKEN_CREDENTIALS", "AZURE_TENANT_ID"]
    assert "env" not in _deployment(fake_kube, "aro-operator-worker")["spec"]["template"]["spec"]["containers"][0]
    crb = fake_kube.get("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "aro-operator-master")
    assert crb["roleRef"]["name"] == "cluster-admin"
    rb = fake_kube.get("rbac.authorization.k8s.io/v1", "RoleBinding", "prometheus-k8s", NS)
    assert rb["subjects"] == [{"kind": "ServiceAccount", "name": "prometheus-k8s", "namespace": "openshift-monitoring"}]
    # pullsecret.Build(oc, ""): the registry profiles' auths
    secret = fake_kube.get("v1", "Secret", "cluster", NS)
    auth = base64.b64encode(b"token-mycluster:acr-token-password").decode()
    assert json.loads(base64.b64decode(secret["data"][".dockerconfigjson"])) == {
        "auths": {operator_tc.environment().acr_domain: {"auth": auth}}
    }


def test_deploy_twice_writes_nothing_the_second_time(operator_tc: Any, fake_kube: Any) -> None:
    deploy_operator_into_cluster(operator_tc)
    before = fake_kube.model.resource_version
    deploy_operator_into_cluster(operator_tc)
    assert fake_kube.model.resource_version == before


def test_deploy_creates_missing_deployments(kube_tc: Any, fake_kube: Any) -> None:
    """Go's Ensure creates what is missing: no 'not found' from the deployer."""
    _cluster_basics(fake_kube)
    deploy_operator_into_cluster(kube_tc)
    assert all(fake_kube.get("apps/v1", "Deployment", n, NS) is not None for n in DEPLOYMENTS)


@pytest.mark.parametrize("kind", ["server_error", "throttle"])
def test_deploy_errors_are_go_s_transient_failed_updating_operator(operator_tc: Any, mimo_faults: Any, kind: str) -> None:
    mimo_faults.inject("kube", kind, match="PUT .*deployments")
    with pytest.raises(TransientError, match="^TransientError: failed updating operator: "):
        deploy_operator_into_cluster(operator_tc)


def test_ready_logs_go_s_lines(operator_tc: Any, fake_kube: Any, caplog: pytest.LogCaptureFixture) -> None:
    """pkg/operator/deploy/deploy.go IsReady: "deployment %q ok status is: %v, err is: %v" for each, then for one
    not ready "deployment %q status: %s" (json.Marshal of appsv1.DeploymentStatus: struct order, omitempty zeros
    left out, a condition's unset metav1.Time written null). (Go's replicaset/pod lines: not ported, README.)"""
    d = _deployment(fake_kube, "aro-operator-worker")
    d["status"]["updatedReplicas"] = 0  # a rollout under way
    fake_kube.add(d, {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "aro-operator-worker-5d4b9c7f8", "namespace": NS, "labels": {"app": "aro-operator-worker"}},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "aro-operator-worker"}},
                 "template": {"metadata": {"labels": {"app": "aro-operator-worker"}},
                              "spec": {"containers": [{"name": "aro-operator", "image": "x"}]}}},
        "status": {"replicas": 0, "observedGeneration": 3},
    })
    with caplog.at_level(logging.INFO):
        assert aro_operator_ready(operator_tc) is False
    lines = [r.getMessage() for r in caplog.records if r.name == "mimo.task"]
    assert lines == [
        'deployment "aro-operator-master" ok status is: true, err is: <nil>',
        'deployment "aro-operator-worker" ok status is: false, err is: <nil>',
        'deployment "aro-operator-worker" status: {"observedGeneration":1,"replicas":1,"readyReplicas":1,'
        '"availableReplicas":1,"conditions":[{"type":"Available","status":"True","lastUpdateTime":null,'
        '"lastTransitionTime":null}]}',
    ]


def test_ready_logs_a_missing_deployment_as_go(kube_tc: Any, fake_kube: Any, caplog: pytest.LogCaptureFixture) -> None:
    """IsReady: CheckDeploymentIsReady says (false, nil) for a Deployment not found; Go's second GetOne's
    error is logged: "failed to get deployment %q: %s" (here from the first read)."""
    fake_kube.add(operator_deployment("aro-operator-worker"))
    with caplog.at_level(logging.INFO):
        assert aro_operator_ready(kube_tc) is False
    records = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "mimo.task"]
    assert records == [
        ("INFO", 'deployment "aro-operator-master" ok status is: false, err is: <nil>'),
        ("ERROR", 'failed to get deployment "aro-operator-master": deployments.apps "aro-operator-master" not found'),
        ("INFO", 'deployment "aro-operator-worker" ok status is: true, err is: <nil>'),
    ]
