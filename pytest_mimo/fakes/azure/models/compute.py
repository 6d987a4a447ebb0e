"""Microsoft.Compute state: the resource SKUs a subscription can use, and virtual machines."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["SkuCatalog", "VM_TYPE", "build_virtual_machine", "vm_sku"]

VM_TYPE = "Microsoft.Compute/virtualMachines"


def build_virtual_machine(
    resource_id: str, body: dict[str, Any], old: dict[str, Any] | None, *, vm_id: str, etag: str, now: str
) -> dict[str, Any]:
    """The stored form of a virtual machine: what was given, plus what Compute fills in
    (``id``/``name``/``type``, ``etag``, ``properties.vmId`` kept across writes, ``timeCreated``,
    ``provisioningState: Succeeded``)."""
    rid = old["id"] if old is not None else resource_id
    out: dict[str, Any] = {"name": rid.rsplit("/", 1)[1], "id": rid, "type": VM_TYPE}
    out.update({k: copy.deepcopy(v) for k, v in body.items() if k not in ("id", "name", "type", "etag", "properties")})
    old_props = (old or {}).get("properties") or {}
    props = copy.deepcopy(body.get("properties") or {})
    props["vmId"] = old_props.get("vmId") or vm_id
    props["timeCreated"] = old_props.get("timeCreated") or now
    props["provisioningState"] = "Succeeded"
    out["properties"] = props
    out["etag"] = etag
    return out


def vm_sku(name: str, location: str = "eastus", zones: tuple[str, ...] = ("1", "2", "3"), **capabilities: str) -> dict[str, Any]:
    """A ``virtualMachines`` SKU entry shaped like the live API's."""
    caps = {"vCPUs": "8", "MemoryGB": "32", **capabilities}
    return {
        "resourceType": "virtualMachines",
        "name": name,
        "tier": "Standard",
        "size": name.split("_", 1)[-1],
        "family": "standard" + name.split("_", 1)[-1].rstrip("0123456789sv_").upper() + "Family",
        "locations": [location],
        "locationInfo": [{"location": location, "zones": list(zones), "zoneDetails": []}],
        "capabilities": [{"name": k, "value": v} for k, v in caps.items()],
        "restrictions": [],
    }


class SkuCatalog:
    def __init__(self) -> None:
        self.skus: list[dict[str, Any]] = []

    def add(self, *skus: dict[str, Any]) -> None:
        self.skus.extend(skus)

    def list(self, location: str | None = None) -> list[dict[str, Any]]:
        if location is None:
            return list(self.skus)
        loc = location.lower()
        return [s for s in self.skus if loc in [x.lower() for x in s.get("locations", [])]]
