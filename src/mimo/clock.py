"""Clocks: where a TaskContext and the actuator read the time and wait.

Production uses :class:`SystemClock`. The harness passes its simulated clock,
which satisfies the same :class:`Clock` protocol.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "utcnow"]


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC now."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...


def utcnow() -> datetime:
    """Aware UTC now from ``time.time()`` (so a travelled clock moves it too)."""
    return datetime.fromtimestamp(time.time(), tz=timezone.utc)


class SystemClock:
    """Real time. ``time.sleep`` is looked up at call time, so a patched one is honoured."""

    def now(self) -> datetime:
        return utcnow()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
