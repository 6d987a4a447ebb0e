"""Shrinking a failing replay to a minimal one that still fails (deterministic delta debugging).

A failing faulted replay met a schedule of faults (:attr:`~pytest_mimo.replay.ReplayOutcome.schedule`)
in a world variant (:mod:`pytest_mimo.variants`). Most of those faults and most of the variant's
choices do not matter. :func:`shrink_case` removes them with Zeller and Hildebrandt's *ddmin*
("Simplifying and Isolating Failure-Inducing Input", IEEE TSE 28(2), 2002): first over the faults,
then over the variation points off their default (a point left out takes its default option), then
over the faults again when the variant got smaller. Each trial replays the candidate case from the
start (``Replayer(script=…)`` on the variant's world); a candidate *fails* when the replay reports
any violation. Nothing is random: the same failing case shrinks to the same minimal case.

The result is 1-minimal over each list when the budget of trials lasts: leaving out any single
fault (or any single point) of it makes the replay pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pytest_mimo.cases import ReplayCase

__all__ = ["DEFAULT_BUDGET", "ShrinkResult", "ddmin", "shrink_case"]

T = TypeVar("T")

#: replays one shrink may run
DEFAULT_BUDGET = 48


class _OutOfTrials(Exception):
    pass


class _Trials:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.exhausted = False

    def spend(self) -> None:
        if self.used >= self.budget:
            self.exhausted = True
            raise _OutOfTrials
        self.used += 1


def ddmin(items: Sequence[T], fails: Callable[[list[T]], bool], *, trials: _Trials | None = None) -> list[T]:
    """A 1-minimal sub-list of ``items`` (order kept) for which ``fails`` holds, ``fails(items)``
    assumed. With ``trials`` the search stops when they run out, returning the smallest failing
    sub-list found so far."""
    budget = trials or _Trials(10**9)
    seen: dict[tuple[int, ...], bool] = {}
    current = list(range(len(items)))

    def test(idx: list[int]) -> bool:
        key = tuple(idx)
        if key not in seen:
            budget.spend()
            seen[key] = fails([items[i] for i in idx])
        return seen[key]

    try:
        if current and test([]):
            return []
        n = 2
        while len(current) >= 2:
            size = len(current)
            chunks = [current[i * size // n:(i + 1) * size // n] for i in range(n)]
            reduced = False
            for chunk in chunks:  # a chunk alone fails
                if chunk and test(chunk):
                    current, n, reduced = chunk, 2, True
                    break
            if not reduced:
                for chunk in chunks:  # the rest without a chunk fails
                    rest = [i for i in current if i not in chunk]
                    if rest and len(rest) < size and test(rest):
                        current, n, reduced = rest, max(n - 1, 2), True
                        break
            if not reduced:
                if n >= size:
                    break
                n = min(2 * n, size)
    except _OutOfTrials:
        pass
    return [items[i] for i in current]


@dataclass(frozen=True)
class ShrinkResult:
    case: ReplayCase  #: the smallest failing case found
    original: ReplayCase
    trials: int  #: replays the shrink ran
    complete: bool  #: False when the budget ran out before the case was 1-minimal

    def describe(self) -> str:
        o, c = self.original, self.case
        done = "" if self.complete else f" (stopped after its budget of {self.trials} replays: may not be minimal)"
        return (
            f"shrunk in {self.trials} replay(s){done}: {len(o.faults)} → {len(c.faults)} fault(s), "
            f"{len(o.variant)} → {len(c.variant)} varied point(s)"
        )


def shrink_case(
    case: ReplayCase, fails: Callable[[ReplayCase], str | None], *, budget: int = DEFAULT_BUDGET
) -> ShrinkResult:
    """Shrink ``case`` (which fails) to a minimal failing one. ``fails(candidate)`` replays a
    candidate and returns its first violation, or ``None`` when it passes."""
    trials = _Trials(budget)
    last = {"violation": case.violation}

    def check(candidate: ReplayCase) -> bool:
        v = fails(candidate)
        if v is not None:
            last["violation"] = v
        return v is not None

    def by_faults(c: ReplayCase) -> ReplayCase:
        kept = ddmin(list(c.faults), lambda fs: check(dataclasses.replace(c, faults=tuple(fs))), trials=trials)
        return dataclasses.replace(c, faults=tuple(kept))

    def by_points(c: ReplayCase) -> ReplayCase:
        pairs = list(c.variant.items())
        kept = ddmin(pairs, lambda ps: check(dataclasses.replace(c, variant=dict(ps))), trials=trials)
        return dataclasses.replace(c, variant=dict(kept))

    current = by_faults(case)
    smaller = by_points(current)
    if smaller.variant != current.variant and smaller.faults:
        smaller = by_faults(smaller)
    complete = not trials.exhausted
    # every failing trial was taken, so the last violation seen is the minimal case's
    final = dataclasses.replace(smaller, violation=last["violation"])
    return ShrinkResult(final, case, trials.used, complete)
