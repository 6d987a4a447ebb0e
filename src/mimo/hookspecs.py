"""The runtime's plugin hooks (``pluggy``, project name and entry-point group ``mimo``).

A package adds maintenance tasks by exposing, under the entry-point group
``mimo``, a module with::

    from mimo.hookspecs import hookimpl

    @hookimpl
    def mimo_register_tasks():
        return {"<task UUID>": my_task}
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument
from mimo.context import TaskContext

__all__ = ["PROJECT", "MaintenanceTask", "hookimpl", "hookspec", "mimo_register_tasks"]

#: ``task(tc, manifest, cluster_doc) -> None``; raises to fail (what ``mimo_register_tasks`` returns)
MaintenanceTask = Callable[[TaskContext, MaintenanceManifest, OpenShiftClusterDocument], None]

PROJECT = "mimo"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def mimo_register_tasks() -> dict[str, MaintenanceTask]:  # type: ignore[empty-body]
    """Return task ID (a UUID string) → task function, to add to the registry."""
