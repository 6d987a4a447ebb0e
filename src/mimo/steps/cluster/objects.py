"""Retry-safe writes of Kubernetes objects, shared by the cluster steps.

Both functions compare before they write, so running a step twice changes
nothing the second time, and both survive the two things a retried write
meets: a ``409 Conflict`` (another writer came first: re-read and re-apply,
through :func:`mimo.kube.retry_on_conflict`) and a create whose response was
lost (``409 AlreadyExists`` on the retry: fall back to an update).

They raise the client's own exceptions; the calling step classifies them
with :func:`mimo.steps.errors.kube_error`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mimo.kube import KubeHelper

__all__ = ["get_or_none", "modify", "create_or_get", "ensure", "ensure_verb", "ensure_merged"]

Obj = dict[str, Any]


def get_or_none(
    helper: KubeHelper, api_version: str, kind: str, name: str, namespace: str | None = None
) -> Obj | None:
    """The object, or ``None`` when the server says ``404``."""
    from mimo.kube import is_not_found

    try:
        return helper.get_one(api_version, kind, name, namespace)
    except Exception as e:
        if is_not_found(e):
            return None
        raise


def modify(
    helper: KubeHelper,
    api_version: str,
    kind: str,
    name: str,
    mutate: Callable[[Obj], None],
    namespace: str | None = None,
) -> bool:
    """Read the object, apply ``mutate`` to a copy, and update it only if that changed it.

    Returns whether it wrote. A missing object raises the server's ``404``.
    """
    from mimo.kube import retry_on_conflict

    wrote = False

    def attempt() -> None:
        nonlocal wrote
        current = helper.get_one(api_version, kind, name, namespace)
        desired = copy.deepcopy(current)
        mutate(desired)
        if desired == current:
            wrote = False
            return
        helper.update(desired)
        wrote = True

    retry_on_conflict(attempt)
    return wrote


def create_or_get(helper: KubeHelper, desired: Obj) -> Obj | None:
    """Create ``desired`` when it does not exist (``None``), else return the stored object."""
    from mimo.kube import is_already_exists

    meta = desired["metadata"]
    args = (desired["apiVersion"], desired["kind"], meta["name"], meta.get("namespace"))
    current = get_or_none(helper, *args)
    if current is not None:
        return current
    try:
        helper.create(copy.deepcopy(desired))
        return None
    except Exception as e:
        if not is_already_exists(e):
            raise
    # our earlier create landed but its answer was lost, or another writer came first
    return helper.get_one(*args)


def ensure(helper: KubeHelper, desired: Obj, fields: tuple[str, ...] = ("data",)) -> bool:
    """Create ``desired``, or update the top-level ``fields`` of the existing object to match.

    Returns whether it wrote.
    """
    return ensure_verb(helper, desired, fields) is not None


def ensure_verb(helper: KubeHelper, desired: Obj, fields: tuple[str, ...] = ("data",)) -> str | None:
    """:func:`ensure`, returning what it did as Go's ``clienthelper.Ensure`` logs it: ``"Create"``,
    ``"Update"``, or ``None`` when the object already matched."""

    def merge(updated: Obj) -> None:
        for f in fields:
            if f in desired:
                updated[f] = copy.deepcopy(desired[f])

    return ensure_merged(helper, desired, merge)


def ensure_merged(helper: KubeHelper, desired: Obj, merge: Callable[[Obj], None]) -> str | None:
    """Go's ``clienthelper.Ensure`` with the merge left to the caller: create ``desired`` when it
    does not exist, else ``merge(updated)`` brings a copy of the stored object to what ``desired``
    wants, and the copy is written when it differs from the stored one.

    ``merge`` changes its argument in place (it must not keep or change ``desired``); after a
    ``409 Conflict`` it is called again on a copy of the re-read object. Returns ``"Create"``,
    ``"Update"``, or ``None`` when nothing was written.
    """
    from mimo.kube import retry_on_conflict

    did: str | None = None

    def attempt() -> None:
        nonlocal did
        did = None
        current = create_or_get(helper, desired)
        if current is None:
            did = "Create"
            return
        updated = copy.deepcopy(current)
        merge(updated)
        if updated == current:
            return
        helper.update(updated)
        did = "Update"

    retry_on_conflict(attempt)
    return did
