"""Replay scenarios of the internal load balancer zones migration (``MIGRATE_LB_ZONES_ID``).

The world: an installer's internal load balancer (non-zonal ``internal-lb-ip-v4``, the API and
SSH rules), the private link service on it, the master NICs Fix SSH looks after, and the resource
SKUs of the region. Go's task is the migration then Fix SSH
(``pkg/mimo/tasks/networking.go`` ``MigrateInternalLoadBalancerZones``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from mimo import const
from mimo.api import ManifestState
from pytest_mimo import defaults
from pytest_mimo.fakes.azure import vm_sku

from ..steps.builders import rg_id, zones_migration_network

SUB = defaults.SUBSCRIPTION_ID
RG = defaults.CLUSTER_RESOURCE_GROUP
NETWORK = f"{rg_id(SUB, RG)}/providers/Microsoft.Network"
VM_SIZE = "Standard_D8s_v3"


def pls_uses_an_existing_frontend(world: Any) -> object:
    """Azure never lets the private link service point at a frontend the load balancer lacks (the
    fake refuses such writes); checked after every write all the same, with the API's address kept."""
    infra = world.cluster.properties.infra_id
    pls = world.azure.get_resource(f"{NETWORK}/privateLinkServices/{infra}-pls")
    lb = world.azure.get_resource(f"{NETWORK}/loadBalancers/{infra}-internal")
    if pls is None or lb is None:
        return "the private link service or the internal load balancer is gone"
    names = {fe["name"] for fe in lb["properties"].get("frontendIPConfigurations") or []}
    used = [r["id"].rsplit("/", 1)[1] for r in pls["properties"]["loadBalancerFrontendIpConfigurations"]]
    missing = [u for u in used if u not in names]
    return f"the private link service uses missing frontends {missing}" if missing else None


@pytest.fixture
def network(mimo_world: Any) -> Any:
    def control_plane(doc: Any) -> None:
        p = doc.properties
        p.master_profile = replace(p.master_profile, vm_size=VM_SIZE)
        p.apiserver_profile = replace(p.apiserver_profile, int_ip="10.0.0.10")

    mimo_world.patch_cluster(control_plane)
    p = mimo_world.cluster.properties
    mimo_world.azure.add_resource_skus(vm_sku(VM_SIZE, "eastus"), vm_sku("Standard_D4s_v3", "eastus"))
    for r in zones_migration_network(SUB, RG, p.infra_id, p.master_profile.subnet_id, int_ip="10.0.0.10"):
        mimo_world.azure.put_resource(r["id"], r)
    return mimo_world


@pytest.mark.mimo_scenario(const.MIGRATE_LB_ZONES_ID, invariants=[pls_uses_an_existing_frontend])
def test_migrate_lb_zones(network: Any, mimo_replay: Any) -> None:
    outcome = mimo_replay(const.MIGRATE_LB_ZONES_ID)
    assert outcome.state == ManifestState.COMPLETED
    infra = network.cluster.properties.infra_id
    lb_id = f"{NETWORK}/loadBalancers/{infra}-internal"
    lb = network.azure.get_resource(lb_id)["properties"]
    [fe] = lb["frontendIPConfigurations"]
    assert (fe["name"], fe["zones"], fe["properties"]["privateIPAddress"]) == (
        "internal-lb-ip-v4", ["1", "2", "3"], "10.0.0.10")
    # the migration's two rules, then the SSH rules Fix SSH put back, on the zonal frontend
    assert [r["name"] for r in lb["loadBalancingRules"]] == ["api-internal-v4", "sint-v4", "ssh-0", "ssh-1", "ssh-2"]
    assert {r["properties"]["frontendIPConfiguration"]["id"] for r in lb["loadBalancingRules"]} == {
        f"{lb_id}/frontendIPConfigurations/internal-lb-ip-v4"}
    pls = network.azure.get_resource(f"{NETWORK}/privateLinkServices/{infra}-pls")
    assert pls["properties"]["loadBalancerFrontendIpConfigurations"] == [
        {"id": f"{lb_id}/frontendIPConfigurations/internal-lb-ip-v4"}]
    assert network.cluster.properties.zones == ["1", "2", "3"]


@pytest.mark.mimo_scenario(const.MIGRATE_LB_ZONES_ID)
def test_migrate_lb_zones_in_a_region_without_zones_only_fixes_ssh(network: Any, mimo_replay: Any) -> None:
    network.azure.skus.skus.clear()
    network.azure.add_resource_skus(vm_sku(VM_SIZE, "eastus", zones=()))
    outcome = mimo_replay(const.MIGRATE_LB_ZONES_ID)
    assert outcome.state == ManifestState.COMPLETED
    infra = network.cluster.properties.infra_id
    [fe] = network.azure.get_resource(f"{NETWORK}/loadBalancers/{infra}-internal")["properties"][
        "frontendIPConfigurations"]
    assert not fe.get("zones")
    assert network.cluster.properties.zones == []
    nic = network.azure.get_resource(f"{NETWORK}/networkInterfaces/{infra}-master0-nic")
    pools = nic["properties"]["ipConfigurations"][0]["properties"]["loadBalancerBackendAddressPools"]
    assert [x["id"].rsplit("/", 1)[1] for x in pools] == [infra, "ssh-0", infra]
