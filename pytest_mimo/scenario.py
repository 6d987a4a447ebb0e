"""One replay of a scenario: its world variant built, the replay run, a failure shrunk.

What the ``mimo_replay`` fixture does with ``mimo_replay(task, world=builder)``, without pytest:

1. remember the world as the scenario left it (``pristine``);
2. build the variant: replay 0 takes every point's first option, a faulted replay draws its
   options from its seed, a replay case (:mod:`pytest_mimo.cases`) gives them;
3. replay (:class:`~pytest_mimo.replay.Replayer`) with the variant's expected final states, the
   seed's fault combination (:mod:`pytest_mimo.combos`) or the case's exact fault schedule;
4. when it fails, shrink (:mod:`pytest_mimo.shrink`) the schedule and the variant, each trial
   rebuilt from ``pristine``, and save the minimal case under ``.mimo/cases/``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_mimo.cases import ReplayCase
from pytest_mimo.combos import pick_combo
from pytest_mimo.replay import Replayer, ReplayOutcome, RunResult
from pytest_mimo.shrink import ShrinkResult, shrink_case
from pytest_mimo.variants import Variant, WorldBuilder
from pytest_mimo.world import MimoWorld

__all__ = ["ScenarioReplay", "as_builder"]


def as_builder(world: Any) -> WorldBuilder | None:
    """``world=`` of ``mimo_replay``: a :class:`WorldBuilder`, or a function ``(world, variant)``."""
    if world is None or isinstance(world, WorldBuilder):
        return world
    if callable(world):
        try:
            count = len(inspect.signature(world).parameters)
        except (TypeError, ValueError):
            count = 0
        if count == 2:
            return WorldBuilder(world)
    raise TypeError(
        f"mimo_replay(world=…) takes a world builder (@pytest_mimo.world_builder, or a function of "
        f"(world, variant)), not {world!r}"
    )


class ScenarioReplay:
    """The replays of one scenario test on ``world``. ``make_replayer(**overrides)`` gives the
    test's :class:`Replayer` (seed, rate, site picker, invariants…) with ``overrides`` applied."""

    def __init__(
        self,
        world: MimoWorld,
        make_replayer: Callable[..., Replayer],
        *,
        scenario: str,
        seed: int,
        faulted: bool,
        builder: WorldBuilder | None = None,
        case: ReplayCase | None = None,
        combos: bool = True,
    ) -> None:
        self.world = world
        self.make_replayer = make_replayer
        self.scenario = scenario
        self.seed = case.seed if case is not None else seed
        self.faulted = faulted or case is not None
        self.builder = builder
        self.case = case
        self.combos = combos
        #: the world as the scenario left it: each variant (and each shrink trial) is built on it
        self.pristine = world.snapshot()
        self.shrunk: ShrinkResult | None = None

    # -- one replay ------------------------------------------------------------------------------
    def _variant(self, fixed: dict[str, str] | None) -> Variant:
        if fixed is not None:
            return Variant(fixed=fixed)
        return Variant(seed=self.seed) if self.faulted else Variant()

    def _run(self, task: Any, fixed: dict[str, str] | None, script: Any, **kw: Any) -> ReplayOutcome:
        overrides: dict[str, Any] = {}
        variant: Variant | None = None
        if self.builder is not None:
            variant = self.builder(self.world, self._variant(fixed))
            states, who = variant.expected(self.builder.expect)
            if states is not None:
                overrides.update(
                    expect=states,
                    expect_why=f"the world variant {who}" if who != "the world builder" else f"the world builder {self.builder.name}",
                )
        elif fixed:
            raise ValueError(
                f"--mimo-replay-case: the case sets the world variant {fixed}, but this scenario passes no "
                "world builder to mimo_replay(world=…)"
            )
        combo = pick_combo(self.seed) if self.faulted and script is None and self.combos else None
        if script is not None:  # exactly these faults: no targeted site either
            overrides.update(script=script, faulted=True, site=None, site_picker=None)
        outcome = self.make_replayer(seed=self.seed, combo=combo, **overrides).replay(task, **kw)
        if variant is not None:
            outcome.variant = variant.describe()
            outcome.choices = variant.to_dict()
        outcome.combo = combo.describe() if combo is not None else ""
        return outcome

    def baseline(self, task: Any, *, max_dequeues: int = 5) -> RunResult:
        """Only the clean baseline, in the variant this replay builds (exhaustive exploration
        enumerates its sites)."""
        if self.builder is not None:
            self.builder(self.world, self._variant(None))
        return self.make_replayer(seed=self.seed).baseline(task, max_dequeues=max_dequeues)

    def replay(self, task: Any, **kw: Any) -> ReplayOutcome:
        """The replay of this seed (or of the case)."""
        if self.case is not None:
            if self.case.scenario != self.scenario:
                raise ValueError(
                    f"--mimo-replay-case: the case is of scenario {self.case.scenario}, not of {self.scenario}"
                )
            return self._run(task, self.case.variant, list(self.case.faults), **kw)
        return self._run(task, None, None, **kw)

    # -- shrinking -------------------------------------------------------------------------------
    def to_case(self, outcome: ReplayOutcome) -> ReplayCase:
        nd = {} if self.builder is None else {
            p: c for p, c in outcome.choices.items() if c != self._default_of(p)
        }
        return ReplayCase(
            self.scenario, outcome.task_id, nd, tuple(outcome.schedule), self.seed,
            outcome.violations[0] if outcome.violations else "",
        )

    def _default_of(self, point: str) -> str:
        assert self.builder is not None
        if not hasattr(self, "_defaults"):
            probe = Variant()
            self.world.restore(self.pristine)
            self.builder(self.world, probe)
            self._defaults = {p: names[0] for p, names in probe.points.items()}
        return self._defaults.get(point, "")

    def shrink(self, task: Any, outcome: ReplayOutcome, *, budget: int, **kw: Any) -> ShrinkResult | None:
        """Shrink a failing ``outcome`` to a minimal case (``None`` when there is nothing to take out)."""
        if not outcome.violations or not outcome.faulted:
            return None
        case = self.to_case(outcome)
        if not case.faults and not case.variant:
            return None
        pristine = self.pristine

        def fails(candidate: ReplayCase) -> str | None:
            self.world.restore(pristine)
            out = self._run(task, candidate.variant, list(candidate.faults), **kw)
            return out.violations[0] if out.violations else None

        self.shrunk = shrink_case(case, fails, budget=budget)
        return self.shrunk

    def shrunk_report(self, root: Path, command: Callable[[Path], str]) -> str:
        """The lines under a failure: what the shrink found and the command that replays it."""
        r = self.shrunk
        if r is None:
            return ""
        path = r.case.save(root)
        try:
            shown = path.relative_to(root)
        except ValueError:
            shown = path
        lines = [f"  minimal failing case ({r.describe()}): {r.case.describe()}"]
        if r.case.variant:
            lines.append("    world variant: " + ", ".join(f"{p}={o}" for p, o in r.case.variant.items()))
        lines += [f"    {f.describe()}" for f in r.case.faults]
        if r.case.violation:
            lines.append(f"    violation: {r.case.violation}")
        lines.append(f"  replay the minimal case: {command(Path(shown))}")
        return "\n".join(lines)
