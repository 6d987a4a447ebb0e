"""Buckets: how several actuator hosts share a fleet without racing for the same clusters.

As the Go MIMO does (``pkg/util/buckets``, ``pkg/database/poolworkers.go``): every cluster
belongs to one of :data:`BUCKETS` (256) buckets; every host of a kind ("mimo-actuator")
registers itself as a *pool worker* with a heartbeat that lives ``ttl`` seconds; one of them
holds the *master* lease (the master document, leased for ``ttl`` seconds and renewed by every
refresh) and shares the buckets out among the live workers with :func:`balance`; each host then
serves only the clusters of its buckets. A host that stops refreshing loses its heartbeat after
``ttl`` seconds, and the master (a new one, if it was the master) gives its buckets to the
others at its next refresh.

The buckets only spread the work: they are not what makes a manifest run once. Two hosts may
briefly both believe they own a bucket (a paused host resumed with a stale allocation); the
manifest leases and their fencing (:mod:`mimo.store.base`) still decide who writes.

Ours: a cluster's bucket is derived from its lower-cased resource ID (:func:`bucket_of`, CRC-32
modulo 256) where Go stores a random bucket in the cluster document at creation — so that
documents need no new field and every host agrees on a cluster's bucket without reading it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "BUCKETS",
    "ACTUATOR_POOL",
    "POOL_TTL",
    "POOL_REFRESH_INTERVAL",
    "PoolAllocation",
    "balance",
    "bucket_of",
    "capped_interval",
    "go_duration",
    "master_refresh",
    "owned_buckets",
]

#: Go's ``bucket.Buckets``
BUCKETS = 256
#: Go's ``api.PoolWorkerTypeMIMOActuator``
ACTUATOR_POOL = "mimo-actuator"
#: Go's actuator ``defaultBucketRefreshTTL`` (and the master document's 60 s ``renewLease``)
POOL_TTL = 60
#: Go's actuator ``defaultBucketRefreshInterval``
POOL_REFRESH_INTERVAL = 10.0
#: Go's ``maxWorkerTTL`` / ``maxWorkerInterval`` (balancer.go)
MAX_POOL_TTL = 60
MAX_POOL_INTERVAL = 45.0


@dataclass(frozen=True)
class PoolAllocation:
    """What one refresh found: this host's buckets (``None`` while no master has allocated any:
    Go's ``ErrPoolWorkersBucketAllocationNotInitialized``) and whether it is the master."""

    buckets: frozenset[int] | None
    master: bool


def bucket_of(resource_id: str, bucket_count: int = BUCKETS) -> int:
    """The bucket of a cluster: CRC-32 of its lower-cased resource ID, modulo ``bucket_count``."""
    return zlib.crc32(resource_id.lower().encode()) % bucket_count


def go_duration(seconds: float) -> str:
    """``seconds`` as Go's ``time.Duration.String`` writes it (``45s``, ``1m40s``, ``750ms``)."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    out = f"{int(h)}h" if h else ""
    if h or m:
        out += f"{int(m)}m"
    return out + f"{s:.9f}".rstrip("0").rstrip(".") + "s"


def capped_interval(interval: float, ttl: int) -> tuple[float, int, list[str]]:
    """Go's ``capIntervals``: the TTL at most 60 s, the interval at most 45 s and at most 75% of
    the TTL (a heartbeat must be renewed well before it expires); with Go's error messages for
    each value it capped."""
    said: list[str] = []
    if interval > MAX_POOL_INTERVAL:
        said.append(
            f"interval must be at most {go_duration(MAX_POOL_INTERVAL)} to align with renewLease, "
            f"was {go_duration(interval)}, capping"
        )
        interval = MAX_POOL_INTERVAL
    if ttl > MAX_POOL_TTL:
        said.append(
            f"workerTTL must be at most {go_duration(MAX_POOL_TTL)} to align with renewLease, "
            f"was {go_duration(ttl)}, capping"
        )
        ttl = MAX_POOL_TTL
    if interval > ttl * 0.75:
        said.append(f"interval {go_duration(interval)} was more than 75% of TTL {go_duration(ttl)}, capping")
        interval = ttl * 0.75
    return interval, ttl, said


def balance(workers: Iterable[str], bucket_count: int, current: Sequence[str]) -> list[str]:
    """The bucket allocation (worker name per bucket, ``""`` for none) after sharing
    ``bucket_count`` buckets among ``workers``, as Go's ``balance`` (``pkg/util/buckets/balancer.go``):
    a bucket stays with its live worker while that worker holds no more than its share
    (``ceil(buckets / workers)``); every other bucket goes, in order, to the least loaded worker
    (ties to the first in sorted order)."""
    names = sorted(set(workers))
    alloc = list(current[:bucket_count]) + [""] * max(0, bucket_count - len(current))
    owned: dict[str, list[int]] = {w: [] for w in names}
    target = 0
    if names:
        target = -(-bucket_count // len(names))
    unallocated: list[int] = []
    for i, worker in enumerate(alloc):
        mine = owned.get(worker)
        if mine is not None and len(mine) < target:
            mine.append(i)
        else:
            unallocated.append(i)
    if names:
        for i in unallocated:
            least = min(names, key=lambda w: len(owned[w]))  # min keeps the first of equals
            owned[least].append(i)
    out = [""] * bucket_count
    for worker, buckets in owned.items():
        for i in buckets:
            out[i] = worker
    return out


def owned_buckets(allocation: Sequence[str], worker: str) -> frozenset[int] | None:
    """The buckets ``allocation`` gives ``worker``; ``None`` when nothing was ever allocated."""
    if not allocation:
        return None
    return frozenset(i for i, w in enumerate(allocation) if w == worker)


def master_refresh(
    owner: str | None,
    expires: int,
    allocation: Sequence[str],
    worker: str,
    now: int,
    live_workers: Iterable[str],
    bucket_count: int = BUCKETS,
) -> tuple[bool, list[str]]:
    """One host's turn at the master document (Go's ``tryMaster``), given the document's lease
    (``owner`` ``None``: no document yet) and the live workers: whether ``worker`` holds the
    master lease now — it did, or the lease was free or expired (``expires < now``) — and the
    allocation to store (re-balanced when it is the master, else unchanged)."""
    master = owner is None or owner in ("", worker) or expires < now
    if not master:
        return False, list(allocation)
    return True, balance(live_workers, bucket_count, allocation)
