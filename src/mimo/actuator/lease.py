"""Keeps a manifest's lease alive while its task runs.

A small daemon thread renews the lease every ``interval`` seconds of *real*
time (default: a third of the lease) by pushing its expiry to
``clock.now() + lease_seconds``. It stops when asked, when the lease is lost
(another actuator recovered it after it expired) or when the store fails
twice in a row; it never ends the lease itself.
"""

from __future__ import annotations

import logging
import math
import threading

from mimo.clock import Clock
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
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
    ) -> None:
        self.store = store
        self.manifest_id = manifest_id
        self.owner = owner
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.interval = interval if interval is not None else lease_seconds / 3
        if self.interval <= 0:
            raise ValueError("lease renewal interval must be positive")
        self.log = logger or logging.getLogger("mimo.actuator")
        self.renewals = 0
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def renew_once(self) -> bool:
        """Push the expiry once; ``False`` when the lease is no longer ours."""
        ok = self.store.renew_lease(self.manifest_id, self.owner, lease_expiry(self.clock, self.lease_seconds))
        if ok:
            self.renewals += 1
        else:
            self.lost = True
            self.log.error("lease on manifest %s lost: no longer held by %s", self.manifest_id, self.owner)
        return ok

    def _run(self) -> None:
        failures = 0
        while not self._stop.wait(self.interval):
            try:
                if not self.renew_once():
                    return
                failures = 0
            except Exception as e:  # the store hiccuped: try again next tick, give up after two
                failures += 1
                self.log.warning("renewing the lease on manifest %s failed: %s", self.manifest_id, e)
                if failures >= 2:
                    return

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
