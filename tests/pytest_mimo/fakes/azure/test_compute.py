"""Resource SKUs through the real azure-mgmt-compute client."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

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


def test_unsupported_filter_is_a_400(fake: FakeAzure, clients: Any) -> None:
    with pytest.raises(HttpResponseError) as e:
        list(clients.resource_skus_client().list(filter="name eq 'x'"))
    assert e.value.status_code == 400 and e.value.error.code == "InvalidFilter"
