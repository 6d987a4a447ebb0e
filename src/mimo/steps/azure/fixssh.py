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
port ``2200 + n`` to port 22) and the ``ssh`` probe if it lacks them. Then,
as Go's ``checkAndUpdateNICsInResourceGroup`` (``pkg/cluster/fixssh.go``),
every NIC of the resource group is checked: one whose name is not a master's
is skipped; a master NIC attached to no VM is a leftover of a replaced master:
its IP configurations are replaced by one in the master subnet (a PUT), then it
is deleted; a NIC with an IP configuration whose subnet ID is present and is
not the master subnet is skipped (one whose subnet has no ID is not); the
others get their pools fixed on every IP configuration. An empty NIC list is
an error (``interfaces list call for resource group <rg> returned an empty
result``). Log lines are Go's, NIC by NIC (``Checking NIC …``, ``Skipping NIC
…, NIC not in master subnet.``, ``Adding NIC … to Internal Load Balancer SSH
Address Pool …``, ``Updating Network Interface …``). Every resource is written
only when something changed, so a second run writes nothing. Any Azure error
is transient. Ours: IDs compare case-insensitively (ARM IDs are; Go compares
exactly), and an unknown architecture version is terminal (Go: transient).

Resources are handled as the plain JSON dicts the Azure REST API speaks
(``model.as_dict()``), so comparing before writing is a dict comparison.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from mimo.api import ARCHITECTURE_VERSION_V1, ARCHITECTURE_VERSION_V2
from mimo.context import TaskContext, get_task_context
from mimo.errors import TerminalError, TransientError
from mimo.steps.errors import azure_error

__all__ = ["MASTER_NIC", "fix_ssh", "load_balancer_names"]

#: Go's ``masterNICRegex`` and ``sshBackendPoolRegex`` (pkg/cluster/fixssh.go), searched as Go's MatchString
MASTER_NIC = re.compile(r".*(master).*([0-2])-nic")
SSH_POOL = re.compile(r"ssh-([0-2])")
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


def _fix_internal_lb(tc: TaskContext, cluster: _Cluster) -> Resource:
    """Go's ``checkAndUpdateLB``: add what the internal load balancer lacks; returns it."""
    lbs = tc.load_balancers_client()
    rg, name = cluster.resource_group, cluster.names["internal_lb"]
    try:
        internal = _as_dict(lbs.get(rg, name))
        if _ensure_ssh_on_internal_lb(tc, internal):
            tc.log().info("Updating Load Balancer %s", name)
            internal = _as_dict(lbs.begin_create_or_update(rg, name, internal, **if_match(internal)).result())
    except Exception as e:
        tc.log().error("Failed checking and Updating Load Balancer with error: %s", e)
        raise
    return internal


def _pool_ids(ipc: Resource) -> list[Resource]:
    pools = _props(ipc).get("loadBalancerBackendAddressPools")
    if pools is None:
        pools = _props(ipc)["loadBalancerBackendAddressPools"] = []
    return pools  # type: ignore[no-any-return]


def _has(pools: list[Resource], pool_id: str) -> bool:
    return any(_same_id(str(p.get("id", "")), pool_id) for p in pools)


def _update_ilb_pools(tc: TaskContext, cluster: _Cluster, ipc: Resource, nic: str, n: str, lb_id: str) -> bool:
    """Go's ``updateILBBackendPools``: the API pool, exactly its own SSH pool; True if changed."""
    log = tc.log()
    pools = _pool_ids(ipc)
    updated = False
    api = f"{lb_id}/backendAddressPools/{cluster.names['api_pool']}"
    if not _has(pools, api):
        log.info("Adding NIC %s to Internal Load Balancer API Address Pool %s", nic, api)
        pools.append({"id": api})
        updated = True
    own = f"{lb_id}/backendAddressPools/ssh-{n}"
    kept = []
    for p in pools:
        pid = str(p.get("id", ""))
        if not _same_id(pid, own) and SSH_POOL.search(pid):
            # Go's words: the SSH pool removed is logged as an "API Address Pool"
            log.info("Removing NIC %s from Internal Load Balancer API Address Pool %s", nic, pid)
            updated = True
            continue
        kept.append(p)
    pools[:] = kept
    if not _has(pools, own):
        log.info("Adding NIC %s to Internal Load Balancer SSH Address Pool %s", nic, own)
        pools.append({"id": own})
        updated = True
    return updated


def _update_elb_pools(tc: TaskContext, cluster: _Cluster, ipc: Resource, nic: str) -> bool:
    """Go's public load balancer part: GET it (per IP configuration, as Go does), add its pool."""
    if cluster.udr:
        tc.log().info("not updating external LB address pool assignment as this is a UDR cluster")
        return False
    public = _as_dict(tc.load_balancers_client().get(cluster.resource_group, cluster.names["public_lb"]))
    pool = f"{public['id']}/backendAddressPools/{cluster.names['public_pool']}"
    pools = _pool_ids(ipc)
    if _has(pools, pool):
        return False
    tc.log().info("Adding NIC %s to Public Load Balancer API Address Pool %s", nic, pool)
    pools.append({"id": pool})
    return True


def _delete_orphaned_nic(tc: TaskContext, cluster: _Cluster, nic: Resource) -> None:
    """Go's ``deleteOrphanedNIC``: drop its IP configurations (one left, in the master subnet), then delete it."""
    log = tc.log()
    name = str(nic.get("name", ""))
    interfaces = tc.interfaces_client()
    _props(nic)["ipConfigurations"] = [{"name": name, "properties": {"subnet": {"id": cluster.master_subnet}}}]
    try:
        interfaces.begin_create_or_update(cluster.resource_group, name, nic, **if_match(nic)).result()
    except Exception as e:
        log.error("Removing IPConfigurations from NIC %s has failed with err %s", name, e)
        raise
    log.info("Deleting orphaned control plane machine NIC %s, not associated with any VM.", name)
    try:
        interfaces.begin_delete(cluster.resource_group, name).result()
    except Exception:
        log.error("Failed to delete orphaned NIC %s", name)
        raise


def _fix_nic(tc: TaskContext, cluster: _Cluster, nic: Resource, lb_id: str) -> None:
    """Go's loop body of ``checkAndUpdateNICsInResourceGroup`` for one NIC."""
    log = tc.log()
    name = str(nic.get("name", ""))
    log.info("Checking NIC %s", name)
    match = MASTER_NIC.search(name)
    if not match:
        log.info("Skipping NIC %s, not associated with a control plane machine.", name)
        return
    nic_props = _props(nic)
    if not nic_props.get("virtualMachine"):
        _delete_orphaned_nic(tc, cluster, nic)
        return
    updated = False
    for ipc in nic_props.get("ipConfigurations") or []:
        subnet = (_props(ipc).get("subnet") or {}).get("id")
        # skipped only when the IP configuration names a subnet and it is another one
        if subnet is not None and not _same_id(str(subnet), cluster.master_subnet):
            log.info("Skipping NIC %s, NIC not in master subnet.", name)
            return
        updated = _update_ilb_pools(tc, cluster, ipc, name, match.group(2), lb_id) or updated
        updated = _update_elb_pools(tc, cluster, ipc, name) or updated
    if updated:
        log.info("Updating Network Interface %s", name)
        tc.interfaces_client().begin_create_or_update(cluster.resource_group, name, nic, **if_match(nic)).result()


def fix_ssh(tc: TaskContext) -> None:
    """Make the control-plane NICs' load balancer pools right (see the module docstring)."""
    tc = get_task_context(tc)
    cluster = _Cluster.of(tc)
    try:
        internal = _fix_internal_lb(tc, cluster)
        rg = cluster.resource_group
        try:
            nics = [_as_dict(x) for x in tc.interfaces_client().list(rg)]
        except Exception as e:
            tc.log().error("Error getting network interfaces for resource group %s: %s", rg, e)
            raise
        if not nics:
            raise TransientError(f"interfaces list call for resource group {rg} returned an empty result")
        for nic in nics:
            _fix_nic(tc, cluster, nic, internal["id"])
    except TransientError:
        raise
    except Exception as e:
        raise azure_error(e) from e
