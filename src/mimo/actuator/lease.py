"""Keeps a manifest's lease alive while its task runs, and tells the task when it is lost.

:class:`LeaseRenewer` names one lease (manifest, owner, generation = the
``dequeues`` the lease returned). A small daemon thread renews it every
``interval`` seconds of *real* time (default: a third of the lease) by pushing
its expiry to ``clock.now() + lease_seconds``; a store error is logged and
tried again at the next tick. It stops when asked or when the store says the
lease is no longer held (another actuator recovered it after it expired); it
never ends the lease itself.

:meth:`LeaseRenewer.check` is the task's side (``TaskContext.check_lease``,
called by the runner before every step and after every ``sleep``): while more
than :attr:`margin` of the lease is left by the clock it costs nothing; past
that (the renewals stalled — a long pause, a frozen VM, SIGSTOP — or the store
is unreachable) it renews at once, and raises :class:`~mimo.errors.LeaseLost`
when the store refuses, or when the renewal fails and the lease has run out.
"""

from __future__ import annotations

import logging
import math
import threading

from mimo.clock import Clock
from mimo.errors import LeaseLost
from mimo.store.base import Store

__all__ = ["LeaseRenewer", "lease_expiry"]


def lease_expiry(clock: Clock, lease_seconds: float) -> int:
    """Unix second at which a lease taken now ends (rounded up)."""
    return int(math.ceil(clock.now().timestamp() + lease_seconds))


class LeaseRenewer:
    def __init__(
        self,
        store: Store,
        manifest_id: str,
        owner: str,
        *,
        clock: Clock,
        lease_seconds: float,
        interval: float | None = None,
        generation: int | None = None,
        expires: int | None = None,
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
    ) -> None:
        self.store = store
        self.manifest_id = manifest_id
        self.owner = owner
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.generation = generation
        self.interval = interval if interval is not None else lease_seconds / 3
        if self.interval <= 0:
            raise ValueError("lease renewal interval must be positive")
        #: the expiry the store last confirmed (Unix seconds)
        self.expires = int(expires) if expires is not None else lease_expiry(clock, lease_seconds)
        #: a check with less than this many seconds of the lease left asks the store first
        self.margin = lease_seconds / 3
        self.log = logger or logging.getLogger("mimo.actuator")
        self.renewals = 0
        self.lost = False
        self._stop = threading.Event()
        self._renewing = threading.Lock()
        self._thread: threading.Thread | None = None

    def renew_once(self) -> bool:
        """Push the expiry once; ``False`` when the lease is no longer ours."""
        with self._renewing:
            if self.lost:
                return False
            expires = lease_expiry(self.clock, self.lease_seconds)
            ok = self.store.renew_lease(self.manifest_id, self.owner, expires, generation=self.generation)
            if ok:
                self.renewals += 1
                self.expires = max(self.expires, expires)
            else:
                self.lost = True
                self.log.error(
                    "lease on manifest %s lost: no longer held by %s (generation %s)",
                    self.manifest_id, self.owner, self.generation,
                )
            return ok

    def check(self) -> None:
        """Return while the lease is held; :class:`LeaseLost` when it is not (see the module doc)."""
        if self.lost:
            raise LeaseLost(f"lease on manifest {self.manifest_id} lost: another actuator holds it now")
        now = self.clock.now().timestamp()
        if now < self.expires - self.margin:
            return
        try:
            ok = self.renew_once()
        except Exception as e:
            if now < self.expires:
                return  # still ours by the clock; the next check or tick tries again
            self.lost = True
            raise LeaseLost(
                f"lease on manifest {self.manifest_id} ran out and could not be renewed: {e}"
            ) from None
        if not ok:
            raise LeaseLost(f"lease on manifest {self.manifest_id} lost: another actuator holds it now")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if not self.renew_once():
                    return
            except Exception as e:  # the store hiccuped: try again at the next tick
                self.log.warning("renewing the lease on manifest %s failed: %s", self.manifest_id, e)

    def start(self) -> LeaseRenewer:
        self._thread = threading.Thread(
            target=self._run, name=f"mimo-lease-{self.manifest_id[:8]}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout=max(5.0, self.interval))
