"""Microsoft.Network state: load balancers, network interfaces, private link services,
network security groups, public IP addresses and virtual networks (with their subnets).

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
    "READ_ONLY_NETWORK_TYPES",
    "changed_frontend_zones",
    "embedded",
    "embedded_list",
    "frontends_in_use_by_private_link_services",
    "missing_pls_frontends",
    "build_network_resource",
    "missing_lb_references",
    "missing_pool_references",
    "pools_in_use",
    "with_backend_ip_configurations",
    "with_virtual_machine",
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
    "microsoft.network/networksecuritygroups": (
        "Microsoft.Network/networkSecurityGroups", ("securityRules", "defaultSecurityRules"),
    ),
    "microsoft.network/publicipaddresses": ("Microsoft.Network/publicIPAddresses", ()),
    "microsoft.network/virtualnetworks": ("Microsoft.Network/virtualNetworks", ("subnets",)),
}
#: network types the fake serves read-only on the wire (GET and list; seeded with ``FakeAzure.put_resource``)
READ_ONLY_NETWORK_TYPES = (
    "microsoft.network/networksecuritygroups",
    "microsoft.network/publicipaddresses",
    "microsoft.network/virtualnetworks",
)

_READ_ONLY = ("id", "name", "type", "etag")
_HAS_GUID = (
    "microsoft.network/loadbalancers",
    "microsoft.network/networkinterfaces",
    "microsoft.network/networksecuritygroups",
    "microsoft.network/publicipaddresses",
    "microsoft.network/virtualnetworks",
)


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
    """References from a NIC to backend pools that do not exist (load balancer or pool missing).
    An ID is matched in any letter case, as the store keys resources (ArmState) and as ARM resolves
    them: it hands IDs back in other cases than they were written (terraform-provider-azurerm's
    ``normalise_resource_id`` exists for that), so ``.../backendaddresspools/...`` resolves too."""
    missing = []
    for pool_id, ipc_id in _nic_pool_refs(nic):
        cut = pool_id.lower().rfind("/backendaddresspools/")
        lb_id, pool_name = (pool_id[:cut], pool_id[cut + len("/backendaddresspools/"):]) if cut >= 0 else ("", "")
        lb = arm.get(lb_id) if lb_id else None
        pools = ((lb or {}).get("properties") or {}).get("backendAddressPools") or []
        if not any(isinstance(p, dict) and str(p.get("name", "")).lower() == pool_name.lower() for p in pools):
            missing.append((pool_id, ipc_id))
    return missing


def pools_in_use(arm: ArmState, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(pool ID, NIC IP configuration ID) for every backend pool of ``old`` that a NIC's IP
    configuration joins and that ``new`` no longer has (``new`` ``None``: the load balancer goes)."""
    def pool_ids(lb: dict[str, Any] | None) -> set[str]:
        rid = str((lb or {}).get("id", ""))
        return {f"{rid}/backendAddressPools/{p['name']}".lower() for p in embedded_list(lb, "backendAddressPools")
                if p.get("name")}

    gone = pool_ids(old) - pool_ids(new)
    if not gone:
        return []
    out = []
    for key, body in sorted(arm.resources.items()):
        if "/providers/microsoft.network/networkinterfaces/" not in key or key.count("/") != 8:
            continue
        out += [(pool_id, ipc_id) for pool_id, ipc_id in _nic_pool_refs(body) if pool_id.lower() in gone]
    return out


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


def embedded(parent: dict[str, Any] | None, collection: str, name: str) -> dict[str, Any] | None:
    """The sub-resource ``name`` of ``parent.properties[collection]`` (names compare case-insensitively)."""
    for item in embedded_list(parent, collection):
        if str(item.get("name", "")).lower() == name.lower():
            return item
    return None


def embedded_list(parent: dict[str, Any] | None, collection: str) -> list[dict[str, Any]]:
    """The sub-resources a parent keeps in ``properties[collection]`` (e.g. a virtual network's subnets)."""
    items = ((parent or {}).get("properties") or {}).get(collection) or []
    return [item for item in items if isinstance(item, dict)]


def _frontends(lb: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """A load balancer's frontend IP configurations by lower-cased ID."""
    out = {}
    rid = (lb or {}).get("id", "")
    for fe in embedded_list(lb, "frontendIPConfigurations"):
        if fe.get("name"):
            out[f"{rid}/frontendIPConfigurations/{fe['name']}".lower()] = fe
    return out


def changed_frontend_zones(old: dict[str, Any] | None, new: dict[str, Any]) -> list[tuple[str, list[str], list[str]]]:
    """(frontend ID, zones before, zones asked for) for every existing frontend whose zones a PUT
    would change: Azure fixes a frontend's zones when it is created (a new zonal frontend is a new
    frontend, as the Go MIMO's internal load balancer migration does it)."""
    before = _frontends(old)
    out = []
    for key, fe in _frontends(new).items():
        was = before.get(key)
        if was is not None and sorted(was.get("zones") or []) != sorted(fe.get("zones") or []):
            out.append((str(fe.get("id") or key), list(was.get("zones") or []), list(fe.get("zones") or [])))
    return out


def _pls_frontend_refs(pls: dict[str, Any]) -> list[str]:
    refs = ((pls.get("properties") or {}).get("loadBalancerFrontendIpConfigurations")) or []
    return [r["id"] for r in refs if isinstance(r, dict) and isinstance(r.get("id"), str)]


def frontends_in_use_by_private_link_services(
    arm: ArmState, old: dict[str, Any] | None, new: dict[str, Any]
) -> list[tuple[str, str]]:
    """(frontend ID, private link service ID) for every frontend a PUT removes from a load
    balancer while a private link service still uses it."""
    gone = set(_frontends(old)) - set(_frontends(new))
    if not gone:
        return []
    out = []
    for key, body in sorted(arm.resources.items()):
        if "/providers/microsoft.network/privatelinkservices/" not in key or key.count("/") != 8:
            continue
        for ref in _pls_frontend_refs(body):
            if ref.lower() in gone:
                out.append((ref, str(body.get("id"))))
    return out


def missing_pls_frontends(arm: ArmState, pls: dict[str, Any]) -> list[tuple[str, str]]:
    """(frontend ID, private link service ID) for every load balancer frontend a private link
    service names that does not exist."""
    missing = []
    for ref in _pls_frontend_refs(pls):
        lb_id, sep, _ = ref.lower().rpartition("/frontendipconfigurations/")
        if not sep or ref.lower() not in _frontends(arm.get(lb_id)):
            missing.append((ref, str(pls.get("id"))))
    return missing


def with_virtual_machine(arm: ArmState, nic: dict[str, Any]) -> dict[str, Any]:
    """The NIC as the service shows it: ``virtualMachine`` (read-only) names the VM whose
    ``networkProfile.networkInterfaces`` lists it. A NIC stored with one (seeded) keeps it."""
    nic_id = str(nic.get("id", "")).lower()
    for key, body in arm.resources.items():
        if "/providers/microsoft.compute/virtualmachines/" not in key or key.count("/") != 8:
            continue
        refs = (((body.get("properties") or {}).get("networkProfile") or {}).get("networkInterfaces")) or []
        if any(isinstance(r, dict) and str(r.get("id", "")).lower() == nic_id for r in refs):
            out = dict(nic)
            out["properties"] = {**(nic.get("properties") or {}), "virtualMachine": {"id": body["id"]}}
            return out
    return nic
