"""The built-in tasks as functions: the registry, and the exact errors of tasks that fail for good.

The same failures are also replayed under faults in ``test_scenarios.py``;
here the exact error text is asserted on one clean, wired run.
"""

from __future__ import annotations

from typing import Any

import pytest

from mimo import TerminalError, TransientError, const
from mimo.api import MaintenanceManifest
from mimo.tasks import DEFAULT_MAINTENANCE_TASKS, load_tasks
from mimo.tasks.geneva import geneva_otel_flags
from pytest_mimo import defaults

from ..steps.builders import cluster_objects, pem_bundle

UUID = defaults.CLUSTER_ID


def test_registry_holds_every_go_task() -> None:
    """Go ``pkg/mimo/tasks/taskrunner.go`` ``DEFAULT_MAINTENANCE_TASKS`` registers every ID of
    ``pkg/mimo/const.go`` (mirrored in ``mimo.const.ALL_TASK_IDS``)."""
    assert set(DEFAULT_MAINTENANCE_TASKS) == set(const.ALL_TASK_IDS.values())
    assert set(DEFAULT_MAINTENANCE_TASKS) <= set(load_tasks(entry_points=False))


def test_geneva_profiles() -> None:
    assert geneva_otel_flags("max-logs") == {
        "aro.genevalogging.enabled": "true",
        "aro.genevalogging.otel.profile": "max-logs",
        "aro.genevalogging.otel.master.profile": "max-logs",
        "aro.genevalogging.otel.worker.profile": "max-logs",
    }
    assert (
        DEFAULT_MAINTENANCE_TASKS[const.OPERATOR_FLAG_SET_GENEVA_OTEL].__name__
        == "set_geneva_otel_minimal_logs"
    )


def _run(world: Any, task_id: str) -> Any:
    manifest = MaintenanceManifest.new(
        world.cluster_resource_id, task_id, now=int(world.clock.now().timestamp())
    )
    tc = world.context(manifest)
    DEFAULT_MAINTENANCE_TASKS[task_id](tc, manifest, world.cluster)
    return tc


def test_tls_rotation_with_a_broken_bundle_is_terminal_but_rotates_the_other(
    mimo_world: Any,
) -> None:
    mimo_world.kube.add(*cluster_objects())
    vault = mimo_world.azure.keyvault("eastus-cls")
    vault.set_secret(f"{UUID}-apiserver", pem_bundle("api.mycluster.eastus.aroapp.io"))
    vault.set_secret(f"{UUID}-ingress", "not a PEM bundle")
    with pytest.raises(TerminalError) as e:
        _run(mimo_world, const.TLS_CERT_ROTATION_ID)
    assert str(e.value) == (
        f"TerminalError: certificates not rotated: {UUID}-ingress: "
        f"Key Vault secret {UUID}-ingress is not a usable PEM bundle: no private key in the bundle"
    )
    assert mimo_world.kube.get("v1", "Secret", f"{UUID}-apiserver", "openshift-config") is not None


def test_tls_rotation_checks_no_api_server_first(mimo_world: Any) -> None:
    """Go's TLSCertRotation (pkg/mimo/tasks/tls_cert_rotate.go) runs RotateManagedCertificates,
    EnsureAPIServerServingCertificateConfiguration and EnsureIngressServingCertificateConfiguration, and
    no EnsureAPIServerIsUp: an unavailable kube-apiserver ClusterOperator does not stop it."""
    objs = cluster_objects()
    for o in objs:
        if o["kind"] == "ClusterOperator":
            o["status"]["conditions"][0]["status"] = "False"
    mimo_world.kube.add(*objs)
    vault = mimo_world.azure.keyvault("eastus-cls")
    vault.set_secret(f"{UUID}-apiserver", pem_bundle("api.mycluster.eastus.aroapp.io"))
    vault.set_secret(f"{UUID}-ingress", pem_bundle("*.apps.mycluster.eastus.aroapp.io"))
    _run(mimo_world, const.TLS_CERT_ROTATION_ID)
    assert mimo_world.kube.get("v1", "Secret", f"{UUID}-apiserver", "openshift-config") is not None


def test_sync_cluster_object_checks_no_api_server_first(mimo_world: Any) -> None:
    """Go's SyncClusterObject task (pkg/mimo/tasks/operator.go) is the one step SyncClusterObject: with
    no kube-apiserver ClusterOperator at all, the Cluster object is still synced."""
    mimo_world.kube.add(*[o for o in cluster_objects() if o["kind"] != "ClusterOperator"])
    _run(mimo_world, const.OPERATOR_SYNC_CLUSTER_OBJECT_ID)
    spec = mimo_world.kube.get("aro.openshift.io/v1alpha1", "Cluster", "cluster")["spec"]
    assert spec["serviceSubnets"][0].endswith("/virtualNetworks/rp-pe-vnet-001/subnets/rp-pe-subnet")


def test_operator_update_of_a_workload_identity_cluster_without_the_operator_identity_is_transient(
    mimo_world: Any,
) -> None:
    """Go's generateOperatorIdentitySecret (pkg/operator/deploy/deploy.go): "operator identity %s not found",
    returned by DeployOperatorIntoCluster (pkg/mimo/steps/cluster/operator.go) as
    mimo.TransientError(fmt.Errorf("failed updating operator: %w", err))."""
    mimo_world.kube.add(*cluster_objects())

    def wi(doc: Any) -> None:
        doc.properties.platform_workload_identity_profile = {"platformWorkloadIdentities": {}}

    mimo_world.patch_cluster(wi)
    with pytest.raises(
        TransientError, match="^TransientError: failed updating operator: operator identity aro-operator not found$"
    ):
        _run(mimo_world, const.OPERATOR_UPDATE_ID)
    assert mimo_world.kube.get("v1", "Secret", "cluster", "openshift-azure-operator") is None


@pytest.mark.parametrize(
    ("task_id", "function"),
    [
        (const.OPERATOR_FLAG_SET_GENEVA_OTEL, "set_geneva_otel_minimal_logs"),  # "default geneva otel"
        (const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_MAX_LOGS, "set_geneva_otel_max_logs"),
        (const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_REDUCED_LOGS, "set_geneva_otel_reduced_logs"),
        (const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_MINIMAL_LOGS, "set_geneva_otel_minimal_logs"),
    ],
)
def test_default_maintenance_tasks_include_the_geneva_otel_profile_tasks(task_id: str, function: str) -> None:
    """Go ``TestDefaultMaintenanceTasksIncludeGenevaOTelProfileTasks`` (pkg/mimo/tasks/operatorflags_test.go):
    each Geneva ID is registered to its profile's task (SetOperatorFlagGenevaLoggingUseOTel runs the
    minimal-logs profile)."""
    assert DEFAULT_MAINTENANCE_TASKS[task_id].__name__ == function


def test_geneva_max_logs_task_updates_the_cluster_spec(mimo_world: Any) -> None:
    """Go ``TestSetOperatorFlagGenevaLoggingOTelProfileMaxLogsUpdatesClusterSpec``: a document with no
    flags and a Cluster object with none; after SetOperatorFlagGenevaLoggingOTelProfileMaxLogs the Cluster
    object's flags are the four Geneva flags (``TestSetGenevaLoggingOTelProfileInClusterDoc``: the
    document's other flags kept)."""
    objs = cluster_objects()
    for o in objs:
        if o["kind"] == "Cluster":
            o["spec"].pop("operatorflags", None)
    mimo_world.kube.add(*objs)

    def no_flags(doc: Any) -> None:
        doc.properties.operator_flags = {}

    mimo_world.patch_cluster(no_flags)
    _run(mimo_world, const.OPERATOR_FLAG_SET_GENEVA_OTEL_PROFILE_MAX_LOGS)
    spec = mimo_world.kube.get("aro.openshift.io/v1alpha1", "Cluster", "cluster")["spec"]
    assert spec["operatorflags"] == geneva_otel_flags("max-logs")
    assert mimo_world.cluster.properties.operator_flags == geneva_otel_flags("max-logs")
