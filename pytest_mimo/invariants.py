"""Invariants over a world, checked after every write of every replay.

An invariant is ``fn(world) -> None``: it holds when it returns ``None`` or
``True``; it is broken when it returns ``False`` or a message, or raises
``AssertionError``. Declare one with :func:`mimo_invariant` in a test module
(it then applies to every replay of that module) or in a task's module (every
replay of that task), or list them on the marker::

    @mimo_invariant
    def serving_certificate_exists(world):
        ...

    @pytest.mark.mimo_scenario(TASK_ID, invariants=[serving_certificate_exists])

The replayer runs them before each request that follows a write, after each
cluster document patch and at the end of each attempt, so a wrong order of
writes (a reference before the object it names) is seen in the moment it
exists, not only in the final world.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any, TypeVar

__all__ = ["mimo_invariant", "is_invariant", "invariants_in", "invariants_of", "unique"]

F = TypeVar("F", bound=Callable[..., Any])


def mimo_invariant(fn: F) -> F:
    """Mark ``fn(world)`` as an invariant of the module it is defined in."""
    if not callable(fn):
        raise TypeError(f"mimo_invariant: {fn!r} is not a function of the world")
    fn.__mimo_invariant__ = True  # type: ignore[attr-defined]
    return fn


def is_invariant(obj: object) -> bool:
    return callable(obj) and getattr(obj, "__mimo_invariant__", False) is True


def invariants_in(module: ModuleType | None) -> list[Callable[..., Any]]:
    """The invariants a module declares, in the order it defines them."""
    if module is None:
        return []
    return [v for v in vars(module).values() if is_invariant(v)]


def invariants_of(task: object) -> list[Callable[..., Any]]:
    """The invariants declared in the module that defines ``task``."""
    namespace = getattr(task, "__globals__", None)  # a function: its module's globals, imported or not
    if isinstance(namespace, dict):
        return [v for v in namespace.values() if is_invariant(v)]
    name = getattr(task, "__module__", None)
    return invariants_in(sys.modules.get(name)) if isinstance(name, str) else []


def unique(fns: Iterable[Callable[..., Any]]) -> list[Callable[..., Any]]:
    out: list[Callable[..., Any]] = []
    for f in fns:
        if not any(f is g for g in out):
            out.append(f)
    return out
