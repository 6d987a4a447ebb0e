"""``MimoWorld``: one cluster's whole world — clock, fake Kubernetes, fake Azure,
store, cluster and subscription documents, environment — and its comparable state.

Works without pytest; the ``mimo_world`` fixture is a few lines over it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument, SubscriptionDocument
from mimo.environment import Environment
from pytest_mimo import defaults
from pytest_mimo.clock import SimClock
from pytest_mimo.context import FakeTaskContext
from pytest_mimo.fakes.jsoncopy import json_copy
from pytest_mimo.faults import FaultInjector

if TYPE_CHECKING:
    from mimo.store.memory import MemoryStore

__all__ = ["MimoWorld", "WorldSnapshot", "WriteRecord", "Invariant", "normalize_kube_object", "SERVER_METADATA"]

#: Kubernetes metadata the server manages: not part of a world's meaning
SERVER_METADATA = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink")
#: ARM fields the service manages
ARM_SERVER_FIELDS = ("etag", "systemData")


def normalize_kube_object(obj: dict[str, Any]) -> dict[str, Any]:
    return _strip_server_metadata(json_copy(obj))


def _observed(o: dict[str, Any]) -> dict[str, Any] | None:
    """``o``'s status with ``observedGeneration`` as its relation to ``metadata.generation`` (a new
    dict; ``None`` when there is none to rewrite): ``"metadata.generation"`` once caught up,
    ``"behind metadata.generation"`` while not, ``"ahead of metadata.generation"`` past it.

    ``metadata.generation`` is a counter the server keeps (dropped with the server metadata), and
    the relation is all any reader of the pair takes from it: Go's ``ready.DeploymentIsReady``
    (ARO-RP pkg/util/ready/ready.go; ``deployment_is_ready`` here) asks ``==``, ``kubectl rollout
    status`` (k8s.io/kubectl pkg/polymorphichelpers/rollout_status.go) ``Generation <=
    ObservedGeneration``, the deployment controller's ``DeploymentComplete`` (kubernetes
    pkg/controller/deployment/util/deployment_util.go) ``>=``. How far behind the counter is, the
    real world varies with other writers: an annotation on a Deployment bumps it (kubernetes
    pkg/registry/apps/deployment/strategy.go, ``PrepareForUpdate``), so a run that met a
    ``conflict`` ends a generation further than its baseline: caught up in both when the rollout
    is done; when no controller observes it, two behind where the baseline is one."""
    generation = (o.get("metadata") or {}).get("generation")
    status = o.get("status")
    if not isinstance(generation, int) or not isinstance(status, dict):
        return None
    observed = status.get("observedGeneration")
    if not isinstance(observed, int) or isinstance(observed, bool):
        return None
    relation = "" if observed == generation else ("behind " if observed < generation else "ahead of ")
    return {**status, "observedGeneration": relation + "metadata.generation"}


def _strip_server_metadata(o: dict[str, Any]) -> dict[str, Any]:
    """``o`` itself, without server-managed metadata (for an object that is already a copy);
    ``status.observedGeneration`` as its relation to the generation (:func:`_observed`)."""
    status = _observed(o)
    if status is not None:
        o["status"] = status
    meta = o.get("metadata") or {}
    for k in SERVER_METADATA:
        meta.pop(k, None)
    return o


def _without_server_metadata(o: dict[str, Any]) -> dict[str, Any]:
    """A shallow copy of ``o`` without server-managed metadata (``o`` itself is left as it is);
    ``status.observedGeneration`` as its relation to the generation (:func:`_observed`)."""
    meta = o.get("metadata")
    if not isinstance(meta, dict):
        return dict(o)
    out = {**o, "metadata": {k: v for k, v in meta.items() if k not in SERVER_METADATA}}
    status = _observed(o)
    if status is not None:
        out["status"] = status
    return out


def _kube_key(o: dict[str, Any]) -> str:
    meta = o.get("metadata") or {}
    ns = meta.get("namespace") or "-"
    return f"{o.get('apiVersion')}/{o.get('kind')}/{ns}/{meta.get('name')}"


def _strip_arm(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _strip_arm(v) for k, v in body.items() if k not in ARM_SERVER_FIELDS}
    if isinstance(body, list):
        return [_strip_arm(v) for v in body]
    return body


@dataclass(frozen=True)
class WriteRecord:
    """One write a run made: kube (a stored change; no-op updates are none), azure (a write request
    sent: an ARM PUT with the same body is still an operation on the resource) or store (a cluster
    document patch that changed it)."""

    backend: str
    request: str  #: e.g. ``update v1/ConfigMap openshift-config/runs``, ``PUT https://…``
    object: str  #: the object it wrote, as the world's state keys it
    attempt: int
    step: str

    def describe(self) -> str:
        return f"{self.backend} {self.request} (attempt {self.attempt}, step {self.step or '-'})"


#: an invariant over the world: returns None/True when it holds; False, a message, or an
#: AssertionError when it does not
Invariant = Callable[["MimoWorld"], object]


@dataclass
class WorldSnapshot:
    time: datetime
    kube: Any
    azure: Any
    store: Any


class MimoWorld:
    """Everything one cluster's tasks can touch, on one simulated clock."""

    def __init__(
        self,
        clock: SimClock,
        *,
        kube: Any = None,
        azure: Any = None,
        store: MemoryStore | None = None,
        environment: Environment | None = None,
        cluster: OpenShiftClusterDocument | None = None,
        subscription: SubscriptionDocument | None = None,
        faults: FaultInjector | None = None,
    ) -> None:
        from mimo.store.memory import MemoryStore

        self.clock = clock
        self.kube = kube
        self.azure = azure
        self.environment = environment or defaults.default_environment()
        self.store: MemoryStore = store or MemoryStore()
        self.faults = faults or FaultInjector()
        self.faults.attach(kube=kube, azure=azure)
        #: every write the world saw, in order (the replayer slices it per run)
        self.writes: list[WriteRecord] = []
        #: checked after every write while a replay runs (``mimo_invariant`` / ``mimo_scenario(invariants=…)``)
        self.invariants: list[Invariant] = []
        #: what the invariants found broken, one line each
        self.broken: list[str] = []
        self._unchecked: WriteRecord | None = None
        #: the Azure credential of the "process" now running (``forget_client_caches`` starts a new one)
        self._credential: Any = None
        if kube is not None and hasattr(kube, "add_reaction"):
            kube.add_reaction(self._kube_written)
        self.store.put_cluster(cluster or defaults.default_cluster_document(clock.now(), self.environment))
        self.store.put_subscription(subscription or defaults.default_subscription_document())
        if azure is not None:
            vault = self.environment.cluster_keyvault_uri.split("//", 1)[1].split(".", 1)[0]
            azure.keyvault(vault)

    # -- documents ------------------------------------------------------------------------------
    @property
    def cluster_resource_id(self) -> str:
        return self.cluster.resource_id

    @property
    def cluster(self) -> OpenShiftClusterDocument:
        docs = self.store.list_clusters()
        if len(docs) != 1:
            raise RuntimeError(f"a MimoWorld holds one cluster, found {len(docs)}")
        return docs[0]

    @cluster.setter
    def cluster(self, doc: OpenShiftClusterDocument) -> None:
        for old in self.store.list_clusters():
            if old.resource_id != doc.resource_id:
                self.store.delete_cluster(old.resource_id)
        self.store.put_cluster(doc)

    @property
    def subscription(self) -> SubscriptionDocument:
        return self.store.get_subscription(self.cluster.subscription_id)

    @subscription.setter
    def subscription(self, doc: SubscriptionDocument) -> None:
        self.store.put_subscription(doc)

    def patch_cluster(self, mutator: Any) -> OpenShiftClusterDocument:
        return self.store.patch_cluster(self.cluster_resource_id, mutator)

    def with_features(self, *flags: str) -> MimoWorld:
        self.environment = self.environment.with_features(*flags)
        return self

    # -- contexts -------------------------------------------------------------------------------
    def context(
        self,
        manifest: MaintenanceManifest | None = None,
        deadline: datetime | None = None,
        *,
        cluster: OpenShiftClusterDocument | None = None,
        subscription: SubscriptionDocument | None = None,
        lease: Any = None,
    ) -> FakeTaskContext:
        """A FakeTaskContext wired to every part of this world (faults included)."""
        tc = FakeTaskContext(
            self.clock,
            environment=self.environment,
            cluster=cluster or self.cluster,
            subscription=subscription or self.subscription,
            manifest=manifest,
            deadline=deadline,
            store=self.store,
            step_observer=self.faults,
            lease=lease,
        )
        if self.kube is not None:
            tc.with_kube(self.kube)
        if self.azure is not None:
            tc.with_azure(self.azure, credential=self.credential())
        return tc

    def credential(self) -> Any:
        """The one Azure credential every context of this world uses until :meth:`forget_client_caches`,
        as the actuator process holds one per identity (``mimo.azure.shared_credential``): tenant
        discovery and the token are fetched once and reused across attempts; a token past its expiry
        on the simulated clock is fetched again by the credential itself, and a failed token request
        leaves nothing cached, so the next attempt asks again, as in production."""
        if self._credential is None:
            self._credential = self.azure.credential()
        return self._credential

    def context_factory(self, req: Any) -> FakeTaskContext:
        """The actuator's ``context_factory``: a fresh wired context per attempt."""
        self.faults.attempt = req.manifest.dequeues
        self.faults.step = ""
        return self.context(
            req.manifest, req.deadline, cluster=req.cluster, subscription=req.subscription, lease=getattr(req, "lease", None)
        )

    # -- writes and invariants ------------------------------------------------------------------
    def record_write(self, backend: str, request: str, obj: str) -> None:
        w = WriteRecord(backend, request, obj, self.faults.attempt, self.faults.step)
        self.writes.append(w)
        self._unchecked = w

    def _kube_written(self, ev: Any) -> None:
        ns = ev.namespace or "-"
        where = f"{ev.namespace}/{ev.name}" if ev.namespace else ev.name
        self.record_write("kube", f"{ev.verb} {ev.api_version}/{ev.kind} {where}", f"{ev.api_version}/{ev.kind}/{ns}/{ev.name}")

    def request_written(self, req: Any) -> None:
        """A write request the fault injector saw (Azure and the store; Kubernetes writes come from
        the fake's reactions, which leave out no-op updates)."""
        if req.backend in ("azure", "store"):
            self.record_write(req.backend, f"{req.method} {req.path}", req.resource)

    def check_invariants(self) -> None:
        """Run every invariant once after each write (called before the next request, after a
        cluster document patch and at the end of each attempt)."""
        w, self._unchecked = self._unchecked, None
        if w is None or not self.invariants:
            return
        for inv in self.invariants:
            name = getattr(inv, "__qualname__", None) or repr(inv)
            try:
                result = inv(self)
            except AssertionError as e:
                why = str(e).strip() or "assertion failed"
            else:
                if result is None or result is True:
                    continue
                why = result if isinstance(result, str) else f"returned {result!r}"
            self.broken.append(f"invariant {name} broken after {w.describe()}: {why}")

    # -- snapshot and comparable state ----------------------------------------------------------
    def snapshot(self) -> WorldSnapshot:
        return WorldSnapshot(
            time=self.clock.now(),
            kube=self.kube.snapshot() if self.kube is not None else None,
            azure=self.azure.snapshot() if self.azure is not None else None,
            store=self.store.snapshot(),
        )

    def forget_client_caches(self) -> None:
        """Process-wide client caches (the Key Vault SDK's challenge cache, the credential and its
        token) start empty, so every run makes the same requests as a fresh process would: same
        requests, same fault sites."""
        self._credential = None
        if self.azure is not None:
            self.azure.forget_client_caches()

    def restore(self, snap: WorldSnapshot) -> None:
        self.clock.move_to(snap.time)
        if self.kube is not None:
            self.kube.restore(snap.kube)
        if self.azure is not None:
            self.azure.restore(snap.azure)
        self.store.restore(snap.store)

    def state(self) -> dict[str, Any]:
        """The world as a plain dict, without server-managed metadata, for comparison."""
        out: dict[str, Any] = {"cluster": self.cluster.to_dict()}
        if self.kube is not None:
            stored = getattr(self.kube, "stored_objects", None)
            if stored is not None:  # the fake's objects themselves: each shares all but its metadata
                out["kube"] = {_kube_key(o): _without_server_metadata(o) for o in stored()}
            else:  # objects() hands out copies: stripped in place, not copied once more
                out["kube"] = {_kube_key(o): _strip_server_metadata(o) for o in self.kube.objects()}
        if self.azure is not None:
            out["azure"] = self.azure_state()
        return out

    def azure_state(self) -> dict[str, Any]:
        az = self.azure
        resources = az.resources()
        items = resources.items() if isinstance(resources, dict) else ((r.get("id", ""), r) for r in resources)
        state: dict[str, Any] = {str(rid).lower(): _strip_arm(body) for rid, body in items}
        for name, vault in sorted(getattr(az, "vaults", {}).items()):
            for secret in vault.secret_names():
                state[f"keyvault:{name}/{secret}"] = vault.get_secret(secret)
        return state
