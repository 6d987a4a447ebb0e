"""The fake's change log: every stored change with its resourceVersion, as etcd keeps it.

Watches read it (a watch from resourceVersion N replays the changes after N),
paged lists read it (a continue token pins the list to the resourceVersion of
its first page: the state then is today's state with the later changes undone),
and ``compact()`` drops it, as etcd compaction does, so an old watch or an old
continue token gets its 410.

Nothing here knows about HTTP. Writers hold the model lock; readers (watch
threads) wait on :attr:`History.cond`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

__all__ = ["Change", "History", "TooOld", "DEFAULT_CAPACITY"]

Obj = dict[str, Any]
Key = tuple[str, str]

#: changes kept before the oldest are compacted away (etcd's default compaction keeps
#: 5 minutes; the watch cache keeps a window of events: a window is what a fake can count)
DEFAULT_CAPACITY = 100_000


class TooOld(Exception):
    """The asked resourceVersion is older than the oldest the log can reconstruct."""

    def __init__(self, asked: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {asked} ({oldest})")
        self.asked = asked
        self.oldest = oldest


class Change(NamedTuple):
    """One stored change. ``object`` is the object after it (for ``DELETED`` the last state,
    with the deletion's resourceVersion, as a watch shows it); ``old`` the one before.
    (A named tuple: as immutable as a frozen dataclass, and made in a third of the time, once
    per write.)"""

    seq: int
    rv: int
    type: str  #: ADDED, MODIFIED, DELETED
    gvk: tuple[str, str]  #: (apiVersion, kind)
    key: Key  #: (namespace or "", name)
    object: Obj
    old: Obj | None


class History:
    """An append-only log of changes with a compaction floor.

    ``floor`` is the oldest resourceVersion whose state can still be rebuilt (every
    change after it is kept). ``epoch`` moves when the log is reset (a snapshot
    restored): watches that began before end with a 410, as after an etcd restore.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY, floor: int = 0) -> None:
        if capacity < 1:
            raise ValueError(f"history capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        self.cond = threading.Condition()
        self._log: list[Change] = []
        self._offset = 0  # seq of _log[0]
        self.floor = floor
        self.epoch = 0
        self.closed = False
        self._wakers: list[Callable[[], None]] = []

    # -- writing (under the model lock) -------------------------------------

    def record(
        self, rv: int, type_: str, gvk: tuple[str, str], key: Key, obj: Obj, old: Obj | None
    ) -> None:
        with self.cond:
            log = self._log
            log.append(Change(self._offset + len(log), rv, type_, gvk, key, obj, old))
            if len(log) > 2 * self.capacity:
                self._trim(len(log) - self.capacity)
            self.cond.notify_all()

    def _trim(self, count: int) -> None:
        if count <= 0:
            return
        self.floor = max(self.floor, self._log[count - 1].rv)
        del self._log[:count]
        self._offset += count

    def compact(self, rv: int | None = None) -> None:
        """Forget the changes up to ``rv`` (all of them by default), as etcd compaction."""
        with self.cond:
            if rv is None:
                count = len(self._log)
                if self._log:
                    self.floor = max(self.floor, self._log[-1].rv)
            else:
                count = sum(1 for c in self._log if c.rv <= rv)
                self.floor = max(self.floor, rv)
            self._trim(count) if count else None
            self.cond.notify_all()

    def reset(self, floor: int) -> None:
        """Drop everything (a restored snapshot): old watches end, old tokens expire."""
        with self.cond:
            self._offset += len(self._log)
            self._log.clear()
            self.floor = floor
            self.epoch += 1
            self.cond.notify_all()

    def adopt(self, other: History, convert: Callable[[Obj | None], Obj | None]) -> None:
        """Hold ``other``'s changes (each object through ``convert``), floor, epoch and capacity
        (:meth:`.models.KubeModel.adopt`); watches waiting here are woken."""
        with other.cond:
            log = [c._replace(object=convert(c.object) or c.object, old=convert(c.old)) for c in other._log]
            offset, floor, epoch, capacity = other._offset, other.floor, other.epoch, other.capacity
        with self.cond:
            self._log, self._offset, self.floor, self.epoch, self.capacity = log, offset, floor, epoch, capacity
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def reopen(self) -> None:
        with self.cond:
            self.closed = False

    def wake(self) -> None:
        """Wake every waiting reader (virtual time moved)."""
        with self.cond:
            self.cond.notify_all()

    # -- reading -------------------------------------------------------------

    @property
    def next_seq(self) -> int:
        with self.cond:
            return self._offset + len(self._log)

    def since_seq(self, seq: int) -> list[Change]:
        """Changes from sequence number ``seq`` on ([] if none yet); TooOld if trimmed away."""
        with self.cond:
            if seq < self._offset:
                raise TooOld(seq, self.floor)
            return self._log[seq - self._offset :]

    def seq_after(self, rv: int) -> int:
        """The sequence number of the first change after resourceVersion ``rv``."""
        with self.cond:
            if rv < self.floor:
                raise TooOld(rv, self.floor)
            lo, hi = 0, len(self._log)
            while lo < hi:
                mid = (lo + hi) // 2
                if self._log[mid].rv <= rv:
                    lo = mid + 1
                else:
                    hi = mid
            return self._offset + lo

    def rewind(
        self, current: Iterable[tuple[Key, Obj]], gvk: tuple[str, str], rv: int
    ) -> Iterator[tuple[Key, Obj]]:
        """The objects of ``gvk`` as they were at resourceVersion ``rv``, from today's
        ``current`` ones, by undoing the later changes newest first."""
        with self.cond:
            if rv < self.floor:
                raise TooOld(rv, self.floor)
            later = [c for c in self._log if c.rv > rv and c.gvk == gvk]
        state = dict(current)
        for c in reversed(later):
            if c.type == "ADDED":
                state.pop(c.key, None)
            elif c.old is not None:
                state[c.key] = c.old
        return iter(sorted(state.items()))
