"""What the network resource provider fills in on a write, and the references it resolves.

Filled (values as the REST API specs' examples show them):

* a NIC (``NetworkInterfaceCreate.json``): ``dnsSettings`` ``{dnsServers: [], appliedDnsServers: []}``,
  ``enableIPForwarding: false``, ``vnetEncryptionSupported: false``; each IP configuration gets
  ``primary`` (the first one when none says so, ``false`` for the others),
  ``privateIPAllocationMethod: Dynamic``, ``privateIPAddressVersion: IPv4``, the primary's subnet
  when it names none, and a ``privateIPAddress`` allocated from the subnet's prefix;
* a load balancer frontend in a subnet: the same allocation, ``Dynamic``, ``IPv4``; the
  read-only back-references on frontends (``loadBalancingRules``, ``inboundNatRules``,
  ``inboundNatPools``, ``outboundRules``), backend pools (``loadBalancingRules``,
  ``inboundNatRules``, ``outboundRules``) and probes (``loadBalancingRules``) from the rules that
  name them (``LoadBalancerCreate.json``; the models mark each of them read-only).

Allocation: the lowest free address of the subnet's first prefix from the fifth one on (Azure
keeps the first four and the last of every subnet), "free" meaning no other NIC IP configuration
or load balancer frontend in the fake holds it; a write keeps the address its configuration
already had in the same subnet, and never takes an address a ``Static`` configuration of the same
body asks for. A ``Static`` address is kept as sent; :func:`static_address_problems` says what is wrong
with it (outside the subnet's prefixes, one of the five addresses Azure reserves, or held by another
IP configuration).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pytest_mimo.fakes.azure.models.arm import ArmState

__all__ = ["fill_nic", "fill_load_balancer", "find_subnet", "nic_subnet_problems", "frontend_subnet_problems",
           "static_address_problems", "subnet_ip_configurations"]

_NIC = "/providers/microsoft.network/networkinterfaces/"
_LB = "/providers/microsoft.network/loadbalancers/"


def _props(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        return {}
    props = item.get("properties")
    if not isinstance(props, dict):
        props = item["properties"] = {}
    return props


def _ref_id(ref: Any) -> str | None:
    return ref["id"] if isinstance(ref, dict) and isinstance(ref.get("id"), str) and ref["id"] else None


def find_subnet(arm: ArmState, subnet_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(virtual network, subnet) a subnet ID names; either may be ``None``."""
    vnet_id, sep, name = subnet_id.rpartition("/subnets/")
    if not sep:
        return None, None
    vnet = arm.get(vnet_id)
    for sub in ((vnet or {}).get("properties") or {}).get("subnets") or []:
        if isinstance(sub, dict) and str(sub.get("name", "")).lower() == name.lower():
            return vnet, sub
    return vnet, None


def _prefix(subnet: dict[str, Any]) -> ipaddress.IPv4Network | None:
    props = subnet.get("properties") or {}
    prefix = props.get("addressPrefix") or next(iter(props.get("addressPrefixes") or []), None)
    try:
        net = ipaddress.ip_network(str(prefix), strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def _prefixes(subnet: dict[str, Any]) -> list[tuple[str, ipaddress.IPv4Network]]:
    """(prefix as written, network) for each IPv4 prefix of a subnet (``addressPrefix`` and ``addressPrefixes``)."""
    props = subnet.get("properties") or {}
    out = []
    for prefix in [props.get("addressPrefix"), *(props.get("addressPrefixes") or [])]:
        if not prefix:
            continue
        try:
            net = ipaddress.ip_network(str(prefix), strict=False)
        except ValueError:
            continue
        if isinstance(net, ipaddress.IPv4Network):
            out.append((str(prefix), net))
    return out


def _holders(arm: ArmState) -> list[tuple[str, dict[str, Any]]]:
    """(owner ID, IP configuration) for every NIC IP configuration and load balancer frontend."""
    out = []
    for key, body in arm.resources.items():
        if key.count("/") != 8:
            continue
        if _NIC in key:
            items = (body.get("properties") or {}).get("ipConfigurations") or []
        elif _LB in key:
            items = (body.get("properties") or {}).get("frontendIPConfigurations") or []
        else:
            continue
        out += [(key, item) for item in items if isinstance(item, dict)]
    return out


def subnet_ip_configurations(arm: ArmState, subnet_id: str) -> list[dict[str, str]]:
    """The subnet's read-only ``ipConfigurations``: the NIC IP configurations and load balancer
    frontends in it, by ID."""
    out = []
    for _, item in _holders(arm):
        if (_ref_id(_props(item).get("subnet")) or "").lower() == subnet_id.lower() and item.get("id"):
            out.append({"id": str(item["id"])})
    return sorted(out, key=lambda r: r["id"].lower())


def _allocate(arm: ArmState, owner_id: str, subnet_id: str, taken: set[str]) -> str | None:
    _, subnet = find_subnet(arm, subnet_id)
    net = _prefix(subnet) if subnet is not None else None
    if net is None:
        return None
    used = set(taken)
    for owner, item in _holders(arm):
        props = item.get("properties") or {}
        if owner != owner_id.lower() and (_ref_id(props.get("subnet")) or "").lower() == subnet_id.lower():
            used.add(str(props.get("privateIPAddress") or ""))
    first, last = int(net.network_address) + 4, int(net.broadcast_address) - 1
    for n in range(first, last + 1):
        address = str(ipaddress.IPv4Address(n))
        if address not in used:
            return address
    return None


def _fill_address(arm: ArmState, owner_id: str, props: dict[str, Any], was: dict[str, Any], taken: set[str]) -> None:
    props.setdefault("privateIPAllocationMethod", "Dynamic")
    props.setdefault("privateIPAddressVersion", "IPv4")
    subnet_id = _ref_id(props.get("subnet"))
    if subnet_id is None:
        return
    if str(props["privateIPAllocationMethod"]).lower() == "static" and props.get("privateIPAddress"):
        taken.add(str(props["privateIPAddress"]))
        return
    kept = was.get("privateIPAddress")
    if kept and (_ref_id(was.get("subnet")) or "").lower() == subnet_id.lower() and kept not in taken:
        address: str | None = str(kept)
    else:
        address = _allocate(arm, owner_id, subnet_id, taken)
    if address is not None:
        props["privateIPAddress"] = address
        taken.add(address)


def _is_static(props: dict[str, Any]) -> bool:
    return str(props.get("privateIPAllocationMethod", "")).lower() == "static" and bool(props.get("privateIPAddress"))


def _static_addresses(configs: list[dict[str, Any]]) -> set[str]:
    """The addresses the ``Static`` configurations of one body ask for (a dynamic one never takes them)."""
    return {str(_props(c)["privateIPAddress"]) for c in configs if _is_static(_props(c))}


def static_address_problems(arm: ArmState, owner_id: str, configs: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """What is wrong with the ``Static`` private addresses of one NIC's IP configurations or one load
    balancer's frontends, in the order the checks run, as tuples:

    * ``("invalid", config ID, address)``: not an IPv4 address;
    * ``("not-in-subnet", address, prefix)``: in none of the subnet's prefixes (the first is named);
    * ``("reserved", address, prefix)``: one of the first four or the last address of the prefix;
    * ``("allocated", config ID, address, holder ID)``: another IP configuration or frontend (of
      another resource, or earlier in this body) holds it.

    A configuration whose subnet does not resolve, or has no IPv4 prefix, is not checked here (the
    reference check answers for a missing subnet)."""
    out: list[tuple[str, ...]] = []
    seen: dict[str, str] = {}  # address -> the configuration of this body that asked for it first
    others: dict[tuple[str, str], str] = {}  # (subnet ID, address) -> holder ID, other resources only
    for owner, item in _holders(arm):
        props = item.get("properties") or {}
        sid, address = _ref_id(props.get("subnet")), props.get("privateIPAddress")
        if owner != owner_id.lower() and sid and address:
            others.setdefault((sid.lower(), str(address)), str(item.get("id") or owner))
    for c in configs:
        props = _props(c)
        subnet_id = _ref_id(props.get("subnet"))
        if not _is_static(props) or subnet_id is None:
            continue
        _, subnet = find_subnet(arm, subnet_id)
        prefixes = _prefixes(subnet) if subnet is not None else []
        if not prefixes:
            continue
        text, config_id = str(props["privateIPAddress"]), str(c.get("id") or "")
        try:
            address = ipaddress.IPv4Address(text)
        except ValueError:
            out.append(("invalid", config_id, text))
            continue
        inside = next(((p, net) for p, net in prefixes if address in net), None)
        if inside is None:
            out.append(("not-in-subnet", text, prefixes[0][0]))
            continue
        prefix, net = inside
        n = int(address)
        if n < int(net.network_address) + 4 or n == int(net.broadcast_address):
            out.append(("reserved", text, prefix))
            continue
        holder = others.get((subnet_id.lower(), str(address))) or seen.get(str(address))
        if holder is not None:
            out.append(("allocated", config_id, text, holder))
            continue
        seen[str(address)] = config_id
    return out


def _old_items(old: dict[str, Any] | None, collection: str) -> dict[str, dict[str, Any]]:
    items = ((old or {}).get("properties") or {}).get(collection) or []
    return {str(i.get("name", "")).lower(): (i.get("properties") or {}) for i in items if isinstance(i, dict)}


def fill_nic(arm: ArmState, nic: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Fill in what the network RP owns on a NIC (see the module docstring)."""
    props = _props(nic)
    dns = props.setdefault("dnsSettings", {})
    if isinstance(dns, dict):
        dns.setdefault("dnsServers", [])
        dns.setdefault("appliedDnsServers", [])
    props.setdefault("enableIPForwarding", False)
    props.setdefault("vnetEncryptionSupported", False)
    configs = [c for c in props.get("ipConfigurations") or [] if isinstance(c, dict)]
    if not configs:
        return
    if not any(_props(c).get("primary") is True for c in configs):
        _props(configs[0])["primary"] = True
    primary = next(c for c in configs if _props(c).get("primary") is True)
    primary_subnet = _props(primary).get("subnet")
    was = _old_items(old, "ipConfigurations")
    taken = _static_addresses(configs)
    for c in configs:
        cp = _props(c)
        cp.setdefault("primary", False)
        if cp.get("subnet") is None and _ref_id(primary_subnet):
            cp["subnet"] = {"id": _ref_id(primary_subnet)}
        _fill_address(arm, str(nic.get("id", "")), cp, was.get(str(c.get("name", "")).lower(), {}), taken)


#: rule collection -> (property naming frontends, property naming pools, property naming the probe)
_RULES = {
    "loadBalancingRules": (("frontendIPConfiguration",), ("backendAddressPool", "backendAddressPools"), ("probe",)),
    "inboundNatRules": (("frontendIPConfiguration",), ("backendAddressPool",), ()),
    "inboundNatPools": (("frontendIPConfiguration",), (), ()),
    "outboundRules": (("frontendIPConfigurations",), ("backendAddressPool",), ()),
}
_BACK_REFERENCES = {  # what the back-reference on a frontend / pool / probe is called, per rule collection
    "frontendIPConfigurations": {"loadBalancingRules": "loadBalancingRules", "inboundNatRules": "inboundNatRules",
                                 "inboundNatPools": "inboundNatPools", "outboundRules": "outboundRules"},
    "backendAddressPools": {"loadBalancingRules": "loadBalancingRules", "inboundNatRules": "inboundNatRules",
                            "outboundRules": "outboundRules"},
    "probes": {"loadBalancingRules": "loadBalancingRules"},
}


def _referenced(rule_props: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    out = []
    for name in names:
        value = rule_props.get(name)
        for ref in value if isinstance(value, list) else [value]:
            rid = _ref_id(ref)
            if rid is not None:
                out.append(rid.lower())
    return out


def fill_load_balancer(arm: ArmState, lb: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Fill in a load balancer's frontend addresses and every back-reference (see the module docstring)."""
    props = _props(lb)
    was = _old_items(old, "frontendIPConfigurations")
    taken = _static_addresses([fe for fe in props.get("frontendIPConfigurations") or [] if isinstance(fe, dict)])
    for fe in props.get("frontendIPConfigurations") or []:
        fp = _props(fe)
        if fp.get("subnet") is not None:
            _fill_address(arm, str(lb.get("id", "")), fp, was.get(str(fe.get("name", "")).lower(), {}), taken)
    refs: dict[tuple[str, str], list[dict[str, str]]] = {}  # (target ID, back-reference) -> rule IDs
    for coll, (fes, pools, probes) in _RULES.items():
        for rule in props.get(coll) or []:
            if not isinstance(rule, dict) or not rule.get("id"):
                continue
            rp = _props(rule)
            for group, names in (("frontendIPConfigurations", fes), ("backendAddressPools", pools), ("probes", probes)):
                back = _BACK_REFERENCES[group].get(coll)
                if back is None:
                    continue
                for target in _referenced(rp, names):
                    refs.setdefault((target, back), []).append({"id": str(rule["id"])})
    for group, backs in _BACK_REFERENCES.items():
        for item in props.get(group) or []:
            if not isinstance(item, dict) or not item.get("id"):
                continue
            ip = _props(item)
            for back in set(backs.values()):
                found = refs.get((str(item["id"]).lower(), back))
                if found:
                    ip[back] = found
                else:
                    ip.pop(back, None)


def _subnet_problem(arm: ArmState, subnet_ref: Any, path: str) -> tuple[str, str] | None:
    """("missing-id", path) for a reference without an ID; ("not-found", ID named) for a subnet
    (or its virtual network) that does not exist; ``None`` when it resolves."""
    if subnet_ref is None:
        return None
    rid = _ref_id(subnet_ref)
    if rid is None:
        return "missing-id", path
    vnet, subnet = find_subnet(arm, rid)
    if vnet is None:
        return "not-found", rid.rpartition("/subnets/")[0] or rid
    if subnet is None:
        return "not-found", rid
    return None


def nic_subnet_problems(arm: ArmState, nic: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a NIC's subnets, as (kind, detail): ``missing-id`` (path), ``not-found``
    (the ID), ``required`` (the IP configuration that has none, when none of them has one)."""
    configs = [c for c in (nic.get("properties") or {}).get("ipConfigurations") or [] if isinstance(c, dict)]
    out = []
    for i, c in enumerate(configs):
        problem = _subnet_problem(arm, (c.get("properties") or {}).get("subnet"),
                                  f"properties.ipConfigurations[{i}].properties.subnet")
        if problem is not None:
            out.append(problem)
    if configs and not any((c.get("properties") or {}).get("subnet") is not None for c in configs):
        out.append(("required", str(configs[0].get("id") or "")))
    return out


def frontend_subnet_problems(arm: ArmState, lb: dict[str, Any]) -> list[tuple[str, str]]:
    """``missing-id`` / ``not-found`` problems of a load balancer's frontend subnets."""
    out = []
    for i, fe in enumerate((lb.get("properties") or {}).get("frontendIPConfigurations") or []):
        if isinstance(fe, dict):
            problem = _subnet_problem(arm, (fe.get("properties") or {}).get("subnet"),
                                      f"properties.frontendIPConfigurations[{i}].properties.subnet")
            if problem is not None:
                out.append(problem)
    return out
