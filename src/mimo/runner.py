"""Steps and the runner.

A step is ``step(tc) -> None``. :func:`action` wraps a function run once;
:func:`condition` wraps a predicate polled on the context's clock until it
holds. :func:`run_steps` runs a task's steps in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from mimo.context import TaskContext
from mimo.durations import as_seconds, format_duration
from mimo.errors import LeaseLost, TransientError

__all__ = ["Step", "StepObserver", "action", "condition", "run_steps", "DEFAULT_POLL_INTERVAL"]

DEFAULT_POLL_INTERVAL = 10.0

StepFunc = Callable[[TaskContext], None]
ConditionFunc = Callable[[TaskContext], bool]


def _name_of(fn: Callable[..., object]) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


@dataclass(frozen=True)
class Step:
    """One step of a task: ``kind`` is ``action`` or ``condition``."""

    kind: str
    name: str
    run: StepFunc
    #: a condition's timeout in seconds (``None`` for an action)
    timeout: float | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}.{self.name}"

    @property
    def label(self) -> str:
        """As Go's step ``String()`` (``pkg/util/steps``): ``[Action <name>]``,
        ``[Condition <name>, timeout 20m0s]``; the name is the Python function's."""
        if self.kind == "condition" and self.timeout is not None:
            return f"[Condition {self.name}, timeout {format_duration(self.timeout)}]"
        return f"[{self.kind.capitalize()} {self.name}]"

    def __call__(self, tc: TaskContext) -> None:
        self.run(tc)


def action(fn: StepFunc, *, name: str | None = None) -> Step:
    """A step that runs ``fn(tc)`` once."""
    return Step("action", name or _name_of(fn), fn)


def condition(
    fn: ConditionFunc,
    timeout: float | timedelta,
    fail: bool = True,
    poll_interval: float | timedelta = DEFAULT_POLL_INTERVAL,
    *,
    name: str | None = None,
) -> Step:
    """A step that polls ``fn(tc)`` until it returns true.

    ``fn`` runs at once, then every ``poll_interval`` on the context's clock.
    After ``timeout`` it raises ``TransientError("condition <name> timed out after <timeout>")``,
    or with ``fail=False`` logs a warning and lets the task go on. Errors
    raised by ``fn`` pass through unchanged.
    """
    timeout_s = as_seconds(timeout)
    interval = as_seconds(poll_interval)
    if timeout_s < 0 or interval <= 0:
        raise ValueError("condition needs timeout >= 0 and poll_interval > 0")
    cname = name or _name_of(fn)

    def poll(tc: TaskContext) -> None:
        start = tc.now()
        while True:
            if fn(tc):
                return
            waited = (tc.now() - start).total_seconds()
            if waited >= timeout_s:
                msg = f"condition {cname} timed out after {format_duration(timeout_s)}"
                if fail:
                    raise TransientError(msg)
                # Go conditionStep.run's warning (pkg/util/steps/condition.go)
                tc.log().warning("step %s failed but has configured 'fail=false'. Continuing. Error: %s",
                                 step.label, msg)
                return
            tc.sleep(min(interval, timeout_s - waited))

    poll.__name__ = cname
    step = Step("condition", cname, poll, timeout_s)
    return step


class StepObserver(Protocol):
    """Watches step boundaries. A context may expose one as ``tc.step_observer``
    (the harness does, to know the current step and to simulate a crash between
    steps); production contexts have none."""

    def step_started(self, index: int, step: Step) -> None: ...

    def step_finished(self, index: int, step: Step, error: BaseException | None) -> None: ...


def run_steps(tc: TaskContext, steps: Sequence[Step | StepFunc]) -> dict[str, float]:
    """Run ``steps`` in order; return each step's duration in seconds, keyed ``action.<name>``.

    Stops at the first failure and re-raises it (logged first). Past
    ``tc.deadline``, raises ``TransientError("task deadline exceeded")``
    before starting the next step; when the context's ``check_lease()``
    reports the lease lost (:class:`~mimo.errors.LeaseLost`), raises that
    before starting the next step. Durations are read on the context's clock.
    """
    durations: dict[str, float] = {}
    log = tc.log()
    observer: StepObserver | None = getattr(tc, "step_observer", None)
    # the lease the task runs under, when its context has one (the production context does)
    check_lease: Callable[[], None] | None = getattr(tc, "check_lease", None)
    for index, raw in enumerate(steps):
        step = raw if isinstance(raw, Step) else action(raw)
        if tc.now() > tc.deadline:
            err = TransientError("task deadline exceeded")
            log.error("step %s not started: %s", step.key, err)
            raise err
        if check_lease is not None:
            try:
                check_lease()
            except LeaseLost as e:
                log.error("step %s not started: %s", step.key, e)
                raise
        log.info("running step %s", step.label)  # Go steps.Run
        if observer is not None:
            observer.step_started(index, step)
        start = tc.now()
        try:
            step.run(tc)
        except Exception as e:
            durations[step.key] = (tc.now() - start).total_seconds()
            log.error("step %s encountered error: %s", step.label, e)  # Go steps.Run
            if observer is not None:
                observer.step_finished(index, step, e)
            raise
        durations[step.key] = (tc.now() - start).total_seconds()
        if observer is not None:
            observer.step_finished(index, step, None)
    return durations
