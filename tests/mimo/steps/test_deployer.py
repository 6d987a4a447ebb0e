"""The operator deployer's Update as Go does it: CRDs and their wait, ServiceMonitor,
CredentialsRequest, create order, pod security from the ClusterVersion.

Each test names the Go source its rule follows (Azure/ARO-RP @ 668755cf):
pkg/operator/deploy/deploy.go (Update, resources, createDeploymentData, applyDeployment,
isCRDEstablished, generateOperatorIdentitySecret), pkg/operator/deploy/staticresources/,
pkg/util/dynamichelper/createorder.go, pkg/operator/helpers.go (ShouldUsePodSecurityStandard),
pkg/util/version/clusterversion.go (GetClusterVersion), pkg/mimo/steps/cluster/operator.go
(DeployOperatorIntoCluster).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest

from mimo import TransientError
from mimo.steps.cluster.deployer import cluster_version as go_cluster_version
from mimo.steps.cluster.deployer import crd_established
from mimo.steps.cluster.operator import deploy_operator_into_cluster

from .builders import (
    aro_cluster,
    cluster_version,
    crd_document,
    namespace,
    openshift_crds,
    operator_deployment,
)

NS = "openshift-azure-operator"
CRD = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")
DEPLOYMENTS = ("aro-operator-master", "aro-operator-worker")
CCO_NS = "openshift-cloud-credential-operator"


@pytest.fixture
def cluster_tc(kube_tc: Any, fake_kube: Any) -> Any:
    """A cluster as a real OpenShift one serves it: the ServiceMonitor and CredentialsRequest CRDs,
    the ClusterVersion, the cloud-credential-operator namespace; no ARO operator yet."""
    fake_kube.add(*openshift_crds(), cluster_version(), namespace(CCO_NS))
    return kube_tc


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mimo.task"]


# -- what Update writes ---------------------------------------------------------------------------


def test_update_installs_the_operator_crds_and_waits_for_them(cluster_tc: Any, fake_kube: Any) -> None:
    """staticresources/aro.openshift.io_clusters.yaml and preview.aro.openshift.io_previewfeatures.yaml are
    ensured, then polled until Established and NamesAccepted (applyDeployment, isCRDEstablished)."""
    deploy_operator_into_cluster(cluster_tc)
    for name in ("clusters.aro.openshift.io", "previewfeatures.preview.aro.openshift.io"):
        crd = fake_kube.get(*CRD, name)
        assert crd is not None, name
        assert crd["spec"]["names"] == crd_document(name)["spec"]["names"]
        assert crd_established(crd)
    # the kinds are served: a PreviewFeature can be created now
    fake_kube.add({"apiVersion": "preview.aro.openshift.io/v1alpha1", "kind": "PreviewFeature",
                   "metadata": {"name": "cluster"}, "spec": {}})


def test_update_writes_the_service_monitor_and_the_credentials_request(cluster_tc: Any, fake_kube: Any) -> None:
    """staticresources/master/servicemonitor.yaml and staticresources/credentialsrequest.yaml, field for field
    (the CredentialsRequest in openshift-cloud-credential-operator with its deprovision finalizer)."""
    deploy_operator_into_cluster(cluster_tc)
    sm = fake_kube.get("monitoring.coreos.com/v1", "ServiceMonitor", "aro-operator-master", NS)
    assert sm["spec"] == {"selector": {"matchLabels": {"name": "aro-operator-master"}},
                          "endpoints": [{"port": "http-metrics"}]}
    cr = fake_kube.get("cloudcredential.openshift.io/v1", "CredentialsRequest", "openshift-azure-operator", CCO_NS)
    assert cr["metadata"]["finalizers"] == ["cloudcredential.openshift.io/deprovision"]
    assert cr["metadata"]["labels"] == {"controller-tools.k8s.io": "1.0"}
    assert cr["metadata"]["annotations"] == {
        "exclude.release.openshift.io/internal-openshift-hosted": "true",
        "include.release.openshift.io/self-managed-high-availability": "true",
    }
    assert cr["spec"]["secretRef"] == {"name": "azure-cloud-credentials", "namespace": NS}
    assert cr["spec"]["serviceAccountNames"] == ["aro-operator-master"]  # Go's TestCredentialsRequest
    assert cr["spec"]["providerSpec"]["kind"] == "AzureProviderSpec"
    assert len(cr["spec"]["providerSpec"]["permissions"]) == 10
    assert "Microsoft.Network/networkManagers/ipamPools/associateResourcesToPool/action" in (
        cr["spec"]["providerSpec"]["permissions"])


def test_update_restores_a_removed_finalizer(cluster_tc: Any, fake_kube: Any) -> None:
    """Go's Merge writes the template's metadata (finalizers included) over the stored object."""
    deploy_operator_into_cluster(cluster_tc)
    cr = fake_kube.get("cloudcredential.openshift.io/v1", "CredentialsRequest", "openshift-azure-operator", CCO_NS)
    cr["metadata"]["finalizers"] = ["example.com/other"]
    fake_kube.add(cr)
    deploy_operator_into_cluster(cluster_tc)
    cr = fake_kube.get("cloudcredential.openshift.io/v1", "CredentialsRequest", "openshift-azure-operator", CCO_NS)
    assert cr["metadata"]["finalizers"] == ["example.com/other", "cloudcredential.openshift.io/deprovision"]


def test_update_creates_in_go_s_create_order(cluster_tc: Any, caplog: pytest.LogCaptureFixture) -> None:
    """dynamichelper.Prepare's stable sort by createOrderMap: CRDs, ClusterRoles, ClusterRoleBindings,
    Namespaces, Secrets, ServiceAccounts, then the rest; clienthelper.ensureOne logs "Create <keyFunc>"."""
    with caplog.at_level(logging.INFO):
        deploy_operator_into_cluster(cluster_tc)
    creates = [m for m in _messages(caplog) if m.startswith("Create ")]
    assert creates == [
        "Create CustomResourceDefinition.apiextensions.k8s.io/clusters.aro.openshift.io",
        "Create CustomResourceDefinition.apiextensions.k8s.io/previewfeatures.preview.aro.openshift.io",
        "Create ClusterRole.rbac.authorization.k8s.io/aro-operator-worker",
        "Create ClusterRoleBinding.rbac.authorization.k8s.io/aro-operator-master",
        "Create ClusterRoleBinding.rbac.authorization.k8s.io/aro-operator-worker",
        "Create Namespace/openshift-azure-operator",
        "Create Secret/openshift-azure-operator/cluster",
        "Create ServiceAccount/openshift-azure-operator/aro-operator-master",
        "Create ServiceAccount/openshift-azure-operator/aro-operator-worker",
        "Create CredentialsRequest.cloudcredential.openshift.io/openshift-cloud-credential-operator/openshift-azure-operator",
        "Create Role.rbac.authorization.k8s.io/openshift-azure-operator/prometheus-k8s",
        "Create RoleBinding.rbac.authorization.k8s.io/openshift-azure-operator/prometheus-k8s",
        "Create Deployment.apps/openshift-azure-operator/aro-operator-master",
        "Create Service/openshift-azure-operator/aro-operator-master",
        "Create ServiceMonitor.monitoring.coreos.com/openshift-azure-operator/aro-operator-master",
        "Create Deployment.apps/openshift-azure-operator/aro-operator-worker",
    ]


def test_update_of_a_changed_secret_logs_it_scrubbed(
    cluster_tc: Any, fake_kube: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """clienthelper.Merge: "Don't show a diff if kind is Secret" (the diff is "<scrubbed>")."""
    deploy_operator_into_cluster(cluster_tc)
    s = fake_kube.get("v1", "Secret", "cluster", NS)
    s["data"] = {".dockerconfigjson": "e30="}
    fake_kube.add(s)
    with caplog.at_level(logging.INFO):
        deploy_operator_into_cluster(cluster_tc)
    assert _messages(caplog) == ["Update Secret/openshift-azure-operator/cluster: <scrubbed>"]


def test_update_keeps_an_owner_reference_on_the_cluster_secret(cluster_tc: Any, fake_kube: Any) -> None:
    """Go's Update never sets the owner reference (only Install does, once the Cluster exists:
    applyDeployment's "Cluster.aro.openshift.io" case); its Merge writes the template over the stored
    Secret, dropping one an Install set. Ours leaves it (README, Go differences)."""
    fake_kube.add(aro_cluster())
    deploy_operator_into_cluster(cluster_tc)
    s = fake_kube.get("v1", "Secret", "cluster", NS)
    assert "ownerReferences" not in s["metadata"]
    uid = fake_kube.get("aro.openshift.io/v1alpha1", "Cluster", "cluster")["metadata"]["uid"]
    owner = {"apiVersion": "aro.openshift.io/v1alpha1", "kind": "Cluster", "name": "cluster",
             "uid": uid, "controller": True, "blockOwnerDeletion": True}
    s["metadata"]["ownerReferences"] = [owner]
    s["data"] = {".dockerconfigjson": "e30="}
    fake_kube.add(s)
    deploy_operator_into_cluster(cluster_tc)
    s = fake_kube.get("v1", "Secret", "cluster", NS)
    assert s["metadata"]["ownerReferences"] == [owner]
    assert s["data"][".dockerconfigjson"] != "e30="


# -- the CRD wait: wait.PollImmediate(time.Second, time.Minute, …) on the task's clock ---------------


def _stuck_crd(name: str) -> dict[str, Any]:
    """A CRD whose names the API server has not accepted (a conflict: NamingConditionController)."""
    crd = crd_document(name)
    crd["status"] = {
        "conditions": [
            {"type": "NamesAccepted", "status": "False", "reason": "KindConflict",
             "message": "\"PreviewFeature\" is already in use", "lastTransitionTime": "2026-01-01T00:00:00Z"},
            {"type": "Established", "status": "False", "reason": "NotAccepted",
             "message": "not all names are accepted", "lastTransitionTime": "2026-01-01T00:00:00Z"},
        ],
        "acceptedNames": {"kind": "", "plural": ""},
        "storedVersions": ["v1alpha1"],
    }
    return crd


def test_a_crd_never_established_times_out_after_a_minute(cluster_tc: Any, fake_kube: Any) -> None:
    """applyDeployment returns wait.ErrWaitTimeout ("timed out waiting for the condition") after a minute;
    DeployOperatorIntoCluster wraps it: TransientError("failed updating operator: %w"). Nothing after the
    CRD in the create order is written."""
    fake_kube.add(_stuck_crd("previewfeatures.preview.aro.openshift.io"))
    start = cluster_tc.now()
    with pytest.raises(TransientError) as e:
        deploy_operator_into_cluster(cluster_tc)
    assert str(e.value) == "TransientError: failed updating operator: timed out waiting for the condition"
    assert (cluster_tc.now() - start).total_seconds() == 60
    assert fake_kube.get(*CRD, "clusters.aro.openshift.io") is not None  # before it in the order
    assert fake_kube.get("rbac.authorization.k8s.io/v1", "ClusterRole", "aro-operator-worker") is None


def test_a_crd_established_after_a_while_is_waited_for(cluster_tc: Any, fake_kube: Any) -> None:
    """PollImmediate checks at once, then every second, until isCRDEstablished."""
    name = "previewfeatures.preview.aro.openshift.io"
    fake_kube.add(_stuck_crd(name))
    start = cluster_tc.now()

    def accept_after_5s(kube: Any) -> None:
        elapsed = (cluster_tc.now() - start).total_seconds()
        crd = kube.get(*CRD, name)
        if crd_established(crd) or elapsed < 5:
            return
        fixed = copy.deepcopy(crd)
        fixed["status"] = {"storedVersions": crd["status"]["storedVersions"]}  # the controllers set the rest
        kube.add(fixed)

    fake_kube.add_ticker(accept_after_5s)
    deploy_operator_into_cluster(cluster_tc)
    waited = (cluster_tc.now() - start).total_seconds()
    assert waited == 5
    assert crd_established(fake_kube.get(*CRD, name))
    assert fake_kube.get("apps/v1", "Deployment", "aro-operator-worker", NS) is not None


def test_a_crd_read_error_ends_the_wait_at_once(cluster_tc: Any, mimo_faults: Any) -> None:
    """The poll's condition returns (false, err) on a GetOne error: the wait ends with that error."""
    mimo_faults.inject("kube", "server_error", match="GET .*customresourcedefinitions/clusters.aro.openshift.io")
    start = cluster_tc.now()
    with pytest.raises(TransientError, match="^TransientError: failed updating operator: "):
        deploy_operator_into_cluster(cluster_tc)
    assert cluster_tc.now() == start


# -- kinds a cluster must serve ---------------------------------------------------------------------


def test_a_cluster_without_the_service_monitor_crd_fails_as_go_s_client(kube_tc: Any, fake_kube: Any) -> None:
    """clienthelper.Ensure of a kind the server does not serve: meta.NoKindMatchError
    ("no matches for kind %q in version %q"); the objects before it are written."""
    fake_kube.add(crd_document("credentialsrequests.cloudcredential.openshift.io"), cluster_version(),
                  namespace(CCO_NS))
    with pytest.raises(TransientError) as e:
        deploy_operator_into_cluster(kube_tc)
    assert str(e.value) == (
        'TransientError: failed updating operator: no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"'
    )
    assert fake_kube.get("apps/v1", "Deployment", "aro-operator-master", NS) is not None
    assert fake_kube.get("apps/v1", "Deployment", "aro-operator-worker", NS) is None


def test_a_cluster_without_the_credentials_request_namespace_fails(kube_tc: Any, fake_kube: Any) -> None:
    """The CredentialsRequest lives in openshift-cloud-credential-operator (staticresources/credentialsrequest.yaml)."""
    fake_kube.add(*openshift_crds(), cluster_version())
    with pytest.raises(TransientError) as e:
        deploy_operator_into_cluster(kube_tc)
    assert str(e.value) == (
        'TransientError: failed updating operator: namespaces "openshift-cloud-credential-operator" not found'
    )


# -- pod security from the ClusterVersion -----------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "want"),
    [
        # Go's TestGetClusterVersion (pkg/util/version/clusterversion_test.go)
        ([("4.10.0", "Completed"), ("4.9.0", "Completed")], (4, 10, 0)),  # multiple completed: top most
        ([("4.10.0", "Partial"), ("4.9.0", "Completed")], (4, 9, 0)),  # pending topmost: most recent completed
        ([("4.10.0", "Partial")], (4, 10, 0)),  # only partial: the partial one
        ([("4.10.0", "")], (4, 10, 0)),  # missing state and no completed: the version
        ([("4.11.0-rc.1", "Completed")], (4, 11, 0)),  # ParseVersion keeps the suffix apart
    ],
)
def test_cluster_version_is_go_s(history: list[tuple[str, str]], want: tuple[int, int, int]) -> None:
    cv = {"status": {"history": [{"version": v, "state": s} for v, s in history]}}
    assert go_cluster_version(cv) == want


@pytest.mark.parametrize("cv", [None, {}, {"status": {"history": []}}])
def test_cluster_version_unknown(cv: Any) -> None:
    """GetClusterVersion: nil, or no history: "unknown cluster version"."""
    with pytest.raises(ValueError, match="^unknown cluster version$"):
        go_cluster_version(cv)


def test_cluster_version_unparsable() -> None:
    """version.ParseVersion: VersionParseError, `could not parse version %q`."""
    with pytest.raises(ValueError, match='^could not parse version "4.11"$'):
        go_cluster_version({"status": {"history": [{"version": "4.11", "state": "Completed"}]}})


@pytest.mark.parametrize(("version", "psa"), [("4.10.0", False), ("4.11.0", True), ("4.16.30", True)])
def test_pod_security_follows_the_cluster_version(kube_tc: Any, fake_kube: Any, version: str, psa: bool) -> None:
    """Go's TestCreateDeploymentData: 4.10.0 has no SupportsPodSecurityAdmission, 4.11.0 has it
    (clusterVersionForPodSecurityStandard = 4.11); the templates then set both securityContexts."""
    fake_kube.add(*openshift_crds(), cluster_version((version, "Completed")), namespace(CCO_NS))
    deploy_operator_into_cluster(kube_tc)
    for name in DEPLOYMENTS:
        pod = fake_kube.get("apps/v1", "Deployment", name, NS)["spec"]["template"]["spec"]
        if psa:
            assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
            assert pod["containers"][0]["securityContext"] == {
                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True}
        else:
            assert pod.get("securityContext") in (None, {})  # the API server defaults an empty one
            assert "securityContext" not in pod["containers"][0]


def test_pod_security_reads_the_first_completed_version_not_the_newest(kube_tc: Any, fake_kube: Any) -> None:
    """An upgrade to 4.11 under way (Partial on top) on a 4.10 cluster: GetClusterVersion says 4.10."""
    fake_kube.add(*openshift_crds(), cluster_version(("4.11.2", "Partial"), ("4.10.40", "Completed")),
                  namespace(CCO_NS))
    deploy_operator_into_cluster(kube_tc)
    pod = fake_kube.get("apps/v1", "Deployment", "aro-operator-master", NS)["spec"]["template"]["spec"]
    assert "securityContext" not in pod["containers"][0]


def test_no_cluster_version_fails_before_anything_is_written(kube_tc: Any, fake_kube: Any) -> None:
    """ShouldUsePodSecurityStandard's client.Get error, returned by createDeploymentData before any write."""
    fake_kube.add(*openshift_crds(), namespace(CCO_NS), operator_deployment("aro-operator-master"))
    before = fake_kube.model.resource_version
    with pytest.raises(TransientError) as e:
        deploy_operator_into_cluster(kube_tc)
    assert str(e.value) == (
        'TransientError: failed updating operator: clusterversions.config.openshift.io "version" not found'
    )
    assert fake_kube.model.resource_version == before


def test_a_cluster_version_without_history_fails(kube_tc: Any, fake_kube: Any) -> None:
    cv = cluster_version()
    cv["status"]["history"] = []
    fake_kube.add(*openshift_crds(), cv, namespace(CCO_NS))
    with pytest.raises(TransientError) as e:
        deploy_operator_into_cluster(kube_tc)
    assert str(e.value) == "TransientError: failed updating operator: unknown cluster version"


# -- workload identity -------------------------------------------------------------------------------


def test_a_workload_identity_cluster_without_the_operator_identity_is_go_s_transient(
    cluster_tc: Any, fake_kube: Any
) -> None:
    """generateOperatorIdentitySecret: "operator identity %s not found", which DeployOperatorIntoCluster
    returns as mimo.TransientError(fmt.Errorf("failed updating operator: %w", err))."""
    doc = cluster_tc.get_openshift_cluster_document().copy()
    doc.properties.platform_workload_identity_profile = {"platformWorkloadIdentities": {}}
    tc = cluster_tc.with_cluster_document(doc)
    before = fake_kube.model.resource_version
    with pytest.raises(TransientError) as e:
        deploy_operator_into_cluster(tc)
    assert str(e.value) == "TransientError: failed updating operator: operator identity aro-operator not found"
    assert fake_kube.model.resource_version == before
