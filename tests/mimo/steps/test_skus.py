"""Resource SKU helpers: Go ``pkg/util/computeskus/computeskus_test.go`` (``TestZones``,
``TestSelectVMSkusInCurrentRegion``) and ``pkg/util/azurezones`` ``FilterZones``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mimo.steps.azure.skus import (
    SkuListError,
    SkuUnavailable,
    check_sku_availability,
    filter_zones,
    select_vm_skus_in_region,
    sku_zones,
)


@pytest.mark.parametrize(("sku", "want"), [
    ({"locationInfo": [{"zones": ["1", "2", "3"]}]}, ["1", "2", "3"]),  # location info present
    ({"locationInfo": [{"zones": None}]}, []),  # present, but zones field is nil
    ({"locationInfo": []}, []),  # present, but empty
    ({}, []),  # missing
])
def test_go_zones(sku: dict[str, Any], want: list[str]) -> None:
    assert sku_zones(sku) == want


def _vm(name: str, *locations: Any, rtype: str = "virtualMachines", info: bool = True,
        restricted: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "resourceType": rtype, "locations": list(locations)}
    if info:
        out["locationInfo"] = [{"location": locations[0] if locations else None}]
    if restricted:
        out["restrictions"] = [{"restrictionInfo": {"locations": list(restricted)}}]
    return out


GO_HAPPY_PATH = [
    _vm("bigmachine_v1", "northus2"),
    _vm("smallmachine_v4", "northus2"),
    _vm("smallmachine_v10", "Northus2"),  # capitalisation of region
    _vm("smallmachine_v9", "northus1"),  # not actually in our region
    _vm("smallmachine_v11", None),  # nil region
    _vm("smallmachine_v2", "northus2", restricted=("somewhereelse", "northus2")),  # restricted: still selected
    None,  # an actual nil
    _vm("smallmachine_v3", info=False),  # no locations / location info
    _vm("Classic", "northus2", rtype="availabilitySets"),  # actually an availability set
]


def test_go_select_vm_skus_happy_path() -> None:
    got = select_vm_skus_in_region(GO_HAPPY_PATH, "northus2", ["bigmachine_v1", "smallmachine_v4", "smallmachine_v5"])
    assert sorted(got) == ["bigmachine_v1", "smallmachine_v4"]
    got = select_vm_skus_in_region(GO_HAPPY_PATH, "northus2", ["smallmachine_v10", "smallmachine_v2", "Classic",
                                                               "smallmachine_v3", "smallmachine_v9"])
    assert sorted(got) == ["smallmachine_v10", "smallmachine_v2"]


def test_go_duplicate_names_do_not_error_and_reading_stops_when_all_are_found() -> None:
    read: list[str] = []

    def listing() -> Iterator[dict[str, Any]]:
        for sku in [_vm("a", "eastus"), _vm("b", "eastus"), _vm("c", "eastus")]:
            read.append(sku["name"])
            yield sku

    assert sorted(select_vm_skus_in_region(listing(), "eastus", ["a", "a"])) == ["a"]
    assert read == ["a"]


def test_go_error_in_pagination() -> None:
    def listing() -> Iterator[dict[str, Any]]:
        yield _vm("a", "eastus")
        raise RuntimeError("page two broke")

    with pytest.raises(SkuListError, match="^failure listing resource SKUs: page two broke$"):
        select_vm_skus_in_region(listing(), "eastus", ["a", "b"])


def test_check_sku_availability() -> None:
    sku = _vm("a", "eastus")
    assert check_sku_availability({"a": sku}, "eastus", "properties.masterProfile.VMSize", "a") is sku
    with pytest.raises(SkuUnavailable) as e:
        check_sku_availability({}, "eastus", "properties.masterProfile.VMSize", "b")
    # Go api.CloudError.Error(): "<status>: <code>: <target>: <message>"
    assert str(e.value) == ("400: InvalidParameter: properties.masterProfile.VMSize: "
                            "The selected SKU 'b' is unavailable in region 'eastus'")


def test_filter_zones() -> None:
    assert filter_zones(["3", "1", "4", "2"], allow_expanded=False) == ["3", "1", "2"]
    assert filter_zones(["1", "2", "3", "4"], allow_expanded=True) == ["1", "2", "3", "4"]
    assert filter_zones([], allow_expanded=False) == []
