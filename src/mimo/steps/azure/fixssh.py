"""Fix SSH: put every control-plane NIC back into the load balancer pools it belongs to.

Each master NIC (name matching ``.*master.*([0-2])-nic``, in the cluster
resource group) must be, through its first IP configuration:

* in the internal load balancer's API pool,
* in exactly its own SSH pool ``ssh-<n>`` of the internal load balancer,
* and, unless the cluster routes outbound traffic itself
  (``UserDefinedRouting``), in the public load balancer's control-plane pool.

=====================  ============================  ==================================
architecture version   internal LB / API pool        public LB / control-plane pool
=====================  ============================  ==================================
V1 (0)                 ``<infra>-internal-lb`` /     ``<infra>-public-lb`` /
                       ``<infra>-internal-           ``<infra>-public-lb-control-plane-v4``
                       controlplane-v4``
V2 (1)                 ``<infra>-internal`` /        ``<infra>`` / ``<infra>``
                       ``<infra>``
=====================  ============================  ==================================

The internal load balancer gets the three SSH pools, their rules (frontend
port ``2200 + n`` to port 22) and the ``ssh`` probe if it lacks them. A NIC
attached to no VM that sits in the master subnet is a leftover of a replaced
master and is deleted; NICs outside the master subnet are left alone. Every
resource is written only when something changed, so a second run writes
nothing. Any Azure error is transient.

Resources are handled as the plain JSON dicts the Azure REST API speaks
(``model.as_dict()``), so comparing before writing is a dict comparison.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mimo.api import ARCHITECTURE_VERSION_V1, ARCHITECTURE_VERSION_V2
from mimo.context import TaskContext, get_task_context
from mimo.errors import TerminalError
from mimo.steps.errors import azure_error

__all__ = ["MASTER_NIC", "fix_ssh", "load_balancer_names"]

MASTER_NIC = re.compile(r".*master.*([0-2])-nic")
SSH_POOLS = ("ssh-0", "ssh-1", "ssh-2")

Resource = dict[str, Any]


def load_balancer_names(architecture_version: int, infra_id: str) -> dict[str, str]:
    """The load balancer and pool names of one architecture version (terminal for an unknown one)."""
    if architecture_version == ARCHITECTURE_VERSION_V1:
        return {
            "internal_lb": f"{infra_id}-internal-lb",
            "api_pool": f"{infra_id}-internal-controlplane-v4",
            "public_lb": f"{infra_id}-public-lb",
            "public_pool": f"{infra_id}-public-lb-control-plane-v4",
        }
    if architecture_version == ARCHITECTURE_VERSION_V2:
        return {
            "internal_lb": f"{infra_id}-internal",
            "api_pool": infra_id,
            "public_lb": infra_id,
            "public_pool": infra_id,
        }
    raise TerminalError(f"unknown architecture version {architecture_version}")


def _as_dict(model: Any) -> Resource:
    return dict(model.as_dict()) if hasattr(model, "as_dict") else copy.deepcopy(dict(model))


def _props(resource: Resource) -> Resource:
    props = resource.get("properties")
    if props is None:
        props = resource["properties"] = {}
    return props  # type: ignore[no-any-return]


def _last(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _same_id(a: str, b: str) -> bool:
    return a.lower() == b.lower()


# -- the internal load balancer ----------------------------------------------------------------


def _ensure_ssh_on_internal_lb(tc: TaskContext, lb: Resource) -> bool:
    """Add the SSH pools, rules and probe the internal load balancer lacks; True if it changed."""
    log = tc.log()
    name = lb.get("name", "")
    lb_id = lb["id"]
    props = _props(lb)
    pools = props.setdefault("backendAddressPools", [])
    rules = props.setdefault("loadBalancingRules", [])
    probes = props.setdefault("probes", [])
    frontends = props.get("frontendIPConfigurations") or []
    changed = False

    for pool in SSH_POOLS:
        if not any(str(p.get("name", "")).lower() == pool for p in pools):
            log.info("Adding SSH Backend Address Pool %s to Internal Load Balancer %s", pool, name)
            pools.append({"name": pool})
            changed = True

    for i, rule in enumerate(SSH_POOLS):
        if any(str(r.get("name", "")).lower() == rule for r in rules):
            continue
        if not frontends or not frontends[0].get("id"):
            raise TerminalError(f"internal load balancer {name} has no frontend IP configuration")
        log.info("Adding SSH Load Balancing Rule for %s to Internal Load Balancer %s", rule, name)
        rules.append(
            {
                "name": rule,
                "properties": {
                    "frontendIPConfiguration": {"id": frontends[0]["id"]},
                    "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/{rule}"},
                    "probe": {"id": f"{lb_id}/probes/ssh"},
                    "protocol": "Tcp",
                    "loadDistribution": "Default",
                    "frontendPort": 2200 + i,
                    "backendPort": 22,
                    "idleTimeoutInMinutes": 30,
                    "disableOutboundSnat": True,
                },
            }
        )
        changed = True

    if not any(str(p.get("name", "")).lower() == "ssh" for p in probes):
        log.info("Adding ssh Health Probe to Internal Load Balancer %s", name)
        probes.append(
            {
                "name": "ssh",
                "properties": {
                    "protocol": "Tcp",
                    "port": 22,
                    "intervalInSeconds": 5,
                    "numberOfProbes": 2,
                },
            }
        )
        changed = True
    return changed


# -- the NICs ----------------------------------------------------------------------------------


def _wanted_pools(current: list[str], n: str, required: list[str]) -> list[str]:
    """``current`` without foreign ``ssh-*`` pools, plus whatever of ``required`` is missing."""
    own_ssh = f"ssh-{n}"
    kept = [
        p
        for p in current
        if not (_last(p).lower().startswith("ssh-") and _last(p).lower() != own_ssh)
    ]
    for pool in required:
        if not any(_same_id(p, pool) for p in kept):
            kept.append(pool)
    return kept


@dataclass(frozen=True)
class _Cluster:
    """What Fix SSH needs from the cluster document, checked once."""

    resource_group: str
    master_subnet: str
    udr: bool
    names: dict[str, str]

    @classmethod
    def of(cls, tc: TaskContext) -> _Cluster:
        props = tc.get_openshift_cluster_properties()
        names = load_balancer_names(props.architecture_version, props.infra_id or "aro")
        resource_group = _last(props.cluster_profile.resource_group_id or "")
        if not resource_group:
            raise TerminalError(
                "the cluster document has no cluster resource group (clusterProfile.resourceGroupId)"
            )
        if not props.master_profile.subnet_id:
            raise TerminalError(
                "the cluster document has no master subnet (masterProfile.subnetId)"
            )
        udr = props.network_profile.outbound_type == "UserDefinedRouting"
        return cls(resource_group, props.master_profile.subnet_id, udr, names)


def if_match(resource: Resource) -> dict[str, Any]:
    """SDK keywords making a PUT conditional on the etag read (or last written): another writer's change in between gives 412
    PreconditionFailed (transient: the next attempt reads again) instead of being overwritten
    (ARM RPC, Addendum.md "ETags for Resources"). A resource read without an etag: unconditional."""
    etag = resource.get("etag")
    return {"headers": {"If-Match": str(etag)}} if etag else {}


def _load_balancer_pools(tc: TaskContext, cluster: _Cluster) -> Callable[[str], list[str]]:
    """Fix the internal load balancer; return master ``n`` -> the pool IDs its NIC must be in."""
    lbs = tc.load_balancers_client()
    rg, names = cluster.resource_group, cluster.names
    internal = _as_dict(lbs.get(rg, names["internal_lb"]))
    if _ensure_ssh_on_internal_lb(tc, internal):
        tc.log().info("Updating Load Balancer %s", names["internal_lb"])
        internal = _as_dict(
            lbs.begin_create_or_update(rg, names["internal_lb"], internal, **if_match(internal)).result()
        )
    internal_pools = f"{internal['id']}/backendAddressPools"
    public_pool: list[str] = []
    if cluster.udr:
        tc.log().info("not updating external LB address pool assignment as this is a UDR cluster")
    else:
        public = _as_dict(lbs.get(rg, names["public_lb"]))
        public_pool = [f"{public['id']}/backendAddressPools/{names['public_pool']}"]

    def pools_of(n: str) -> list[str]:
        return [f"{internal_pools}/{names['api_pool']}", f"{internal_pools}/ssh-{n}", *public_pool]

    return pools_of


def _fix_nic(
    tc: TaskContext, cluster: _Cluster, nic: Resource, n: str, pools_of: Callable[[str], list[str]]
) -> None:
    """Delete a leftover master NIC, skip one outside the master subnet, or fix its pools."""
    log = tc.log()
    name = str(nic.get("name", ""))
    nic_props = _props(nic)
    ip_configs = nic_props.get("ipConfigurations") or []
    if not ip_configs:
        raise TerminalError(f"network interface {name} has no IP configuration")
    ip_props = _props(ip_configs[0])
    subnet = str((ip_props.get("subnet") or {}).get("id", ""))
    in_master_subnet = _same_id(subnet, cluster.master_subnet)

    if not nic_props.get("virtualMachine") and in_master_subnet:
        log.info("Deleting NIC %s: attached to no VM", name)
        tc.interfaces_client().begin_delete(cluster.resource_group, name).result()
        return
    if not in_master_subnet:
        log.info("Skipping NIC %s: not in the master subnet", name)
        return

    current = [str(p.get("id", "")) for p in ip_props.get("loadBalancerBackendAddressPools") or []]
    wanted = _wanted_pools(current, n, pools_of(n))
    if [p.lower() for p in wanted] == [p.lower() for p in current]:
        return
    ip_props["loadBalancerBackendAddressPools"] = [{"id": p} for p in wanted]
    log.info("Updating Network Interface %s", name)
    tc.interfaces_client().begin_create_or_update(cluster.resource_group, name, nic, **if_match(nic)).result()


def fix_ssh(tc: TaskContext) -> None:
    """Make the control-plane NICs' load balancer pools right (see the module docstring)."""
    tc = get_task_context(tc)
    cluster = _Cluster.of(tc)
    try:
        pools_of = _load_balancer_pools(tc, cluster)
        for nic in [_as_dict(x) for x in tc.interfaces_client().list(cluster.resource_group)]:
            match = MASTER_NIC.fullmatch(str(nic.get("name", "")))
            if match:
                tc.log().info("Checking NIC %s", nic.get("name"))
                _fix_nic(tc, cluster, nic, match.group(1), pools_of)
    except Exception as e:
        raise azure_error(e) from e
