"""The task registry: built-in tasks plus those plugins add through ``mimo_register_tasks``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pluggy

from mimo import hookspecs
from mimo.api import is_uuid
from mimo.hookspecs import MaintenanceTask

__all__ = ["MaintenanceTask", "RegistryError", "load_tasks", "BUILTIN_SOURCE"]

BUILTIN_SOURCE = "mimo.tasks.DEFAULT_MAINTENANCE_TASKS"


class RegistryError(ValueError):
    """Two tasks with one ID, or an ID that is not a UUID; names the sources."""


def _source_name(pm: pluggy.PluginManager, plugin: object) -> str:
    import types

    if isinstance(plugin, types.ModuleType):
        name = plugin.__name__
    else:
        cls = plugin if isinstance(plugin, type) else type(plugin)
        name = f"{cls.__module__}.{cls.__qualname__}"
    for dist_plugin, dist in pm.list_plugin_distinfo():
        if dist_plugin is plugin:
            return f"{name} (from {dist.project_name})"
    return name


def load_tasks(
    builtin: Mapping[str, MaintenanceTask],
    *,
    plugins: Iterable[object] = (),
    entry_points: bool = True,
) -> dict[str, MaintenanceTask]:
    """``builtin`` plus every plugin's tasks, refusing a duplicate or non-UUID ID.

    ``plugins`` are registered directly (objects or modules with a
    ``mimo_register_tasks`` hookimpl); with ``entry_points`` the ``mimo``
    entry-point group is loaded too. :func:`mimo.tasks.load_tasks` is this
    with the built-in tasks as ``builtin`` (this module does not import
    :mod:`mimo.tasks`, which imports it).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for p in plugins:
        pm.register(p)
    if entry_points:
        pm.load_setuptools_entrypoints(hookspecs.PROJECT)

    tasks: dict[str, MaintenanceTask] = {}
    sources: dict[str, str] = {}

    def add(task_id: Any, fn: Any, source: str) -> None:
        if not is_uuid(task_id):
            raise RegistryError(f"task ID {task_id!r} from {source} is not a UUID")
        if not callable(fn):
            raise RegistryError(f"task {task_id} from {source} is not callable")
        if task_id in tasks:
            raise RegistryError(f"task ID {task_id} registered twice: by {sources[task_id]} and by {source}")
        tasks[task_id] = fn
        sources[task_id] = source

    for tid, fn in builtin.items():
        add(tid, fn, BUILTIN_SOURCE)
    for impl in pm.hook.mimo_register_tasks.get_hookimpls():
        result = impl.function()
        source = _source_name(pm, impl.plugin)
        if not isinstance(result, Mapping):
            raise RegistryError(f"mimo_register_tasks of {source} returned {type(result).__name__}, not a dict")
        for tid, fn in result.items():
            add(tid, fn, source)
    return tasks
