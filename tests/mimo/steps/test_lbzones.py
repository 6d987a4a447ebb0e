"""The internal load balancer zones migration step, on the fake Azure.

Go cases: ``pkg/mimo/steps/cluster/migrate_internal_lb_test.go``
``TestUpdateLoadBalancerZonalMigration`` ("performed, zonal, v2" and "performed, zonal, v1":
the write sequence, its bodies and log lines); the rest follow
``pkg/cluster/loadbalancerinternal.go`` ``MigrateInternalLoadBalancerZones`` branch by branch.
Azure's rules (a frontend's zones fixed at creation, a frontend a private link service uses
cannot go) are the fake's, see ``tests/pytest_mimo/fakes/azure/test_network_read.py``.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest

from mimo import TransientError
from mimo.steps.azure.lbzones import migrate_internal_load_balancer_zones
from pytest_mimo import defaults
from pytest_mimo.fakes.azure import vm_sku

from .builders import put_all, rg_id, zones_migration_network

SUB = defaults.SUBSCRIPTION_ID
RG = defaults.CLUSTER_RESOURCE_GROUP
NETWORK = f"{rg_id(SUB, RG)}/providers/Microsoft.Network"
VM_SIZE = "Standard_D16as_v4"  # Go api.VMSizeStandardD16asV4
# Go's test uses 127.1.2.3 (its mocks never check it); the fake, as Azure, refuses a static frontend
# address outside the master subnet (10.0.0.0/24 here) with PrivateIPAddressNotInSubnet
INT_IP = "10.0.0.10"

GO_LOG = [
    "load balancer zonal migration: starting critical section",
    "associating temporary frontend IP ({temp}) to PLS",
    "removing old frontend IP",
    "updating internal load balancer with zone-redundant frontend IP",
    "reassociating frontend IP with PLS",
    "cleaning up temporary frontend IP",
    "critical section complete, api-int migrated",
]


def _tc(tc: Any, fake_azure: Any, *, arch: int = 1, zones: tuple[str, ...] = ("1", "2", "3"),
        sku_location: str = "eastus", vm_size: str = VM_SIZE, zonal_already: bool = False) -> Any:
    doc = tc.get_openshift_cluster_document().copy()
    p = doc.properties
    p.architecture_version = arch
    p.master_profile = replace(p.master_profile, vm_size=vm_size)
    p.apiserver_profile = replace(p.apiserver_profile, int_ip=INT_IP)
    tc.with_cluster_document(doc)
    put_all(fake_azure, zones_migration_network(SUB, RG, p.infra_id, p.master_profile.subnet_id, arch=arch,
                                                int_ip=INT_IP, zones=list(zones) if zonal_already else None))
    fake_azure.add_resource_skus(vm_sku(VM_SIZE, sku_location, zones), vm_sku("Standard_D8s_v3", "eastus"))
    return tc.with_azure(fake_azure)


def _ilb_name(tc: Any) -> str:
    p = tc.get_openshift_cluster_properties()
    return f"{p.infra_id}-internal-lb" if p.architecture_version == 0 else f"{p.infra_id}-internal"


def _writes(fake_azure: Any) -> list[tuple[str, dict[str, Any]]]:
    """(resource name, body sent) for every PUT, in order."""
    out = []
    for r in fake_azure.requests:
        if r.method == "PUT":
            out.append((r.path.split("?")[0].rsplit("/", 1)[1], r))
    return out


def _messages(caplog: Any) -> list[str]:
    return [r.getMessage().split("] ", 1)[-1] for r in caplog.records if r.name == "mimo.task"]


@pytest.mark.parametrize(("arch", "pool"), [(1, "{infra}"), (0, "{infra}-internal-controlplane-v4")],
                         ids=["performed, zonal, v2", "performed, zonal, v1"])
def test_go_performed_zonal(fake_task_context: Any, fake_azure: Any, caplog: Any, arch: int, pool: str) -> None:
    tc = _tc(fake_task_context, fake_azure, arch=arch)
    infra = tc.get_openshift_cluster_properties().infra_id
    ilb, pls = _ilb_name(tc), f"{infra}-pls"
    lb_id = f"{NETWORK}/loadBalancers/{ilb}"
    temp = f"{int(tc.now().timestamp())}-ip"
    caplog.set_level(logging.INFO, "mimo.task")
    fake_azure.requests.clear()

    migrate_internal_load_balancer_zones(tc)

    # Go: the bogus FIP creation, PLS on it, rule deletion, new rules, PLS back, clean-up
    assert [name for name, _ in _writes(fake_azure)] == [ilb, pls, ilb, ilb, pls, ilb]
    assert [m for m in _messages(caplog) if m in {x.format(temp=temp) for x in GO_LOG}] == [
        x.format(temp=temp) for x in GO_LOG]
    done = fake_azure.get_resource(lb_id)["properties"]
    [fe] = done["frontendIPConfigurations"]
    assert (fe["name"], fe["zones"]) == ("internal-lb-ip-v4", ["1", "2", "3"])
    assert fe["properties"]["privateIPAllocationMethod"] == "Static"
    assert fe["properties"]["privateIPAddress"] == INT_IP
    assert fe["properties"]["subnet"]["id"] == tc.get_openshift_cluster_properties().master_profile.subnet_id
    api, sint = done["loadBalancingRules"]  # Go's goodRules (the SSH rules are Fix SSH's to put back)
    backend = f"{lb_id}/backendAddressPools/{pool.format(infra=infra)}"
    assert api["name"] == "api-internal-v4" and sint["name"] == "sint-v4"
    assert {k: v for k, v in api["properties"].items() if k != "provisioningState"} == {
        "frontendIPConfiguration": {"id": f"{lb_id}/frontendIPConfigurations/internal-lb-ip-v4"},
        "backendAddressPool": {"id": backend},
        "probe": {"id": f"{lb_id}/probes/api-internal-probe"},
        "protocol": "Tcp", "loadDistribution": "Default", "frontendPort": 6443, "backendPort": 6443,
        "idleTimeoutInMinutes": 30, "disableOutboundSnat": True,
    }
    assert sint["properties"]["probe"] == {"id": f"{lb_id}/probes/sint-probe"}
    assert (sint["properties"]["frontendPort"], sint["properties"]["backendPort"]) == (22623, 22623)
    assert "disableOutboundSnat" not in sint["properties"]
    pls_body = fake_azure.get_resource(f"{NETWORK}/privateLinkServices/{pls}")
    assert pls_body["properties"]["loadBalancerFrontendIpConfigurations"] == [
        {"id": f"{lb_id}/frontendIPConfigurations/internal-lb-ip-v4"}]
    assert tc.store.get_cluster(tc.get_openshift_cluster_document().resource_id).properties.zones == ["1", "2", "3"]



def test_the_steps_bodies_follow_go(fake_task_context: Any, fake_azure: Any, mimo_faults: Any) -> None:
    """Go's expected CreateOrUpdateAndWait bodies, seen by stopping the step after each write."""
    tc = _tc(fake_task_context, fake_azure)
    infra = tc.get_openshift_cluster_properties().infra_id
    lb_id = f"{NETWORK}/loadBalancers/{infra}-internal"
    temp = f"{int(tc.now().timestamp())}-ip"

    def frontends() -> list[tuple[str, list[str]]]:
        fes = fake_azure.get_resource(lb_id)["properties"]["frontendIPConfigurations"]
        return [(fe["name"], fe.get("zones") or []) for fe in fes]

    def rules() -> list[str]:
        return [r["name"] for r in fake_azure.get_resource(lb_id)["properties"].get("loadBalancingRules") or []]

    def pls_on() -> str:
        body = fake_azure.get_resource(f"{NETWORK}/privateLinkServices/{infra}-pls")
        return str(body["properties"]["loadBalancerFrontendIpConfigurations"][0]["id"]).rsplit("/", 1)[1]

    # stop at the second private link service write: steps one to three are done
    seen: list[str] = []

    def second_pls_write(req: Any) -> bool:
        if req.method == "PUT" and f"privateLinkServices/{infra}-pls" in req.path:
            seen.append(req.path)
            return len(seen) == 2
        return False

    mimo_faults.inject("azure", "lro_failed", match=second_pls_write)
    with pytest.raises(TransientError, match=r"^TransientError: failure disassociating LB frontend IP from PLS: "):
        migrate_internal_load_balancer_zones(tc)
    assert frontends() == [(temp, ["1", "2", "3"]), ("internal-lb-ip-v4", ["1", "2", "3"])]
    assert rules() == ["api-internal-v4", "sint-v4"]
    assert pls_on() == temp
    assert tc.store.get_cluster(tc.get_openshift_cluster_document().resource_id).properties.zones == []

    # Go would stop here for good ("already zone-redundant"); the temporary frontend makes this run finish
    mimo_faults.rules.clear()
    migrate_internal_load_balancer_zones(tc)
    assert frontends() == [("internal-lb-ip-v4", ["1", "2", "3"])]
    assert pls_on() == "internal-lb-ip-v4"
    assert tc.store.get_cluster(tc.get_openshift_cluster_document().resource_id).properties.zones == ["1", "2", "3"]


def test_second_run_writes_nothing(fake_task_context: Any, fake_azure: Any, caplog: Any) -> None:
    tc = _tc(fake_task_context, fake_azure)
    migrate_internal_load_balancer_zones(tc)
    fake_azure.requests.clear()
    caplog.set_level(logging.INFO, "mimo.task")
    migrate_internal_load_balancer_zones(tc)
    assert _writes(fake_azure) == []
    assert _messages(caplog) == ["internal load balancer frontend IP already zone-redundant, no need to continue"]


def test_an_already_zonal_frontend_is_left_alone(fake_task_context: Any, fake_azure: Any, caplog: Any) -> None:
    # Go: `*config.Name == internalLBFrontendIPName && len(config.Zones) > 0` -> return before any SKU lookup
    tc = _tc(fake_task_context, fake_azure, zonal_already=True)
    doc = tc.get_openshift_cluster_document().copy()
    doc.properties.zones = ["1", "2", "3"]
    tc.with_cluster_document(doc)
    caplog.set_level(logging.INFO, "mimo.task")
    fake_azure.requests.clear()
    migrate_internal_load_balancer_zones(tc)
    assert _writes(fake_azure) == []
    assert not any("/skus" in r.path or "privateLinkServices" in r.path for r in fake_azure.requests)
    assert _messages(caplog) == ["internal load balancer frontend IP already zone-redundant, no need to continue"]


def test_non_zonal_sku_changes_nothing(fake_task_context: Any, fake_azure: Any, caplog: Any) -> None:
    tc = _tc(fake_task_context, fake_azure, zones=())
    caplog.set_level(logging.INFO, "mimo.task")
    fake_azure.requests.clear()
    migrate_internal_load_balancer_zones(tc)
    assert _writes(fake_azure) == []
    assert _messages(caplog) == ["non-zonal control plane SKU, not adding zone-redundant frontend IP"]


def test_only_basic_zones_unless_expanded_zones_are_allowed(fake_task_context: Any, fake_azure: Any) -> None:
    # Go azurezones.FilterZones: zones beyond 1-3 only with FeatureEnableClusterExpandedAvailabilityZones
    tc = _tc(fake_task_context, fake_azure, zones=("1", "2", "3", "4"))
    migrate_internal_load_balancer_zones(tc)
    assert tc.store.get_cluster(tc.get_openshift_cluster_document().resource_id).properties.zones == ["1", "2", "3"]


def test_expanded_zones(fake_task_context: Any, fake_azure: Any) -> None:
    tc = _tc(fake_task_context, fake_azure, zones=("1", "2", "3", "4")).with_features(
        "EnableClusterExpandedAvailabilityZones")
    migrate_internal_load_balancer_zones(tc)
    infra = tc.get_openshift_cluster_properties().infra_id
    [fe] = fake_azure.get_resource(f"{NETWORK}/loadBalancers/{infra}-internal")["properties"]["frontendIPConfigurations"]
    assert fe["zones"] == ["1", "2", "3", "4"]


def test_sku_not_in_region_is_transient(fake_task_context: Any, fake_azure: Any) -> None:
    # Go checkSKUAvailability (pkg/cluster/validate.go) joined with errVMAvailability; one line here
    tc = _tc(fake_task_context, fake_azure, sku_location="westus")
    with pytest.raises(TransientError) as e:
        migrate_internal_load_balancer_zones(tc)
    assert str(e.value) == (
        "TransientError: error determining the VM SKU availability: 400: InvalidParameter: "
        f"properties.masterProfile.VMSize: The selected SKU '{VM_SIZE}' is unavailable in region 'eastus'"
    )


def test_unknown_architecture_is_transient(fake_task_context: Any, fake_azure: Any) -> None:
    # Go GetInternalLoadBalancer returns a plain error; MigrateInternalLoadBalancerZonesStep makes it transient
    tc = _tc(fake_task_context, fake_azure, arch=2)
    with pytest.raises(TransientError) as e:
        migrate_internal_load_balancer_zones(tc)
    assert str(e.value) == "TransientError: unknown architecture version 2"


def test_missing_load_balancer_or_pls_is_transient(fake_task_context: Any, fake_azure: Any) -> None:
    tc = _tc(fake_task_context, fake_azure)
    infra = tc.get_openshift_cluster_properties().infra_id
    fake_azure.delete_resource(f"{NETWORK}/privateLinkServices/{infra}-pls")
    with pytest.raises(TransientError, match=r"^TransientError: failure fetching PLS: .*not found"):
        migrate_internal_load_balancer_zones(tc)
    assert _writes(fake_azure) == []
    fake_azure.delete_resource(f"{NETWORK}/loadBalancers/{infra}-internal")
    with pytest.raises(TransientError, match=r"^TransientError: error fetching internal load balancer: .*not found"):
        migrate_internal_load_balancer_zones(tc)


def test_a_failed_load_balancer_write_is_logged_as_critical(
    fake_task_context: Any, fake_azure: Any, mimo_faults: Any, caplog: Any
) -> None:
    tc = _tc(fake_task_context, fake_azure)
    caplog.set_level(logging.INFO, "mimo.task")
    mimo_faults.inject("azure", "lro_failed", match="PUT .*loadBalancers/")
    with pytest.raises(TransientError, match=r"^TransientError: failure updating internal load balancer: "):
        migrate_internal_load_balancer_zones(tc)
    assert any(m.startswith("FAILURE IN CRITICAL SECTION: '") for m in _messages(caplog))


def test_without_azure_wired_the_error_names_the_missing_call(fake_task_context: Any) -> None:
    from mimo import TerminalError

    with pytest.raises(TerminalError, match=r"with_azure"):
        migrate_internal_load_balancer_zones(fake_task_context)
