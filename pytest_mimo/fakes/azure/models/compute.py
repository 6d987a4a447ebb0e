"""Microsoft.Compute state: the resource SKUs a subscription can use."""

from __future__ import annotations

from typing import Any

__all__ = ["SkuCatalog", "vm_sku"]


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
