"""Baselines reused across the fault-site items of one scenario (exhaustive exploration).

Every exhaustive item replays one fault site: the clean baseline, the faulted run, one more clean
run. The baseline is the same run in each of a scenario's items — the same world, the same task,
no faults — so a process runs it once: :class:`BaselineCache` keeps its result and the world it
left, keyed by the scenario and a fingerprint of everything the run starts from (the world's
comparable state with the simulated time, the store's documents, the task). An item whose world
differs in anything the fingerprint sees runs its own baseline. The faulted run starts from the
world restored to its start, as after a baseline it ran itself, so an item's outcome does not
depend on whether, or where, its baseline was run before (``tests/pytest_mimo/test_explore_speed.py``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

__all__ = ["BaselineCache", "CachedBaseline"]


@dataclass(frozen=True)
class CachedBaseline:
    """A baseline run's result and the world it left (a :class:`~pytest_mimo.world.WorldSnapshot`);
    shared between items: read, never changed."""

    run: Any
    after: Any


class BaselineCache:
    """At most ``limit`` baselines (the least recently used go first); ``hits`` / ``misses`` count
    the look-ups."""

    def __init__(self, limit: int = 64) -> None:
        if limit < 1:
            raise ValueError(f"BaselineCache: limit must be >= 1, got {limit!r}")
        self.limit = limit
        self._items: OrderedDict[str, CachedBaseline] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"BaselineCache({len(self._items)} of {self.limit}, hits={self.hits}, misses={self.misses})"

    @staticmethod
    def key(scenario: str, task: str, max_dequeues: int, world: Any) -> str:
        """The scenario, the task, and what the baseline starts from: the world's comparable state
        at its simulated time and the store's documents (a ``default=repr`` JSON, hashed)."""
        parts = [scenario, task, max_dequeues, world.clock.now().isoformat(), world.state(), world.store.snapshot()]
        text = json.dumps(parts, sort_keys=True, default=repr, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> CachedBaseline | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: str, run: Any, after: Any) -> None:
        with self._lock:
            self._items[key] = CachedBaseline(run, after)
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
