"""The store contract's rules that every implementation shares (pure functions)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from mimo.api import FINAL_STATES, MaintenanceManifest, ManifestState

__all__ = [
    "is_runnable",
    "manifest_sort_key",
    "check_finish_state",
    "norm_id",
    "plan_groups",
    "FINISH_STATES",
]

_Row = TypeVar("_Row")

#: states a lease may end in: a final one, or ``Pending`` for a retry
FINISH_STATES = frozenset(FINAL_STATES | {ManifestState.PENDING})


def norm_id(resource_id: str) -> str:
    """Resource IDs are compared lower-cased."""
    return resource_id.strip().lower()


def is_runnable(m: MaintenanceManifest, now: int) -> bool:
    """``Pending``, ``runAfter`` passed, lease free (no owner, or expired)."""
    return (
        m.state == ManifestState.PENDING
        and m.run_after <= now
        and (not m.lease_owner or m.lease_expires < now)
    )


def work_time(m: MaintenanceManifest) -> int | None:
    """The first instant at which the actuator can take ``m`` up (as ``is_runnable`` and
    ``clusters_with_runnable_work`` decide), or ``None`` for a manifest in a final state."""
    if m.state == ManifestState.PENDING:
        return max(m.run_after, m.lease_expires + 1) if m.lease_owner else m.run_after
    if m.state == ManifestState.IN_PROGRESS:
        return m.lease_expires + 1
    return None


def manifest_sort_key(m: MaintenanceManifest) -> tuple[int, int, str]:
    """``runAfter``, then ``priority`` (lower first), then ID for a stable order."""
    return (m.run_after, m.priority, m.id)


def check_finish_state(state: str) -> None:
    if state not in FINISH_STATES:
        raise ValueError(f"state: {state!r} is not a state a lease can end in ({', '.join(sorted(FINISH_STATES))})")


def plan_groups(
    groups: Sequence[tuple[Sequence[str], Sequence[MaintenanceManifest]]],
    row: Callable[[MaintenanceManifest], _Row],
) -> list[tuple[list[str], list[_Row]]]:
    """The plan of a ``cancel_and_create_many`` call, before any write: each group's IDs to
    cancel (duplicates dropped, order kept) and its manifests, validated, as ``row`` renders
    them for the store. A manifest that does not validate raises here, so nothing is written."""
    plans: list[tuple[list[str], list[_Row]]] = []
    for ids, manifests in groups:
        for m in manifests:
            m.validate()
        plans.append((list(dict.fromkeys(ids)), [row(m) for m in manifests]))
    return plans
