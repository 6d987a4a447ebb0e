"""The fleet: clusters drawn from a :class:`~.scenario.FleetSpec` by the seed, and their worlds.

* :func:`draw_fleet` — the cluster and subscription documents (no fakes): the
  property mix is apportioned exactly (largest remainder) and shuffled over
  the fleet by the seed, so ``outbound_type = {UserDefinedRouting = 0.2}``
  over 30 clusters is exactly 6 clusters, which 6 depends on the seed;
* :class:`FleetWorld` — one ``FakeAzure`` for every subscription of the fleet
  (only one can be active in a process: ``responses`` patches ``requests``
  globally), one ``FakeKube`` (an HTTP server thread on 127.0.0.1) with a
  simulated deployment controller per cluster, a ``FaultInjector`` per
  cluster (seeded from the run's seed and the cluster), and the actuator's
  context factory that wires a ``FakeTaskContext`` to the cluster's fakes.

Limits: each FakeKube is a server thread (its accept loop idle between
requests) plus a thread per open connection, and holds a few sockets: a
thousand clusters fit in one process (raise ``ulimit -n`` to about three
times the cluster count); ``run.shards`` spreads a fleet over processes.

Clock listeners: a started ``FakeKube`` hears every forward move of the
simulated clock (``pytest_mimo.clock.on_advance``) and acts on one only
while it serves a watch (its watches look at their virtual deadlines). A
watch is opened by a request, and a cluster's fake gets requests only in
its cluster's pass, so only the fake of the cluster being passed, and any
fake still serving a watch after its pass, listens
(:meth:`FleetWorld.begin_pass`, :meth:`FleetWorld.end_pass`): the others
would return at once, and a thousand of them cost ~0.7 ms CPU per move.

Connections: a fake closes a keep-alive connection idle for its
``read_timeout`` (real seconds, 32 by default). A big fleet's run takes
longer than that between two passes of one cluster, so every pass paid a
new connection (a connect, a server thread started, the idle one's thread
woken by its timeout and ended); the fleet's fakes keep idle connections
for :data:`KEEPALIVE_SECONDS` instead. Whether a connection is reused is a
matter of wall time, so nothing the simulation reports depends on it.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mimo.actuator.context import ContextRequest
from mimo.api import (
    APIServerProfile,
    ClusterProfile,
    MasterProfile,
    NetworkProfile,
    OpenShiftClusterDocument,
    OpenShiftClusterProperties,
    RegistryProfile,
    Secret,
    SubscriptionDocument,
)
from mimo.environment import Environment
from pytest_mimo.clock import off_advance, on_advance
from pytest_mimo.context import FakeTaskContext
from pytest_mimo.faults import FaultInjector, FaultRule, TraceEntry
from pytest_mimo.replay import derive_seed
from pytest_mimo.simulation import worldbuild
from pytest_mimo.simulation.scenario import FleetSpec, Incident, Scenario

__all__ = ["KEEPALIVE_SECONDS", "ClusterRecord", "FleetSummary", "FleetWorld", "SimCluster", "TENANT_ID", "apportion",
           "cluster_properties", "draw_fleet"]

TENANT_ID = "7e4a1c2b-5d6f-4a8b-9c0d-1e2f3a4b5c6d"
#: real seconds a fleet's fake keeps an idle keep-alive connection (``FakeKube(read_timeout=...)``):
#: longer than a run, so a cluster's helper reuses its connection from pass to pass
KEEPALIVE_SECONDS = 3600.0
FLAGS = {"aro.imageconfig.enabled": "true", "aro.genevalogging.enabled": "true"}


def apportion(mix: dict[str, float], n: int, rng: random.Random) -> list[str]:
    """``n`` values with exactly the shares of ``mix`` (largest remainder), shuffled by ``rng``."""
    keys = sorted(mix)
    exact = {k: mix[k] * n for k in keys}
    counts = {k: int(exact[k]) for k in keys}
    left = n - sum(counts.values())
    for k in sorted(keys, key=lambda k: (-(exact[k] - counts[k]), k))[:left]:
        counts[k] += 1
    out = [k for k in keys for _ in range(counts[k])]
    rng.shuffle(out)
    return out


def _subscription_id(i: int) -> str:
    return f"{i + 1:08x}-5ab5-4c1d-8000-00000000f1ee"


@dataclass
class SimCluster:
    """One cluster of the fleet: its documents, and (once built) its fakes and fault injector."""

    index: int
    name: str
    doc: OpenShiftClusterDocument
    healthy: bool = True
    kube: Any = None
    injector: FaultInjector = field(default_factory=FaultInjector)
    #: incident index -> the rule playing it on this cluster
    incident_rules: dict[int, FaultRule] = field(default_factory=dict)
    controller: Any = None

    @property
    def resource_id(self) -> str:
        return self.doc.resource_id

    def properties(self) -> dict[str, str]:
        return cluster_properties(self.doc)


def cluster_properties(doc: OpenShiftClusterDocument) -> dict[str, str]:
    """The properties the report counts the fleet by."""
    p = doc.properties
    return {
        # the scenario names architectures as people do ("1" is V1, Go's 0)
        "architectureVersion": str(p.architecture_version + 1),
        "outboundType": p.network_profile.outbound_type,
        "APIServerVisibility": p.apiserver_profile.visibility,
        "provisioningState": p.provisioning_state,
    }


@dataclass
class ClusterRecord:
    """What the report keeps of one simulated cluster: plain data, so it crosses processes."""

    index: int
    name: str
    doc: OpenShiftClusterDocument
    healthy: bool
    trace: list[TraceEntry]  #: the faults its injector played
    incident_fired: dict[int, int]  #: incident index -> faults that incident played on it

    @property
    def resource_id(self) -> str:
        return self.doc.resource_id

    def properties(self) -> dict[str, str]:
        return cluster_properties(self.doc)


@dataclass
class FleetSummary:
    """The fleet as the report sees it: the clusters a run simulated, by index; the subscriptions;
    which clusters each incident hit (indexes into the whole fleet)."""

    clusters: list[ClusterRecord]
    subscriptions: list[SubscriptionDocument]
    incident_clusters: list[list[int]]

    @classmethod
    def of(cls, world: FleetWorld) -> FleetSummary:
        return cls(
            [ClusterRecord(c.index, c.name, c.doc, c.healthy, list(c.injector.trace),
                           {i: r.fired for i, r in c.incident_rules.items()}) for c in world.local],
            list(world.subscriptions), [list(k) for k in world.incident_clusters],
        )

    @classmethod
    def merge(cls, parts: list[FleetSummary]) -> FleetSummary:
        """The shards' summaries as one (every cluster once, in fleet order)."""
        clusters = sorted((c for p in parts for c in p.clusters), key=lambda c: c.index)
        if [c.index for c in clusters] != list(range(len(clusters))):
            raise ValueError("FleetSummary.merge: the shards do not cover the fleet exactly once")
        return cls(clusters, parts[0].subscriptions, parts[0].incident_clusters)


def draw_fleet(spec: FleetSpec, seed: int, start: datetime,
               environment: Environment) -> tuple[list[SimCluster], list[SubscriptionDocument]]:
    """The fleet's documents, every choice drawn from ``seed``."""
    rng = random.Random(derive_seed(seed, "fleet"))
    n = spec.clusters
    subs = [SubscriptionDocument(id=_subscription_id(i), state=s, tenant_id=TENANT_ID)
            for i, s in enumerate(apportion(spec.subscription_state, spec.subscriptions, rng))]
    arch = apportion(spec.architecture_version, n, rng)
    outbound = apportion(spec.outbound_type, n, rng)
    visibility = apportion(spec.api_server_visibility, n, rng)
    prov = apportion(spec.provisioning_state, n, rng)
    managed = apportion({"true": spec.managed_domain, "false": 1 - spec.managed_domain}, n, rng)
    healthy = apportion({"true": 1 - spec.unhealthy_apiserver, "false": spec.unhealthy_apiserver}, n, rng)
    lo, hi = spec.acr_token_age_days
    clusters = []
    for i in range(n):
        name = f"cluster-{i + 1:03d}"
        sub = subs[i % len(subs)].id
        rg = f"/subscriptions/{sub}/resourceGroups/aro-{name}"
        infra = f"{name}-{rng.getrandbits(20):05x}"
        domain = name if managed[i] == "true" else f"{name}.contoso.com"
        doc = OpenShiftClusterDocument(
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            resource_id=f"/subscriptions/{sub}/resourcegroups/customer-rg/providers/microsoft.redhatopenshift"
                        f"/openshiftclusters/{name}",
            location=environment.region,
            properties=OpenShiftClusterProperties(
                provisioning_state=prov[i],
                architecture_version=int(arch[i]) - 1,
                infra_id=infra,
                cluster_profile=ClusterProfile(domain=domain, resource_group_id=rg, version="4.16.30"),
                network_profile=NetworkProfile(outbound_type=outbound[i]),
                apiserver_profile=APIServerProfile(visibility=visibility[i], int_ip="10.0.0.10"),
                master_profile=MasterProfile(
                    subnet_id=f"/subscriptions/{sub}/resourceGroups/vnet-{name}/providers/Microsoft.Network"
                              "/virtualNetworks/vnet/subnets/master"),
                operator_flags=dict(FLAGS),
                registry_profiles=[RegistryProfile(
                    name=environment.acr_domain, username=f"token-{name}", password=Secret(f"acr-{name}"),
                    issue_date=start - timedelta(days=rng.uniform(lo, hi)))],
                # Go pkg/api IngressProfile: what the operator's Cluster object sync reads
                extra={"ingressProfiles": [{"name": "default", "visibility": "Public", "ip": f"20.62.{i // 250}.{i % 250 + 1}"}]},
            ),
        )
        clusters.append(SimCluster(i, name, doc, healthy=healthy[i] == "true"))
    return clusters, subs


class _SubscriptionAzure:
    """``FakeAzure`` as one subscription sees it: ``clients(env)`` for that subscription, on the
    fleet's one credential (the actuator process reuses its credential, ``mimo.azure.shared_credential``)."""

    def __init__(self, azure: Any, subscription_id: str, credential: Any) -> None:
        self.azure = azure
        self.subscription_id = subscription_id
        self.credential = credential

    def clients(self, environment: Environment, **kwargs: Any) -> Any:
        return self.azure.clients(environment, subscription_id=self.subscription_id, credential=self.credential,
                                  **kwargs)


def _in_window(start: float, end: float) -> Callable[[Any], bool]:
    def active(_req: Any) -> bool:
        return start <= time.time() < end

    return active


class FleetWorld:
    """Every cluster's fakes, one FakeAzure, the fault injectors; ``close()`` stops them all."""

    def __init__(self, scenario: Scenario, seed: int, clock: Any, store: Any, environment: Environment,
                 shard: tuple[int, int] = (0, 1)) -> None:
        from pytest_mimo.controllers import DeploymentController
        from pytest_mimo.fakes.azure import FakeAzure
        from pytest_mimo.fakes.kube import FakeKube

        self.scenario = scenario
        self.seed = seed
        self.clock = clock
        self.store = store
        self.environment = environment
        run = scenario.run
        self.clusters, self.subscriptions = draw_fleet(scenario.fleet, seed, run.start, environment)
        k, shards = shard
        #: the clusters this process simulates (every ``shards``-th, from ``k``): the whole fleet is
        #: drawn in every shard, so each cluster is the same whichever shard simulates it
        self.local = [c for c in self.clusters if c.index % shards == k]
        self.by_rid = {c.resource_id: c for c in self.local}
        self.current: SimCluster | None = None  #: the cluster a pass is running for (routes Azure faults)
        #: cluster index -> cluster whose fake hears the clock (the one passed, and fakes serving a watch)
        self._listening: dict[int, SimCluster] = {}
        azure_seed = derive_seed(seed, "azure") if shards == 1 else derive_seed(seed, "azure", k, shards)
        self.azure = FakeAzure(subscription_id=self.subscriptions[0].id, tenant_id=TENANT_ID,
                               seed=azure_seed, lro_seconds=run.lro_seconds)
        for s in self.subscriptions[1:]:
            self.azure.add_subscription(s.id)
        self.azure.fault_hook = self._azure_hook
        credential = self.azure.credential()
        self._views = {s.id: _SubscriptionAzure(self.azure, s.id, credential) for s in self.subscriptions}
        vault = self.azure.keyvault(environment.cluster_keyvault_uri.split("//", 1)[1].split(".", 1)[0])
        self.incident_clusters = self._draw_incidents()
        for s in self.subscriptions:
            store.put_subscription(s)
        #: the part of every cluster's objects that is the same (by health), written once:
        #: each cluster's fake adopts it (KubeModel.adopt) and writes only its own objects
        templates: dict[bool, Any] = {}
        try:
            self.azure.start()
            for c in self.local:
                p = c.doc.properties
                store.put_cluster(c.doc)
                domain = (p.cluster_profile.domain if "." in p.cluster_profile.domain
                          else f"{p.cluster_profile.domain}.{environment.domain_suffix}")
                template = templates.get(c.healthy)
                if template is None:
                    template = templates[c.healthy] = FakeKube()
                    template.add(*worldbuild.shared_objects(healthy=c.healthy))
                c.kube = FakeKube(seed=derive_seed(seed, "kube", c.name), read_timeout=KEEPALIVE_SECONDS)
                c.kube.model.adopt(template.model)
                c.kube.start()
                off_advance(c.kube._on_clock)  # it listens while passed (begin_pass) or serving a watch
                c.kube.add(*worldbuild.own_objects(c.resource_id, domain, p.operator_flags,
                                                   acr=environment.acr_domain))
                c.controller = DeploymentController(scenario.fleet.rollout_seconds,
                                                    namespace="openshift-azure-operator").install(c.kube)
                vault.set_secret(f"{c.doc.id}-apiserver", worldbuild.pem_bundle(f"api.{domain}", 2 * c.index))
                vault.set_secret(f"{c.doc.id}-ingress", worldbuild.pem_bundle(f"*.apps.{domain}", 2 * c.index + 1))
                self.azure.put_resources(worldbuild.master_network(p.cluster_profile.resource_group_id, p.infra_id,
                                                                   p.master_profile.subnet_id, arch=p.architecture_version))
                c.injector = self._injector(c)
                c.injector.attach(kube=c.kube)
        except BaseException:
            self.close()
            raise

    # -- faults ---------------------------------------------------------------------------------
    def _draw_incidents(self) -> list[list[int]]:
        out = []
        for i, inc in enumerate(self.scenario.faults.incidents):
            rng = random.Random(derive_seed(self.seed, "incident", i))
            k = round(inc.share * len(self.clusters))
            out.append(sorted(rng.sample(range(len(self.clusters)), k)))
        return out

    def _injector(self, c: SimCluster) -> FaultInjector:
        faults = self.scenario.faults
        step_rate = faults.rates.get("step", {}).get("crash_after_step", 0.0)
        inj = FaultInjector(seed=derive_seed(self.seed, "faults", c.name), crash_rate=step_rate)
        start = self.scenario.run.start.timestamp()
        # incidents first: a request inside an incident window plays the incident's fault
        for i, inc in enumerate(faults.incidents):
            if c.index in self.incident_clusters[i]:
                c.incident_rules[i] = self._incident_rule(inj, inc, start)
        for target in ("kube", "azure"):
            for kind, rate in sorted(faults.rates.get(target, {}).items()):
                inj.inject(target, kind, rate=rate)
        return inj

    @staticmethod
    def _incident_rule(inj: FaultInjector, inc: Incident, start: float) -> FaultRule:
        return inj.inject(inc.target, inc.kind, match=_in_window(start + inc.start.total_seconds(),
                                                                 start + inc.end.total_seconds()),
                          rate=inc.rate if inc.rate < 1 else None)

    def _azure_hook(self, req: Any) -> Any:
        c = self.current
        return c.injector.hook(req) if c is not None else None

    # -- the actuator's context factory -------------------------------------------------------------
    def context_factory(self, req: ContextRequest) -> FakeTaskContext:
        c = self.by_rid[req.manifest.cluster_resource_id]
        c.injector.reset_run(attempt=req.manifest.dequeues)
        tc = FakeTaskContext(
            self.clock,
            environment=self.environment,
            cluster=req.cluster,
            subscription=req.subscription,
            manifest=req.manifest,
            deadline=req.deadline,
            store=self.store,
            step_observer=c.injector,
        )
        return tc.with_kube(c.kube).with_azure(self._views[c.doc.subscription_id])

    # -- a pass -------------------------------------------------------------------------------------
    def begin_pass(self, c: SimCluster) -> None:
        """``c`` is being passed: Azure faults go to its injector, its fake hears the clock."""
        self.current = c
        if c.index not in self._listening:
            on_advance(c.kube._on_clock)
            self._listening[c.index] = c

    def end_pass(self, c: SimCluster) -> None:
        """``c``'s pass ended: its request logs go; fakes serving no watch stop hearing the clock."""
        self.current = None
        self.forget_requests(c)
        for k, other in list(self._listening.items()):
            if not other.kube.open_watches:
                off_advance(other.kube._on_clock)
                del self._listening[k]

    def forget_requests(self, c: SimCluster) -> None:
        """Drop the request logs a pass left (only the fault traces are kept): memory stays flat."""
        c.kube.requests.clear()
        c.injector.requests_seen.clear()
        c.injector.steps_seen.clear()
        self.azure.requests.clear()

    def close(self) -> None:
        """Stop every fake (the kube servers in parallel: each takes a poll interval to shut down)."""
        from concurrent.futures import ThreadPoolExecutor

        kubes = [c.kube for c in self.local if c.kube is not None]
        if kubes:
            with ThreadPoolExecutor(max_workers=min(32, len(kubes))) as pool:
                list(pool.map(lambda k: k.stop(), kubes))
        self.azure.stop()
