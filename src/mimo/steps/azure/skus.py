"""Resource SKUs: which VM sizes a region offers, and in which availability zones.

The Go MIMO's helpers, ported: ``SelectVMSkusInCurrentRegion`` and ``Zones``
(``pkg/util/computeskus``), ``FilterZones`` (``pkg/util/azurezones``) and
``checkSKUAvailability`` (``pkg/cluster/validate.go``). SKUs are the REST JSON
the ``resource_skus`` client yields (``model.as_dict()``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "BASIC_ZONES",
    "EXPANDED_ZONES_FEATURE",
    "SkuUnavailable",
    "SkuListError",
    "check_sku_availability",
    "filter_zones",
    "select_vm_skus_in_region",
    "sku_zones",
]

#: the zones a cluster may use unless the environment allows expanded availability zones
BASIC_ZONES = ("1", "2", "3")
#: Go ``env.FeatureEnableClusterExpandedAvailabilityZones``
EXPANDED_ZONES_FEATURE = "EnableClusterExpandedAvailabilityZones"


class SkuListError(Exception):
    """Listing the region's SKUs failed (Go ``ErrListVMResourceSKUs``)."""

    def __init__(self, cause: BaseException, detail: str) -> None:
        super().__init__(f"failure listing resource SKUs: {detail}")
        self.__cause__ = cause


class SkuUnavailable(Exception):
    """The VM size is not offered in the region: Go's ``400: InvalidParameter`` cloud error."""

    def __init__(self, path: str, vm_size: str, location: str) -> None:
        super().__init__(
            f"400: InvalidParameter: {path}: The selected SKU '{vm_size}' is unavailable in region '{location}'"
        )


def _as_dict(model: Any) -> dict[str, Any]:
    return dict(model.as_dict()) if hasattr(model, "as_dict") else dict(model)


def select_vm_skus_in_region(
    skus: Iterable[Any], location: str, names: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """The ``virtualMachines`` SKUs named ``names`` that list ``location`` (case-insensitively) and
    have location info, by name; stops reading once every name is found (Go
    ``SelectVMSkusInCurrentRegion``). An error while reading raises :class:`SkuListError`."""
    wanted = sorted(set(names))
    found: dict[str, dict[str, Any]] = {}
    it = iter(skus)
    while True:
        try:
            model = next(it)
        except StopIteration:
            break
        except Exception as e:  # a failed page
            from mimo.steps.errors import describe

            raise SkuListError(e, describe(e)) from e
        if model is None:
            continue
        sku = _as_dict(model)
        name, rtype = sku.get("name"), sku.get("resourceType")
        if name is None or rtype is None:
            continue
        if rtype != "virtualMachines" or not sku.get("locations") or not sku.get("locationInfo"):
            continue
        if not any(isinstance(x, str) and x.lower() == location.lower() for x in sku["locations"]):
            continue
        if name in wanted:
            found[name] = sku
        if len(found) == len(wanted):
            break
    return found


def check_sku_availability(
    skus: dict[str, dict[str, Any]], location: str, path: str, vm_size: str
) -> dict[str, Any]:
    """The SKU ``vm_size`` of ``skus``, or :class:`SkuUnavailable` naming ``path``."""
    sku = skus.get(vm_size)
    if sku is None:
        raise SkuUnavailable(path, vm_size, location)
    return sku


def sku_zones(sku: dict[str, Any]) -> list[str]:
    """The zones of the SKU's first location info (Go ``computeskus.Zones``)."""
    infos = sku.get("locationInfo") or []
    if not infos or not isinstance(infos[0], dict) or infos[0].get("zones") is None:
        return []
    return [str(z) for z in infos[0]["zones"]]


def filter_zones(zones: list[str], *, allow_expanded: bool) -> list[str]:
    """``zones`` without those beyond 1-3 unless expanded zones are allowed; order kept
    (Go ``availabilityZoneManager.FilterZones``)."""
    if allow_expanded:
        return list(zones)
    return [z for z in zones if z in BASIC_ZONES]
