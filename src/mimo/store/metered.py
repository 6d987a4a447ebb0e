"""A store that reports what the actuator does with it: attempts, outcomes, polls.

:class:`MeteredStore` wraps any :class:`~mimo.store.base.Store` and passes
every call through unchanged. It watches four of them: a successful
``lease_manifest`` starts an attempt (task ID, start time), ``finish_manifest``
ends it with the state written (or ``LeaseLost`` when the write was refused),
a ``renew_lease`` the store refuses ends it as ``LeaseLost`` too (the task's
``check_lease`` then stops it at the next step boundary and nothing more is
written for that attempt), and a successful ``clusters_with_runnable_work``
is the actuator's poll (its readiness, like the Go actuator's
``lastRunnableTasksUpdate``). Arguments are read by name from the wrapped
method's signature, so the wrapper keeps working when a store adds
parameters (a lease generation, say).

Not seen here: an attempt stopped because its lease ran out while the store
could not be reached at all (no answer is not a refusal); it stays counted as
running until this host leases that manifest again.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from mimo.store.base import Store

if TYPE_CHECKING:
    from mimo.metrics import Metrics

__all__ = ["MeteredStore", "metered"]


class MeteredStore:
    def __init__(self, inner: Store, metrics: Metrics, *, on_poll: Callable[[], None] | None = None) -> None:
        self._inner = inner
        self._metrics = metrics
        self._on_poll = on_poll

    def __repr__(self) -> str:
        return f"MeteredStore({self._inner!r})"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _arg(self, method: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        bound = inspect.signature(getattr(self._inner, method)).bind(*args, **kwargs)
        return bound.arguments.get(name)

    def lease_manifest(self, *args: Any, **kwargs: Any) -> Any:
        leased = self._inner.lease_manifest(*args, **kwargs)
        if leased is not None:
            self._metrics.attempt_started(leased.id, leased.maintenance_task_id)
        return leased

    def finish_manifest(self, *args: Any, **kwargs: Any) -> Any:
        manifest_id = self._arg("finish_manifest", "manifest_id", args, kwargs)
        state = self._arg("finish_manifest", "state", args, kwargs)
        try:
            ok = self._inner.finish_manifest(*args, **kwargs)
        except Exception:
            self._metrics.attempt_ended(str(manifest_id), "Error")
            raise
        from mimo.metrics import OUTCOME_LEASE_LOST

        self._metrics.attempt_ended(str(manifest_id), str(state) if ok else OUTCOME_LEASE_LOST)
        return ok

    def renew_lease(self, *args: Any, **kwargs: Any) -> Any:
        ok = self._inner.renew_lease(*args, **kwargs)
        if not ok:  # another host holds the lease now: this attempt ends here, writing nothing
            from mimo.metrics import OUTCOME_LEASE_LOST

            self._metrics.attempt_ended(str(self._arg("renew_lease", "manifest_id", args, kwargs)), OUTCOME_LEASE_LOST)
        return ok

    def clusters_with_runnable_work(self, *args: Any, **kwargs: Any) -> Any:
        found = self._inner.clusters_with_runnable_work(*args, **kwargs)
        if self._on_poll is not None:
            self._on_poll()
        return found


def metered(inner: Store, metrics: Metrics, *, on_poll: Callable[[], None] | None = None) -> Store:
    """:class:`MeteredStore` typed as the :class:`Store` it stands in for."""
    return cast(Store, MeteredStore(inner, metrics, on_poll=on_poll))
