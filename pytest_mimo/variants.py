"""Varied worlds: a scenario's world as a builder with named variation points.

A *world builder* is a function ``build(world, v)`` that fills a :class:`~pytest_mimo.world.MimoWorld`
and asks its :class:`Variant` ``v`` at every place the world may differ::

    @world_builder(expect="Completed")
    def cluster(world, v):
        conditions = v.choose("degraded", {"present": "False", "absent": None})
        world.kube.add(cluster_operator(degraded=conditions))
        if v.choose("clusteroperator", [option("present", True),
                                        option("missing", False, expect="Failed")]):
            ...

    def test_it(mimo_replay):
        mimo_replay(TASK_ID, world=cluster)

Each replay seed draws one *variant* (one option per point); replay 0 (the clean one) gets the
first option of every point, the world as the scenario would have written it without variation
points. The baseline of each variant defines what "correct" means for it, as for any world; an
``expect`` (on the builder, or on an option, which wins) says more: the final states the
baseline of such a variant must end in — a missing essential object is a terminal failure,
while a flag set that is empty is no reason to fail. A failure prints the variant.

Draws are deterministic: a point's option depends only on the seed and the point's name, so a
builder that gains a point keeps the others' draws. :class:`Variant` with ``fixed`` replays
given choices (``--mimo-replay-case``, the shrinker), taking the first option elsewhere.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Option", "Variant", "WorldBuilder", "option", "world_builder", "expected_states"]


def _states(expect: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if expect is None:
        return None
    return (expect,) if isinstance(expect, str) else tuple(expect)


@dataclass(frozen=True)
class Option:
    """One option of a variation point: its name (printed), the value ``choose`` returns, and the
    final states a baseline of a variant with it must end in (``None``: whatever the baseline says)."""

    name: str
    value: Any = None
    expect: tuple[str, ...] | None = None


def option(name: str, value: Any = None, *, expect: str | Iterable[str] | None = None) -> Option:
    """An :class:`Option`; ``expect`` is a manifest state (``"Failed"``) or several."""
    return Option(name, value, _states(expect))


def _options(point: str, options: Mapping[str, Any] | Sequence[Any]) -> list[Option]:
    if isinstance(options, Mapping):
        out = [v if isinstance(v, Option) else Option(str(k), v) for k, v in options.items()]
    else:
        out = [o if isinstance(o, Option) else Option(str(o), o) for o in options]
    if not out:
        raise ValueError(f"variation point {point!r} has no options")
    names = [o.name for o in out]
    if len(set(names)) != len(names):
        raise ValueError(f"variation point {point!r} has two options of one name: {names}")
    return out


class Variant:
    """The choices of one world variant, drawn from ``seed`` (``None``: every point's first option)
    or ``fixed`` by name (points not listed take their first option)."""

    def __init__(self, seed: int | None = None, fixed: Mapping[str, str] | None = None) -> None:
        self.seed = seed
        self.fixed = dict(fixed) if fixed is not None else None
        #: point → name of the option taken, in the order the builder asked
        self.chosen: dict[str, str] = {}
        #: point → the names of its options (the first is the default)
        self.points: dict[str, list[str]] = {}
        self._expect: dict[str, tuple[str, ...]] = {}

    def choose(self, point: str, options: Mapping[str, Any] | Sequence[Any]) -> Any:
        """The value of the option this variant takes at ``point`` (a dict name → value, or a
        list of values or :func:`option`\\ s; the first is the default)."""
        opts = _options(point, options)
        if point in self.chosen:
            raise ValueError(f"variation point {point!r} asked twice in one world")
        names = [o.name for o in opts]
        if self.fixed is not None:
            want = self.fixed.get(point, names[0])
            if want not in names:
                raise ValueError(f"world variant: point {point!r} has no option {want!r} (options: {', '.join(names)})")
            pick = opts[names.index(want)]
        elif self.seed is None:
            pick = opts[0]
        else:
            from pytest_mimo.replay import derive_seed

            pick = opts[random.Random(derive_seed(self.seed, "variant", point)).randrange(len(opts))]
        self.chosen[point] = pick.name
        self.points[point] = names
        if pick.expect is not None:
            self._expect[point] = pick.expect
        return pick.value

    def present(self, point: str) -> bool:
        """A point with the options ``present`` (default) and ``missing``."""
        return bool(self.choose(point, {"present": True, "missing": False}))

    # -- what it is ----------------------------------------------------------------------------
    def non_default(self) -> dict[str, str]:
        """The points whose option is not the first."""
        return {p: c for p, c in self.chosen.items() if c != self.points[p][0]}

    def describe(self) -> str:
        """``point=option, …`` for the points off their default (``default`` when none)."""
        nd = self.non_default()
        return ", ".join(f"{p}={c}" for p, c in nd.items()) or "default"

    def expected(self, default: tuple[str, ...] | None = None) -> tuple[tuple[str, ...] | None, str]:
        """The final states this variant's baseline must end in, and who said so: the first
        option drawn that has an expectation, else the builder's ``default``."""
        for point, states in self._expect.items():
            return states, f"{point}={self.chosen[point]}"
        return default, "the world builder"

    def to_dict(self) -> dict[str, str]:
        return dict(self.chosen)


def expected_states(variant: Variant, builder: WorldBuilder) -> tuple[tuple[str, ...] | None, str]:
    return variant.expected(builder.expect)


class WorldBuilder:
    """A world with named variation points: ``builder(world, variant)`` fills ``world``."""

    def __init__(self, fn: Callable[[Any, Variant], None], *, expect: str | Iterable[str] | None = None) -> None:
        self.fn = fn
        self.expect = _states(expect)
        self.name = getattr(fn, "__qualname__", repr(fn))
        self.__doc__ = fn.__doc__

    def __call__(self, world: Any, variant: Variant | None = None) -> Variant:
        v = variant if variant is not None else Variant()
        self.fn(world, v)
        if v.fixed:
            unknown = sorted(set(v.fixed) - set(v.chosen))
            if unknown:
                raise ValueError(
                    f"world variant: {self.name} has no variation point {unknown[0]!r} "
                    f"(points: {', '.join(v.chosen) or 'none'})"
                )
        return v

    def __repr__(self) -> str:
        return f"WorldBuilder({self.name})"


def world_builder(
    fn: Callable[[Any, Variant], None] | None = None, *, expect: str | Iterable[str] | None = None
) -> Any:
    """Decorator: ``@world_builder`` or ``@world_builder(expect="Completed")``."""
    if fn is not None:
        return WorldBuilder(fn, expect=expect)
    return lambda f: WorldBuilder(f, expect=expect)
