"""The simulated clock: virtual UTC time that moves only when told.

While running, ``time.time``, ``datetime.now``, ``date.today`` (through
``time-machine``) **and** ``time.sleep`` follow it: a sleep advances virtual
time at once. So the runner's conditions, the Azure SDK's retry back-off and
long-running-operation polling, and the fakes' timestamps all cost no wall
time. ``time.monotonic`` and ``perf_counter`` stay real (wall time).

Works without pytest::

    with SimClock("2026-03-02T09:00:00Z") as clock:
        time.sleep(1200)            # returns at once
        assert clock.elapsed == timedelta(minutes=20)
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any, Protocol

import time_machine

__all__ = ["SimClock", "ClockGuard", "DEFAULT_START", "parse_start", "on_advance", "off_advance"]

#: called (with no arguments) after any running SimClock moves forward: servers waiting on virtual
#: deadlines (a fake kube's watches, its namespace controller) wake and look at the time
#: (a tuple, replaced on every change: a move reads it without a lock or a copy, and a fleet of a
#: thousand fake servers is called on every forward move of a simulation's clock). A move to the
#: same instant or backwards (a simulated worker's time line ending, a replay rewinding) brings
#: no deadline nearer, so it calls nobody.
_advance_listeners: tuple[Any, ...] = ()
_listeners_lock = threading.Lock()


def on_advance(fn: Any) -> None:
    """Call ``fn()`` after every forward move of a running :class:`SimClock` (until :func:`off_advance`)."""
    global _advance_listeners
    with _listeners_lock:
        _advance_listeners = (*_advance_listeners, fn)


def off_advance(fn: Any) -> None:
    global _advance_listeners
    with _listeners_lock:
        if fn in _advance_listeners:
            listeners = list(_advance_listeners)
            listeners.remove(fn)
            _advance_listeners = tuple(listeners)


def _moved() -> None:
    for fn in _advance_listeners:
        fn()

DEFAULT_START = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday


def parse_start(value: str | datetime | None) -> datetime:
    """``2026-03-02T09:00:00Z`` (or a datetime) → aware UTC datetime; ``ValueError`` naming the text."""
    if value is None:
        return DEFAULT_START
    if isinstance(value, datetime):
        t = value
    else:
        try:
            t = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"mimo_clock: {value!r} is not an ISO 8601 time such as 2026-03-02T09:00:00Z") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc)


class ClockGuard(Protocol):
    """Watches the clock (see :class:`pytest_mimo.attempts.AttemptWatch`)."""

    def before_advance(self, now: datetime, target: datetime) -> datetime | None:
        """Return an instant before ``target`` to stop at (then :meth:`deadline_reached`), or None."""

    def deadline_reached(self) -> None:
        """Called once the clock stopped at that instant; raises."""

    def task_sleep(self, seconds: float, caller: Any) -> None:
        """``time.sleep(seconds)`` was called from the frame ``caller``."""


class SimClock:
    """Virtual time for one test (or one simulation). Satisfies :class:`mimo.clock.Clock`."""

    def __init__(self, start: str | datetime | None = None) -> None:
        self.start_time = parse_start(start)
        self._travel: Any = None
        self._traveller: Any = None
        self._real_sleep: Any = None
        self._patched_sleep: Any = None
        self._lock = threading.RLock()
        self._wall_start = time.perf_counter()
        self._slept = 0.0
        #: consulted before every move of time and on every ``time.sleep`` (the replays' attempt watch)
        self.guard: ClockGuard | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._traveller is not None

    def start(self) -> SimClock:
        if self.running:
            return self
        self._travel = time_machine.travel(self.start_time, tick=False)
        self._traveller = self._travel.start()
        self._real_sleep = time.sleep
        self._patched_sleep = self._virtual_sleep
        time.sleep = self._patched_sleep
        self._wall_start = time.perf_counter()
        return self

    def stop(self) -> None:
        if not self.running:
            return
        if time.sleep is self._patched_sleep:
            time.sleep = self._real_sleep
        self._travel.stop()
        self._travel = self._traveller = None

    def __enter__(self) -> SimClock:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _require(self) -> Any:
        if self._traveller is None:
            raise RuntimeError("SimClock is not running: call start() or use it as a context manager")
        return self._traveller

    # -- the Clock protocol ----------------------------------------------------------------
    def now(self) -> datetime:
        self._require()
        return datetime.fromtimestamp(time.time(), tz=timezone.utc)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def _virtual_sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        guard = self.guard
        if guard is not None:
            guard.task_sleep(seconds, sys._getframe(1))
        self.advance(seconds)

    # -- moving time -------------------------------------------------------------------------
    def advance(self, delta: float | timedelta) -> datetime:
        """Move virtual time forward by ``delta`` (seconds or a timedelta); returns the new now."""
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward; use move_to() to rewind")
        guard = self.guard
        if guard is not None:
            now = self.now()
            stop = guard.before_advance(now, now + timedelta(seconds=seconds))
            if stop is not None:
                with self._lock:
                    self._require().shift((stop - now).total_seconds())
                guard.deadline_reached()
        with self._lock:
            self._require().shift(seconds)
            self._slept += seconds
        if seconds > 0:
            _moved()
        return self.now()

    def move_to(self, when: str | datetime) -> datetime:
        """Jump to an absolute instant (also backwards: replays rewind to their start).

        Only a move forward calls the :func:`on_advance` listeners (no deadline comes nearer otherwise).
        """
        with self._lock:
            traveller = self._require()
            before = time.time()
            traveller.move_to(parse_start(when))
            forward = time.time() > before
        if forward:
            _moved()
        return self.now()

    @property
    def elapsed(self) -> timedelta:
        """Virtual time since the clock's start instant."""
        return self.now() - self.start_time

    @property
    def wall_elapsed(self) -> timedelta:
        """Real time since ``start()``."""
        return timedelta(seconds=time.perf_counter() - self._wall_start)

    def __repr__(self) -> str:
        state = self.now().isoformat() if self.running else "stopped"
        return f"SimClock({state})"
