"""Maintenance tasks: the built-in ones and the registry.

``DEFAULT_MAINTENANCE_TASKS`` maps the ID of every built-in task (see
:mod:`mimo.const`) to its function. Only tasks that really exist are in it.
"""

from __future__ import annotations

from mimo.tasks.registry import MaintenanceTask, RegistryError, load_tasks

__all__ = ["DEFAULT_MAINTENANCE_TASKS", "MaintenanceTask", "RegistryError", "load_tasks"]

DEFAULT_MAINTENANCE_TASKS: dict[str, MaintenanceTask] = {}
