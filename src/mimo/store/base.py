"""The store interface: clusters, subscriptions, manifests and schedules.

Every implementation (:class:`mimo.store.sqlite.SqliteStore`,
:class:`mimo.store.memory.MemoryStore`, :class:`mimo.store.postgres.PostgresStore`)
honours the same contract, checked by one parametrized test suite (``tests/mimo/store``):

* Documents go in and come out as the dataclasses of :mod:`mimo.api`; the store
  hands out copies, so mutating what you got changes nothing until you write it.
* Times are Unix seconds (``int``), as on :class:`~mimo.api.MaintenanceManifest`.
* Cluster resource IDs are compared lower-cased (callers may pass any case).
* Every write that changes a manifest's state is atomic and conditional: it
  names the state (and, for a leased manifest, the lease owner) it expects, and
  returns ``False`` / ``None`` when another writer got there first. Nothing is
  ever half-written.
* A missing object raises :class:`StoreNotFound` (a ``KeyError``) whose message
  names what was looked for; creating a manifest whose ID exists raises
  :class:`StoreAlreadyExists`; a cluster patch that keeps losing its race raises
  :class:`StoreConflict`.

Leases: ``lease_manifest`` takes a ``Pending`` manifest whose ``runAfter`` has
passed and whose lease is free (no owner, or expired), sets ``InProgress``,
owner, expiry and ``dequeues += 1`` in one write. ``renew_lease`` pushes the
expiry of a lease still held. ``finish_manifest`` writes the final (or
``Pending`` again) state, the status text and clears owner and expiry in the
same write. ``recover_expired_leases`` returns ``InProgress`` manifests whose
lease has expired to ``Pending``, keeping ``dequeues``.

Fencing: a lease is named by its owner *and its generation*, the ``dequeues``
value ``lease_manifest`` returned. Every lease increments ``dequeues`` by one
and no other write changes it, so the generation only grows and no two leases
of a manifest share one, even when the same owner (another thread of the same
actuator) leases it again after it expired. ``renew_lease`` and
``finish_manifest`` given ``generation=`` succeed only while that very lease
is held: a host paused past its lease and resumed can never overwrite the
outcome of the host that took the manifest over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from mimo.api import (
    MaintenanceManifest,
    MaintenanceSchedule,
    OpenShiftClusterDocument,
    SubscriptionDocument,
)
from mimo.store.pool import BUCKETS, PoolAllocation

__all__ = [
    "Store",
    "StoreError",
    "StoreNotFound",
    "StoreConflict",
    "StoreAlreadyExists",
    "ClusterAccess",
    "CancelAndCreate",
    "ClusterMutator",
    "PATCH_ATTEMPTS",
    "SECRET_SETTING_WORDS",
]

#: how many times ``patch_cluster`` re-reads and re-applies the mutator on a lost race
PATCH_ATTEMPTS = 5

ClusterMutator = Callable[[OpenShiftClusterDocument], None]
#: one group of :meth:`Store.cancel_and_create_many`: the IDs to cancel, the manifests to create
CancelAndCreate = tuple[Sequence[str], Sequence[MaintenanceManifest]]


class StoreError(Exception):
    """Base of the store's errors."""


class StoreNotFound(StoreError, KeyError):
    """The object asked for is not in the store; the message names it."""

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} {key!r} not found")
        self.what = what
        self.key = key

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class StoreAlreadyExists(StoreError):
    """A create whose ID is already taken; the message names it."""


class StoreConflict(StoreError):
    """An optimistic-concurrency write that kept losing its race."""


#: words that mark an Azure credential setting as secret (never shown)
SECRET_SETTING_WORDS = ("secret", "password", "privatekey", "certificatedata")


@dataclass(frozen=True)
class ClusterAccess:
    """How to reach one cluster.

    Kubernetes: a ``kubeconfig`` path, or ``api_url`` + ``token_file`` (+ ``ca_file``).
    Azure: ``azure`` holds the credential settings as a plain mapping
    (``mimo.azure.AzureCredentialSettings`` validates them when a client is
    built). Only file *paths* are kept for Kubernetes; secret Azure settings
    are redacted by :meth:`to_dict` ``(redact=True)`` and by ``repr``.
    """

    kubeconfig: str | None = None
    api_url: str | None = None
    token_file: str | None = None
    ca_file: str | None = None
    azure: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "azure", dict(self.azure or {}))
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the bad setting."""
        for name in ("kubeconfig", "api_url", "token_file", "ca_file"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or not v):
                raise ValueError(f"cluster access {name}: must be a non-empty string")
        if self.kubeconfig and (self.api_url or self.token_file):
            raise ValueError("cluster access: give either kubeconfig or api_url + token_file, not both")
        if self.token_file and not self.api_url:
            raise ValueError("cluster access api_url: needed with token_file")
        if self.api_url and not self.api_url.startswith(("https://", "http://")):
            raise ValueError(f"cluster access api_url: {self.api_url!r} is not an http(s) URL")
        if not all(isinstance(k, str) for k in self.azure):
            raise ValueError("cluster access azure: setting names must be strings")

    @property
    def has_kube(self) -> bool:
        return bool(self.kubeconfig or self.api_url)

    def to_dict(self, *, redact: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "kubeconfig": self.kubeconfig,
            "apiURL": self.api_url,
            "tokenFile": self.token_file,
            "caFile": self.ca_file,
            "azure": dict(self.azure),
        }
        if redact:
            d["azure"] = {
                k: ("***" if v and any(w in k.lower() for w in SECRET_SETTING_WORDS) else v)
                for k, v in self.azure.items()
            }
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> ClusterAccess:
        d = dict(d or {})
        known = {"kubeconfig", "apiURL", "tokenFile", "caFile", "azure"}
        extra = sorted(set(d) - known)
        if extra:
            raise ValueError(f"cluster access {extra[0]}: unknown field")
        azure = d.get("azure") or {}
        if not isinstance(azure, Mapping):
            raise ValueError("cluster access azure: must be an object")
        return cls(
            kubeconfig=d.get("kubeconfig"),
            api_url=d.get("apiURL"),
            token_file=d.get("tokenFile"),
            ca_file=d.get("caFile"),
            azure=azure,
        )

    def __repr__(self) -> str:
        return f"ClusterAccess({self.to_dict(redact=True)!r})"


@runtime_checkable
class Store(Protocol):
    """What the actuator, the scheduler, the CLI and the harness need of a store."""

    # -- clusters -------------------------------------------------------------------------
    def put_cluster(self, doc: OpenShiftClusterDocument, access: ClusterAccess | None = None) -> None:
        """Insert or replace a cluster document; ``access=None`` keeps the access already stored."""
        ...

    def get_cluster(self, resource_id: str) -> OpenShiftClusterDocument:
        """The cluster document, or :class:`StoreNotFound`."""
        ...

    def get_cluster_access(self, resource_id: str) -> ClusterAccess | None:
        """How to reach the cluster (``None`` when none was given), or :class:`StoreNotFound`."""
        ...

    def list_clusters(self) -> list[OpenShiftClusterDocument]:
        """Every cluster, sorted by resource ID."""
        ...

    def patch_cluster(self, resource_id: str, mutator: ClusterMutator) -> OpenShiftClusterDocument:
        """Apply ``mutator(doc)`` with optimistic concurrency and return the stored result.

        Reads the document and its version, runs the mutator on a copy, and
        writes only if the version is unchanged; on a lost race it re-reads
        and re-runs the mutator, up to :data:`PATCH_ATTEMPTS` times, then
        raises :class:`StoreConflict`. Errors raised by the mutator pass
        through and nothing is written.
        """
        ...

    def delete_cluster(self, resource_id: str) -> None:
        """Remove a cluster (its manifests stay), or :class:`StoreNotFound`."""
        ...

    # -- subscriptions --------------------------------------------------------------------
    def put_subscription(self, doc: SubscriptionDocument) -> None: ...

    def get_subscription(self, subscription_id: str) -> SubscriptionDocument:
        """The subscription document, or :class:`StoreNotFound`."""
        ...

    def list_subscriptions(self) -> list[SubscriptionDocument]: ...

    # -- manifests ------------------------------------------------------------------------
    def create_manifest(self, manifest: MaintenanceManifest) -> MaintenanceManifest:
        """Store a new manifest (validated); :class:`StoreAlreadyExists` when its ID is taken."""
        ...

    def get_manifest(self, manifest_id: str) -> MaintenanceManifest:
        """The manifest, or :class:`StoreNotFound`."""
        ...

    def list_manifests(
        self,
        cluster_resource_id: str | None = None,
        schedule_id: str | None = None,
        states: Iterable[str] | None = None,
    ) -> list[MaintenanceManifest]:
        """Manifests matching every filter given, sorted by ``runAfter``, ``priority``, ``id``."""
        ...

    def runnable_manifests(self, cluster_resource_id: str, now: int) -> list[MaintenanceManifest]:
        """The cluster's ``Pending`` manifests with ``runAfter <= now`` and a free lease
        (no owner, or ``leaseExpires < now``), sorted by ``runAfter``, then ``priority``, then ``id``."""
        ...

    def clusters_with_runnable_work(self, now: int) -> list[str]:
        """Resource IDs (sorted) that have a runnable manifest, or an ``InProgress`` one whose lease expired."""
        ...

    def next_work_after(self, now: int) -> int | None:
        """The first instant after ``now`` at which a manifest becomes runnable (a ``Pending``
        manifest's ``runAfter``, or its lease's expiry + 1 when it still holds one) or an
        ``InProgress`` manifest's lease has expired (``leaseExpires + 1``); ``None`` when no
        manifest waits. An idle actuator can sleep until then."""
        ...

    def count_manifests(self) -> dict[str, int]:
        """How many manifests are in each state (states with none are left out)."""
        ...

    def future_manifests(self, schedule_id: str, cluster_resource_id: str, now: int) -> list[MaintenanceManifest]:
        """``Pending`` manifests created by ``schedule_id`` for the cluster with ``runAfter > now``."""
        ...

    def lease_manifest(self, manifest_id: str, owner: str, expires: int, now: int) -> MaintenanceManifest | None:
        """Atomically lease a runnable manifest: ``InProgress``, owner, expiry, ``dequeues += 1``.

        Only if it is ``Pending``, ``runAfter <= now`` and its lease is free
        (no owner or ``leaseExpires < now``). Returns the leased manifest, or
        ``None`` when the conditions do not hold (someone else got it).
        """
        ...

    def renew_lease(self, manifest_id: str, owner: str, expires: int, *, generation: int | None = None) -> bool:
        """Set a new expiry if ``owner`` still holds the lease of the ``InProgress`` manifest
        (and, with ``generation``, its ``dequeues`` is still that generation)."""
        ...

    def finish_manifest(
        self, manifest_id: str, owner: str, state: str, status_text: str, *, generation: int | None = None
    ) -> bool:
        """End a lease held by ``owner``: write ``state`` and ``status_text``, clear owner and expiry.

        ``state`` is a final state or ``Pending`` (a retry). ``False`` when
        ``owner`` no longer holds an ``InProgress`` lease on it, or, with
        ``generation``, when the lease held is not that generation (fencing).
        """
        ...

    def set_state(
        self,
        manifest_id: str,
        state: str,
        status_text: str,
        *,
        expect_states: Iterable[str] = ("Pending",),
    ) -> bool:
        """Write ``state``/``status_text`` (clearing any lease) only if the current state is one of
        ``expect_states``; used for ``TimedOut``. ``False`` when the condition fails;
        :class:`StoreNotFound` when there is no such manifest."""
        ...

    def recover_expired_leases(
        self,
        now: int,
        cluster_resource_id: str | None = None,
        *,
        max_dequeues: int | None = None,
        exhausted_text: str = "",
    ) -> list[str]:
        """``InProgress`` manifests with ``leaseExpires < now`` go back to ``Pending``
        (owner and expiry cleared, ``dequeues`` kept); returns their IDs, sorted.

        With ``max_dequeues``, one whose ``dequeues >= max_dequeues`` becomes
        ``RetriesExceeded`` with ``exhausted_text`` instead (its last attempt died).
        """
        ...

    def cancel_manifest(self, manifest_id: str) -> bool:
        """``Pending`` → ``Cancelled``; ``False`` when it is in another state;
        :class:`StoreNotFound` when there is no such manifest."""
        ...

    def cancel_schedule_manifests(self, schedule_id: str) -> list[str]:
        """Cancel every ``Pending`` manifest created by the schedule; returns their IDs, sorted."""
        ...

    def cancel_and_create(
        self, cancel_ids: Sequence[str], status_text: str, manifests: Sequence[MaintenanceManifest]
    ) -> list[MaintenanceManifest] | None:
        """In one transaction: every manifest of ``cancel_ids`` → ``Cancelled`` with ``status_text``,
        then every manifest of ``manifests`` whose ID is free is created (validated first).

        All or nothing: when one of ``cancel_ids`` is not ``Pending`` any more (or
        missing), nothing is written and the answer is ``None``. Otherwise the
        manifests created, in the order given (an ID already taken is skipped,
        as a concurrent scheduler may have written it). The scheduler writes one
        cluster's pass with it: cancelled first, never a duplicate.
        """
        ...

    def cancel_and_create_many(
        self, groups: Sequence[CancelAndCreate], status_text: str
    ) -> list[list[MaintenanceManifest] | None]:
        """Several :meth:`cancel_and_create` at once, in one transaction: one answer per group.

        Each group ``(cancel_ids, manifests)`` is all or nothing on its own: a
        group one of whose ``cancel_ids`` is not ``Pending`` (or is named by an
        earlier group) writes nothing and answers ``None``; the others are
        written. An error writes no group at all. The scheduler writes a batch
        of clusters with it (one round trip instead of one per cluster).
        """
        ...

    def delete_manifest(self, manifest_id: str) -> None:
        """Remove a manifest, or :class:`StoreNotFound`."""
        ...

    # -- schedules ------------------------------------------------------------------------
    def put_schedule(self, schedule: MaintenanceSchedule) -> None:
        """Insert or replace a schedule (by its ID)."""
        ...

    def get_schedule(self, schedule_id: str) -> MaintenanceSchedule:
        """The schedule, or :class:`StoreNotFound`."""
        ...

    def list_schedules(self) -> list[MaintenanceSchedule]:
        """Every schedule, sorted by ID."""
        ...

    # -- pool workers (mimo.store.pool) ---------------------------------------------------
    def pool_refresh(
        self, pool: str, worker: str, now: int, *, ttl: int, bucket_count: int = BUCKETS
    ) -> PoolAllocation:
        """One bucket refresh of ``worker`` in ``pool``, in one transaction (Go's
        ``bucketRefreshLoop`` turn): its heartbeat now lives until ``now + ttl`` (heartbeats that
        expired before ``now`` are dropped); it takes or renews the pool's master lease (for
        ``ttl`` seconds) when that is free, expired or its own, and as master re-balances the
        buckets over the live workers (:func:`mimo.store.pool.balance`); returns its buckets."""
        ...

    def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
        ...
