"""Fault combinations: a fault that leaves the outcome unknown, then a second one on top.

A lost response leaves the client not knowing whether its write was applied; a conflict
means another writer changed the object. Alone, each is handled by a retry. What a step
must also survive is the fault that comes *while* it is still sorting that out:

- ``lost_response`` then ``crash_after_step``: the write was applied, the step went on (it
  retried, saw its own write) and the process died after the step; the next attempt starts
  from a world it did not see being made;
- ``conflict`` then a ``throttle`` burst: the next request of the attempt after the 409 — the
  re-read of a conflict retry — is throttled longer than the client retries;
- ``lost_response`` then a ``server_error`` burst: the retry after the lost response fails too.

Each faulted replay draws at most one combination from its seed (:func:`pick_combo`); the
:class:`~pytest_mimo.faults.FaultInjector` arms the follow-up when the combination's first
kind fires (targeted or background), in the same attempt, and records it with source ``combo``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["COMBOS", "Combo", "pick_combo"]


@dataclass(frozen=True)
class Combo:
    first: str  #: the fault kind whose outcome is unknown
    follow: str  #: "crash": at the end of the step it came in; "burst": on the attempt's next request
    then: str  #: the follow-up's kind

    def describe(self) -> str:
        where = "after its step" if self.follow == "crash" else "as a burst on the next request"
        return f"{self.first}, then {self.then} {where}"


COMBOS: tuple[Combo, ...] = (
    Combo("lost_response", "crash", "crash_after_step"),
    Combo("conflict", "burst", "throttle"),
    Combo("lost_response", "burst", "server_error"),
)

#: share of faulted replays that carry a combination
COMBO_CHANCE = 0.5


def pick_combo(seed: int) -> Combo | None:
    """The combination replay ``seed`` carries (or none), drawn from the seed alone."""
    from pytest_mimo.replay import derive_seed

    rng = random.Random(derive_seed(seed, "combo"))
    if rng.random() >= COMBO_CHANCE:
        return None
    return rng.choice(COMBOS)
