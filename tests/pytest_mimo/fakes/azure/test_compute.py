"""Resource SKUs through the real azure-mgmt-compute client."""

from __future__ import annotations

from typing import Any

from pytest_mimo.fakes.azure import FakeAzure, vm_sku


def test_list_with_location_filter_and_paging(vclock: Any, env: Any) -> None:
    with FakeAzure(page_size=3) as fake:
        fake.add_resource_skus(*(vm_sku(f"Standard_D{n}s_v3") for n in (2, 4, 8, 16, 32)))
        fake.add_resource_skus(vm_sku("Standard_D8s_v3", location="westus", zones=()))
        skus = fake.clients(env).resource_skus_client()
        east = list(skus.list(filter="location eq 'eastus'"))
        assert [s.name for s in east] == [f"Standard_D{n}s_v3" for n in (2, 4, 8, 16, 32)]
        assert east[0].location_info[0].zones == ["1", "2", "3"]
        assert {c.name: c.value for c in east[0].capabilities}["vCPUs"] == "8"
        assert len(list(skus.list())) == 6
        lists = [r for r in fake.requests if r.verb == "list"]
        assert len(lists) == 2 + 2  # two pages each time
        assert "$skiptoken=3" in lists[1].path and "location" in lists[1].path


def test_the_location_filter_quoted_or_not_and_other_filters_ignored(fake: FakeAzure, clients: Any) -> None:
    """The SDK: "Only **location** filter is supported currently". Azure/ARO-RP sends it unquoted
    (``fmt.Sprintf("location eq %s", location)`` in pkg/cluster and pkg/validate), azure-cli quoted;
    any other filter is ignored and every SKU comes back (Azure/azure-sdk-for-net#9428)."""
    fake.add_resource_skus(vm_sku("Standard_D8s_v3"), vm_sku("Standard_D4s_v3", location="westus", zones=()))
    skus = clients.resource_skus_client()

    def names(flt: str | None) -> list[str]:
        return [s.name for s in skus.list(filter=flt)]

    assert names("location eq 'westus'") == names("location eq westus") == names("Location EQ WestUS") == [
        "Standard_D4s_v3"]
    assert names("location eq 'northpole'") == []
    assert names("name eq 'x'") == names("resourceType eq 'virtualMachines'") == names(None) == [
        "Standard_D8s_v3", "Standard_D4s_v3"]
