"""Geneva logging through OpenTelemetry: four tasks, one per logging profile.

Each sets the Geneva flags in the cluster document, then writes the flags
into the cluster (the operator flags update step).
"""

from __future__ import annotations

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument
from mimo.context import TaskContext
from mimo.hookspecs import MaintenanceTask
from mimo.runner import action, run_steps
from mimo.steps.cluster.apiserver import ensure_api_server_is_up
from mimo.steps.cluster.operator import set_operator_flags, update_cluster_operator_flags

__all__ = [
    "geneva_otel_flags",
    "geneva_otel_task",
    "set_geneva_otel",
    "set_geneva_otel_max_logs",
    "set_geneva_otel_reduced_logs",
    "set_geneva_otel_minimal_logs",
]


def geneva_otel_flags(profile: str) -> dict[str, str]:
    """The operator flags that turn Geneva logging on through OpenTelemetry with ``profile``."""
    return {
        "aro.genevalogging.enabled": "true",
        "aro.genevalogging.otel.profile": profile,
        "aro.genevalogging.otel.master.profile": profile,
        "aro.genevalogging.otel.worker.profile": profile,
    }


def geneva_otel_task(profile: str) -> MaintenanceTask:
    """The task that switches Geneva logging to OpenTelemetry with ``profile``."""
    set_flags = set_operator_flags(
        geneva_otel_flags(profile), name=f"set_geneva_otel_{profile.replace('-', '_')}"
    )

    def task(
        tc: TaskContext, manifest: MaintenanceManifest, cluster_doc: OpenShiftClusterDocument
    ) -> None:
        run_steps(
            tc,
            [
                action(ensure_api_server_is_up),
                action(set_flags),
                action(update_cluster_operator_flags),
            ],
        )

    task.__name__ = task.__qualname__ = f"set_geneva_otel_{profile.replace('-', '_')}"
    task.__doc__ = f"Geneva logging through OpenTelemetry, profile {profile}."
    return task


set_geneva_otel = geneva_otel_task("minimal-logs")
set_geneva_otel_max_logs = geneva_otel_task("max-logs")
set_geneva_otel_reduced_logs = geneva_otel_task("reduced-logs")
set_geneva_otel_minimal_logs = geneva_otel_task("minimal-logs")
