"""Readiness of a MIMO host, and ``/healthz`` answered as the Go MIMO answers it.

The Go actuator and scheduler serve controller-runtime's ``healthz.Handler``
with one check, ``ready`` (``pkg/mimo/actuator/service.go``, ``checkReady``):
ready when every loop refreshed its view recently (buckets, clusters,
runnable tasks) and the service has run for at least ``readinessDelay``
(2 minutes). Here each loop the host runs is a :class:`Freshness` that it
touches after each successful poll; the host is ready when every one was
touched within its window and the delay has passed.

Answers (controller-runtime ``pkg/healthz/healthz.go``): ``/healthz/ready``
→ 200 ``ok``, or 500 ``internal server error: not ready``; ``/healthz`` →
200 ``ok`` (``?verbose``: ``[+]ready ok`` + ``healthz check passed``), or 500
``[-]ready failed: reason withheld`` + ``healthz check failed``; any other
check name → 404 ``404 page not found``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Freshness", "Readiness", "healthz_reply", "READINESS_DELAY"]

#: the Go services' default readinessDelay
READINESS_DELAY = 120.0


class Freshness:
    """One loop's last successful poll, and how old it may be for the host to be ready."""

    def __init__(self, name: str, max_age: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        if max_age <= 0:
            raise ValueError(f"{name}: max_age must be positive")
        self.name = name
        self.max_age = float(max_age)
        self._monotonic = monotonic
        self._last: float | None = None
        self._lock = threading.Lock()

    def touch(self) -> None:
        with self._lock:
            self._last = self._monotonic()

    def fresh(self) -> bool:
        with self._lock:
            return self._last is not None and self._monotonic() - self._last < self.max_age

    def __repr__(self) -> str:
        return f"Freshness({self.name!r}, max_age={self.max_age:g}, fresh={self.fresh()})"


class Readiness:
    """Ready when ``delay`` seconds have passed since start and every freshness is fresh."""

    def __init__(self, *, delay: float = READINESS_DELAY, monotonic: Callable[[], float] = time.monotonic) -> None:
        if delay < 0:
            raise ValueError("readiness delay: must not be negative")
        self.delay = float(delay)
        self._monotonic = monotonic
        self.started = monotonic()
        self.checks: dict[str, Callable[[], bool]] = {}

    def freshness(self, name: str, max_age: float) -> Freshness:
        """A new check: ``name`` was touched within ``max_age`` seconds."""
        f = Freshness(name, max_age, self._monotonic)
        self.checks[name] = f.fresh
        return f

    def add_check(self, name: str, check: Callable[[], bool]) -> None:
        """Any other condition (a loop's thread still running, say)."""
        self.checks[name] = check

    def part_ready(self, *names: str) -> bool:
        """Only these checks (a loop's heartbeat), and the delay."""
        return self._past_delay() and all(n in self.checks and self.checks[n]() for n in names)

    def _past_delay(self) -> bool:
        return self._monotonic() - self.started >= self.delay

    def ready(self) -> bool:
        return self._past_delay() and all(check() for check in self.checks.values())


def healthz_reply(readiness: Readiness, check: str | None, *, verbose: bool = False) -> tuple[int, str]:
    """``(status, text/plain body)`` for ``/healthz`` (``check=None``) or ``/healthz/<check>``."""
    ok = readiness.ready()
    if check is None:
        if ok and not verbose:
            return 200, "ok"
        if ok:
            return 200, "[+]ready ok\nhealthz check passed\n"
        return 500, "[-]ready failed: reason withheld\nhealthz check failed\n"
    if check != "ready":
        return 404, "404 page not found\n"
    if ok:
        return 200, "ok"
    return 500, "internal server error: not ready\n"
