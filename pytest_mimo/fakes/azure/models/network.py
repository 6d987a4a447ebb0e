"""Microsoft.Network state: load balancers, network interfaces, private link services.

The network resource provider stores what the client PUTs, minus read-only
fields, and fills in what it owns: ``id``/``name``/``type``, a weak ``etag``
renewed on every write, ``resourceGuid``, ``provisioningState`` on the
resource and its sub-resources, and the IDs of sub-resources.
"""

from __future__ import annotations

import copy
from typing import Any

from pytest_mimo.fakes.azure.models.arm import ArmState

__all__ = [
    "NETWORK_TYPES",
    "build_network_resource",
    "missing_lb_references",
    "missing_pool_references",
    "with_backend_ip_configurations",
]

#: lower-cased type -> (canonical type, sub-resource collections in ``properties``)
NETWORK_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "microsoft.network/loadbalancers": (
        "Microsoft.Network/loadBalancers",
        (
            "frontendIPConfigurations",
            "backendAddressPools",
            "loadBalancingRules",
            "probes",
            "inboundNatRules",
            "inboundNatPools",
            "outboundRules",
        ),
    ),
    "microsoft.network/networkinterfaces": ("Microsoft.Network/networkInterfaces", ("ipConfigurations",)),
    "microsoft.network/privatelinkservices": ("Microsoft.Network/privateLinkServices", ("ipConfigurations",)),
}

_READ_ONLY = ("id", "name", "type", "etag")
_HAS_GUID = ("microsoft.network/loadbalancers", "microsoft.network/networkinterfaces")


def build_network_resource(
    resource_id: str,
    type_key: str,
    body: dict[str, Any],
    old: dict[str, Any] | None,
    *,
    etag: str,
    new_guid: str,
    provisioning_state: str,
) -> dict[str, Any]:
    """The stored form of ``body`` PUT at ``resource_id`` (``old`` is what was there)."""
    full_type, collections = NETWORK_TYPES[type_key]
    rid = old["id"] if old is not None else resource_id
    out: dict[str, Any] = {"name": rid.rsplit("/", 1)[1], "id": rid, "etag": etag, "type": full_type}
    for k, v in body.items():
        if k not in _READ_ONLY and k != "properties":
            out[k] = copy.deepcopy(v)
    props = copy.deepcopy(body.get("properties") or {})
    props["provisioningState"] = provisioning_state
    if type_key in _HAS_GUID:
        old_guid = (old or {}).get("properties", {}).get("resourceGuid")
        props["resourceGuid"] = old_guid or new_guid
    for coll in collections:
        items = props.get(coll)
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict) or not item.get("name"):
                continue
            item["id"] = f"{rid}/{coll}/{item['name']}"
            item["etag"] = etag
            item["type"] = f"{full_type}/{coll}"
            sub = item.setdefault("properties", {})
            if isinstance(sub, dict):
                sub["provisioningState"] = provisioning_state
                sub.pop("backendIPConfigurations", None)  # read-only: computed from the NICs
    out["properties"] = props
    return out


def _nic_pool_refs(nic: dict[str, Any]) -> list[tuple[str, str]]:
    """(pool ID, ip configuration ID) for every backend pool a NIC's IP configurations join."""
    out = []
    for ipc in (nic.get("properties") or {}).get("ipConfigurations") or []:
        if not isinstance(ipc, dict):
            continue
        for pool in (ipc.get("properties") or {}).get("loadBalancerBackendAddressPools") or []:
            if isinstance(pool, dict) and isinstance(pool.get("id"), str):
                out.append((pool["id"], str(ipc.get("id") or "")))
    return out


def missing_pool_references(arm: ArmState, nic: dict[str, Any]) -> list[tuple[str, str]]:
    """References from a NIC to backend pools that do not exist (load balancer or pool missing)."""
    missing = []
    for pool_id, ipc_id in _nic_pool_refs(nic):
        lb_id, _, pool_name = pool_id.rpartition("/backendAddressPools/")
        lb = arm.get(lb_id) if lb_id else None
        pools = ((lb or {}).get("properties") or {}).get("backendAddressPools") or []
        if not any(isinstance(p, dict) and str(p.get("name", "")).lower() == pool_name.lower() for p in pools):
            missing.append((pool_id, ipc_id))
    return missing


#: what a load balancer's rules point at inside the same load balancer: property -> collection
_LB_REFERENCES: dict[str, dict[str, str]] = {
    "loadBalancingRules": {
        "frontendIPConfiguration": "frontendIPConfigurations",
        "backendAddressPool": "backendAddressPools",
        "backendAddressPools": "backendAddressPools",
        "probe": "probes",
    },
    "inboundNatRules": {"frontendIPConfiguration": "frontendIPConfigurations", "backendAddressPool": "backendAddressPools"},
    "inboundNatPools": {"frontendIPConfiguration": "frontendIPConfigurations"},
    "outboundRules": {"frontendIPConfigurations": "frontendIPConfigurations", "backendAddressPool": "backendAddressPools"},
}


def missing_lb_references(lb: dict[str, Any]) -> list[tuple[str, str]]:
    """(referenced ID, referencing rule ID) for every rule reference to a frontend, pool or probe
    that the load balancer itself does not have (the network RP answers InvalidResourceReference)."""
    props = lb.get("properties") or {}
    have = set()
    for coll in ("frontendIPConfigurations", "backendAddressPools", "probes"):
        for item in props.get(coll) or []:
            if isinstance(item, dict) and item.get("name"):
                have.add(f"{lb['id']}/{coll}/{item['name']}".lower())
    missing = []
    for coll, refs in _LB_REFERENCES.items():
        for rule in props.get(coll) or []:
            sub = rule.get("properties") if isinstance(rule, dict) else None
            if not isinstance(sub, dict):
                continue
            for prop in refs:
                value = sub.get(prop)
                for ref in value if isinstance(value, list) else [value]:
                    if isinstance(ref, dict) and isinstance(ref.get("id"), str) and ref["id"].lower() not in have:
                        missing.append((ref["id"], str(rule.get("id") or "")))
    return missing


def with_backend_ip_configurations(arm: ArmState, lb: dict[str, Any]) -> dict[str, Any]:
    """The load balancer as the service shows it: each backend pool lists the NIC IP
    configurations that joined it (``backendIPConfigurations``), computed from the NICs."""
    pools = (lb.get("properties") or {}).get("backendAddressPools") or []
    if not pools:
        return lb
    members: dict[str, list[dict[str, str]]] = {}
    for key, body in arm.resources.items():
        if "/providers/microsoft.network/networkinterfaces/" not in key or key.count("/") != 8:
            continue
        for pool_id, ipc_id in _nic_pool_refs(body):
            members.setdefault(pool_id.lower(), []).append({"id": ipc_id})
    out = dict(lb)
    props = out["properties"] = dict(lb["properties"])
    new_pools = []
    for pool in pools:
        if isinstance(pool, dict) and isinstance(pool.get("id"), str):
            pool = copy.deepcopy(pool)
            refs = members.get(pool["id"].lower())
            if refs:
                pool.setdefault("properties", {})["backendIPConfigurations"] = refs
            else:
                (pool.get("properties") or {}).pop("backendIPConfigurations", None)
        new_pools.append(pool)
    props["backendAddressPools"] = new_pools
    return out
