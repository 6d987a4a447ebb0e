"""The watch over one replay's attempts: deadline, task-code sleeps and the wall-clock budget.

The :class:`~pytest_mimo.clock.SimClock` consults its ``guard`` (an
:class:`AttemptWatch` while a replay runs) before every move of virtual time
and on every ``time.sleep``:

- **deadline**: while an attempt runs, virtual time never passes its deadline.
  A sleep or advance that would is cut at the deadline and the attempt is
  aborted there with :class:`AttemptDeadline` — a ``BaseException``, so no
  step swallows it, as no step survives Go's cancelled context. The replay
  turns it into the ``TransientError`` the actuator sees and reports the
  attempt as having run past its deadline in the step it was in.
- **task sleeps**: ``time.sleep`` called from task code (any module but the
  SDKs', the HTTP stack's and the harness's own) is recorded with its call
  site: a step waits through ``tc.sleep()`` or a condition, which know the
  deadline; ``time.sleep`` does not, and in production it blocks the host.
- **wall-clock budget**: a replay that uses more real seconds than its budget
  is stopped with :class:`WallBudgetExceeded`, raised at the next virtual
  sleep, fake request or step boundary, or — for a loop that makes none of
  those — delivered into the replay's thread by a watchdog. Real time passing
  in a replay means a real sleep escaped the simulated clock (``from time
  import sleep`` bound before the clock started) or a loop spins.

Works without pytest; the replayer arms it around each attempt.
"""

from __future__ import annotations

import ctypes
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType

__all__ = [
    "AttemptDeadline",
    "AttemptWatch",
    "TaskSleep",
    "WallBudgetExceeded",
    "LIBRARY_MODULES",
    "DEFAULT_WALL_BUDGET",
]

#: real seconds one replay (baseline, faulted run, idempotence run) may take
DEFAULT_WALL_BUDGET = 60.0

#: modules whose ``time.sleep`` is a client's own back-off, not task code
LIBRARY_MODULES = (
    "azure.",
    "kubernetes.",
    "urllib3.",
    "requests.",
    "msal.",
    "http.",
    "socket",
    "selectors",
    "threading",
    "concurrent.",
    "time_machine",
    "pytest_mimo.",
    "mimo.clock",
    "mimo.actuator.",
)


class AttemptDeadline(BaseException):  # noqa: N818 - it is the cancelled context, not an error to handle
    """Virtual time reached the attempt's deadline; the attempt stops here."""

    def __init__(self, deadline: datetime, step: str) -> None:
        super().__init__(f"attempt reached its deadline {deadline:%Y-%m-%dT%H:%M:%SZ} in step {step or '-'}")
        self.deadline = deadline
        self.step = step


class WallBudgetExceeded(BaseException):  # noqa: N818 - stops the replay like a watchdog kill
    """The replay used more real time than its budget."""


@dataclass(frozen=True)
class TaskSleep:
    """A ``time.sleep`` made by task code."""

    attempt: int
    step: str
    seconds: float
    site: str  #: ``file:line in function``

    def describe(self) -> str:
        return (
            f"attempt {self.attempt}, step {self.step or '-'}: time.sleep({self.seconds:g}) called at {self.site}: "
            "a step waits with tc.sleep() or a condition (time.sleep ignores the task deadline and blocks the host)"
        )


def _is_library(frame: FrameType) -> bool:
    name = str(frame.f_globals.get("__name__", ""))
    return name in ("time", "socket", "selectors", "threading") or name.startswith(LIBRARY_MODULES)


def _site(frame: FrameType) -> str:
    code = frame.f_code
    return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"


@dataclass
class AttemptWatch:
    """One replay's guard on the simulated clock (``clock.guard = watch``)."""

    wall_budget: float = DEFAULT_WALL_BUDGET
    step: str = ""  #: the step now running (kept current by the fault injector)
    attempt: int = 0
    deadline: datetime | None = None  #: armed while an attempt runs
    sleeps: list[TaskSleep] = field(default_factory=list)
    overran: bool = False
    exceeded: str = ""  #: where the wall budget ran out ("" while within it)

    def __post_init__(self) -> None:
        self._wall0 = time.perf_counter()
        self._thread_id = threading.get_ident()
        self._timer: threading.Timer | None = None
        self._sites: set[tuple[int, str]] = set()

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> AttemptWatch:
        """Start the wall clock and the watchdog (call from the thread that runs the replay)."""
        self._wall0 = time.perf_counter()
        self._thread_id = threading.get_ident()
        if self.wall_budget > 0:
            self._timer = threading.Timer(self.wall_budget + 1.0, self._interrupt)
            self._timer.daemon = True
            self._timer.start()
        return self

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def arm(self, attempt: int, deadline: datetime) -> None:
        self.attempt, self.deadline, self.overran = attempt, deadline, False

    def disarm(self) -> None:
        self.deadline = None

    @property
    def wall_seconds(self) -> float:
        return time.perf_counter() - self._wall0

    # -- checks -----------------------------------------------------------------------------
    def check_wall(self) -> None:
        """Raise :class:`WallBudgetExceeded` once the budget is spent (only in the replay's thread)."""
        if self.wall_budget <= 0 or self.exceeded or threading.get_ident() != self._thread_id:
            return
        if self.wall_seconds > self.wall_budget:
            self.exceeded = f"attempt {self.attempt or '-'}, step {self.step or '-'}"
            raise WallBudgetExceeded(f"replay exceeded its wall-clock budget of {self.wall_budget:g}s")

    def _interrupt(self) -> None:
        if self.exceeded:
            return
        self.exceeded = f"attempt {self.attempt or '-'}, step {self.step or '-'} (stopped by the watchdog)"
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread_id), ctypes.py_object(WallBudgetExceeded))

    def before_advance(self, now: datetime, target: datetime) -> datetime | None:
        """The clock is about to move to ``target``: return the deadline when it lies before
        (the clock moves there, then calls :meth:`deadline_reached`), else ``None``."""
        self.check_wall()
        if self.deadline is not None and threading.get_ident() == self._thread_id and target > self.deadline:
            return max(self.deadline, now)
        return None

    def deadline_reached(self) -> None:
        assert self.deadline is not None
        self.overran = True
        deadline, self.deadline = self.deadline, None  # the abort itself may not trip again
        raise AttemptDeadline(deadline, self.step)

    def task_sleep(self, seconds: float, caller: FrameType | None) -> None:
        """``time.sleep(seconds)`` was called from ``caller``: record it when that is task code."""
        if caller is None or self.deadline is None or threading.get_ident() != self._thread_id:
            return
        if _is_library(caller):
            return
        site = _site(caller)
        if (self.attempt, site) not in self._sites:
            self._sites.add((self.attempt, site))
            self.sleeps.append(TaskSleep(self.attempt, self.step, seconds, site))
