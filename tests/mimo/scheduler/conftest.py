from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mimo.api import (
    ClusterProfile,
    NetworkProfile,
    OpenShiftClusterDocument,
    OpenShiftClusterProperties,
    SubscriptionDocument,
)

SUB_A = "11111111-1111-1111-1111-111111111111"
SUB_B = "22222222-2222-2222-2222-222222222222"


def resource_id(name: str, sub: str = SUB_A, rg: str = "rg") -> str:
    return (
        f"/subscriptions/{sub}/resourceGroups/{rg}/providers/"
        f"Microsoft.RedHatOpenShift/openShiftClusters/{name}"
    )


@pytest.fixture
def make_cluster() -> Callable[..., OpenShiftClusterDocument]:
    counter = iter(range(1, 10_000))

    def make(name: str, sub: str = SUB_A, **props: Any) -> OpenShiftClusterDocument:
        domain = props.pop("domain", name)
        outbound = props.pop("outbound_type", "Loadbalancer")
        return OpenShiftClusterDocument(
            id=f"00000000-0000-0000-0000-{next(counter):012d}",
            resource_id=resource_id(name, sub),
            properties=OpenShiftClusterProperties(
                cluster_profile=ClusterProfile(domain=domain, resource_group_id="", version="4.16.1"),
                network_profile=NetworkProfile(outbound_type=outbound),
                **props,
            ),
        )

    return make


@pytest.fixture
def sub_a() -> SubscriptionDocument:
    return SubscriptionDocument(id=SUB_A, state="Registered")
