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


def test_tls_rotation_stops_at_an_unhealthy_api_server(mimo_world: Any) -> None:
    objs = cluster_objects()
    for o in objs:
        if o["kind"] == "ClusterOperator":
            o["status"]["conditions"][0]["status"] = "False"
    mimo_world.kube.add(*objs)
    with pytest.raises(TransientError, match="kube-apiserver Available=False"):
        _run(mimo_world, const.TLS_CERT_ROTATION_ID)
    assert mimo_world.kube.get("v1", "Secret", f"{UUID}-apiserver", "openshift-config") is None


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
