from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest

from mimo import TerminalError, TransientError
from mimo.api import NetworkProfile
from mimo.steps.azure.fixssh import fix_ssh, load_balancer_names
from pytest_mimo import defaults

from .builders import load_balancer, master_network, nic, put_all, rg_id, virtual_network

SUB = defaults.SUBSCRIPTION_ID
RG = defaults.CLUSTER_RESOURCE_GROUP
NETWORK = f"{rg_id(SUB, RG)}/providers/Microsoft.Network"


def _doc(tc: Any, **props: Any) -> Any:
    doc = tc.get_openshift_cluster_document().copy()
    for k, v in props.items():
        setattr(doc.properties, k, v)
    return tc.with_cluster_document(doc)


def _world(tc: Any, fake_azure: Any) -> Any:
    p = tc.get_openshift_cluster_properties()
    put_all(
        fake_azure,
        master_network(SUB, RG, p.infra_id, p.master_profile.subnet_id, arch=p.architecture_version),
    )
    return tc.with_azure(fake_azure)


def _pools(fake_azure: Any, nic: str) -> list[str]:
    body = fake_azure.get_resource(f"{NETWORK}/networkInterfaces/{nic}")
    assert body is not None, f"{nic} is gone"
    ipc = body["properties"]["ipConfigurations"][0]["properties"]
    return [p["id"].rsplit("/", 1)[1] for p in ipc.get("loadBalancerBackendAddressPools") or []]


def _writes(fake_azure: Any) -> list[str]:
    return [
        f"{r.method} {r.path.split('?')[0].rsplit('/', 1)[1]}"
        for r in fake_azure.requests
        if r.method in ("PUT", "DELETE")
    ]


@pytest.fixture
def infra(fake_task_context: Any) -> str:
    return str(fake_task_context.get_openshift_cluster_properties().infra_id)


def test_fixes_every_master_nic_on_architecture_2(
    fake_task_context: Any, fake_azure: Any, infra: str
) -> None:
    tc = _world(fake_task_context, fake_azure)
    fix_ssh(tc)
    assert _pools(fake_azure, f"{infra}-master0-nic") == [infra, "ssh-0", infra]
    assert _pools(fake_azure, f"{infra}-master1-nic") == [infra, "ssh-1", infra]
    assert _pools(fake_azure, f"{infra}-master-2-nic") == [infra, "ssh-2", infra]
    assert fake_azure.get_resource(f"{NETWORK}/networkInterfaces/{infra}-master-1-nic") is None
    assert _pools(fake_azure, f"{infra}-master2-nic") == []  # not in the master subnet
    # no VM: deleted wherever it is, as Go's deleteOrphanedNIC (pkg/cluster/fixssh.go)
    assert fake_azure.get_resource(f"{NETWORK}/networkInterfaces/{infra}-master-0-nic") is None
    assert _pools(fake_azure, f"{infra}-worker-eastus1-abcde-nic") == []
    ilb = fake_azure.get_resource(f"{NETWORK}/loadBalancers/{infra}-internal")["properties"]
    assert [p["name"] for p in ilb["backendAddressPools"]] == [infra, "ssh-0", "ssh-1", "ssh-2"]
    assert [(r["name"], r["properties"]["frontendPort"]) for r in ilb["loadBalancingRules"]] == [
        ("ssh-0", 2200),
        ("ssh-1", 2201),
        ("ssh-2", 2202),
    ]
    assert [p["name"] for p in ilb["probes"]] == ["ssh"]
    # master1 was right already: not written
    assert sorted(_writes(fake_azure)) == sorted(
        [
            f"PUT {infra}-internal",
            f"PUT {infra}-master0-nic",
            f"PUT {infra}-master-2-nic",
            # orphans: IP configurations replaced first, then deleted (Go's deleteOrphanedNIC)
            f"PUT {infra}-master-1-nic",
            f"DELETE {infra}-master-1-nic",
            f"PUT {infra}-master-0-nic",
            f"DELETE {infra}-master-0-nic",
        ]
    )


def test_second_run_writes_nothing(fake_task_context: Any, fake_azure: Any) -> None:
    tc = _world(fake_task_context, fake_azure)
    fix_ssh(tc)
    fake_azure.requests.clear()
    fix_ssh(tc)
    assert _writes(fake_azure) == []


def test_architecture_1_names(fake_task_context: Any, fake_azure: Any, infra: str) -> None:
    tc = _world(_doc(fake_task_context, architecture_version=0), fake_azure)
    fix_ssh(tc)
    assert _pools(fake_azure, f"{infra}-master0-nic") == [
        f"{infra}-internal-controlplane-v4",
        "ssh-0",
        f"{infra}-public-lb-control-plane-v4",
    ]
    # Go GetInternalLoadBalancer (pkg/cluster/loadbalancerinternal.go): api.ArchitectureVersionV1 is 0
    assert load_balancer_names(0, "x") == {
        "internal_lb": "x-internal-lb",
        "api_pool": "x-internal-controlplane-v4",
        "public_lb": "x-public-lb",
        "public_pool": "x-public-lb-control-plane-v4",
    }


def test_user_defined_routing_leaves_the_public_pool_alone(
    fake_task_context: Any, fake_azure: Any, infra: str
) -> None:
    tc = _doc(fake_task_context, network_profile=NetworkProfile(outbound_type="UserDefinedRouting"))
    tc = _world(tc, fake_azure)
    fix_ssh(tc)
    assert _pools(fake_azure, f"{infra}-master0-nic") == [infra, "ssh-0"]
    assert _pools(fake_azure, f"{infra}-master-2-nic") == [infra, "ssh-2"]
    assert not any(
        r.path.split("?")[0].endswith(f"loadBalancers/{infra}") for r in fake_azure.requests
    )


def test_unknown_architecture_is_terminal(fake_task_context: Any, fake_azure: Any) -> None:
    tc = _doc(fake_task_context, architecture_version=2).with_azure(fake_azure)
    with pytest.raises(TerminalError) as e:
        fix_ssh(tc)
    assert str(e.value) == "TerminalError: unknown architecture version 2"


def test_infra_id_defaults_to_aro(fake_task_context: Any, fake_azure: Any) -> None:
    tc = _world(_doc(fake_task_context, infra_id="aro"), fake_azure)
    fix_ssh(tc)
    assert _pools(fake_azure, "aro-master0-nic") == ["aro", "ssh-0", "aro"]


def test_missing_load_balancer_is_transient(
    fake_task_context: Any, fake_azure: Any, infra: str
) -> None:
    tc = _world(fake_task_context, fake_azure)
    fake_azure.delete_resource(f"{NETWORK}/loadBalancers/{infra}-internal")
    with pytest.raises(TransientError, match=f"{infra}-internal"):
        fix_ssh(tc)


@pytest.mark.parametrize(
    "kind", ["server_error", "unavailable", "throttle", "lro_failed", "lost_response"]
)
def test_azure_errors_are_transient(
    fake_task_context: Any, fake_azure: Any, mimo_faults: Any, kind: str
) -> None:
    tc = _world(fake_task_context, fake_azure)
    mimo_faults.inject("azure", kind, match="networkInterfaces")
    with pytest.raises(TransientError):
        fix_ssh(tc)


def test_token_errors_are_transient(
    fake_task_context: Any, fake_azure: Any, mimo_faults: Any
) -> None:
    tc = _world(fake_task_context, fake_azure)
    mimo_faults.inject("azure", "token_error")
    with pytest.raises(TransientError):
        fix_ssh(tc)


def test_half_done_run_finishes_on_retry(
    fake_task_context: Any, fake_azure: Any, mimo_faults: Any, infra: str
) -> None:
    tc = _world(fake_task_context, fake_azure)
    mimo_faults.inject("azure", "server_error", match=f"PUT .*{infra}-master-2-nic")
    with pytest.raises(TransientError):
        fix_ssh(tc)
    # the load balancer and the NICs listed before master-2 were done
    assert fake_azure.get_resource(f"{NETWORK}/networkInterfaces/{infra}-master-1-nic") is None
    ilb = fake_azure.get_resource(f"{NETWORK}/loadBalancers/{infra}-internal")["properties"]
    assert len(ilb["backendAddressPools"]) == 4
    mimo_faults.rules.clear()
    fix_ssh(tc)
    assert _pools(fake_azure, f"{infra}-master-2-nic") == [infra, "ssh-2", infra]


def test_missing_resource_group_or_subnet_is_terminal(fake_task_context: Any) -> None:
    p = fake_task_context.get_openshift_cluster_properties()
    tc = _doc(fake_task_context, cluster_profile=replace(p.cluster_profile, resource_group_id=""))
    with pytest.raises(TerminalError, match="no cluster resource group"):
        fix_ssh(tc)
    tc = _doc(
        fake_task_context,
        cluster_profile=p.cluster_profile,
        master_profile=replace(p.master_profile, subnet_id=""),
    )
    with pytest.raises(TerminalError, match="no master subnet"):
        fix_ssh(tc)


def test_without_azure_wired_the_error_names_the_missing_call(fake_task_context: Any) -> None:
    with pytest.raises(TerminalError, match=r"with_azure"):
        fix_ssh(fake_task_context)


# -- Go's TestFixSSH (pkg/mimo/steps/cluster/fixssh_test.go) and FixSSH (pkg/cluster/fixssh.go) -------------


def _go_nic(name: str, subnet: str) -> list[dict[str, Any]]:
    """Go's genInt: one IP configuration, a VM attached, no pools (the NIC and the VM that lists it).
    Go's mock subnet has a name and no ID; Azure (and the fake) refuse such a NIC PUT
    (MissingJsonReferenceId), so here the subnet is the master subnet: the lines are the same."""
    body, vm = nic(SUB, RG, name, subnet, [])
    del body["properties"]["ipConfigurations"][0]["properties"]["loadBalancerBackendAddressPools"]
    return [body, vm]


def test_go_normal_v2_case_with_its_log_lines(fake_task_context: Any, fake_azure: Any,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """TestFixSSH 'normal, v2': an internal LB with only its frontend, three master NICs whose subnet has no
    ID (not skipped: Go skips only when Subnet.ID is present and differs), a UDR cluster; Go's exact lines."""
    tc = _doc(fake_task_context, infra_id="infraID", architecture_version=1,
              network_profile=NetworkProfile(outbound_type="UserDefinedRouting"))
    # Go's mock LB has no pools at all; a real (and the fake) Azure refuses a NIC naming a pool that does not
    # exist, so the world has the API pool the installer creates: the log lines are the same
    ilb = load_balancer(SUB, RG, "infraID-internal", ["infraID"])
    subnet = tc.get_openshift_cluster_properties().master_profile.subnet_id
    put_all(fake_azure, [ilb, *[r for i in range(3) for r in _go_nic(f"infraID-master{i}-nic", subnet)],
                          virtual_network([subnet])])
    with caplog.at_level(logging.INFO):
        fix_ssh(tc.with_azure(fake_azure))
    lb = ilb["id"]
    want = [
        *[f"Adding SSH Backend Address Pool ssh-{i} to Internal Load Balancer infraID-internal" for i in range(3)],
        *[f"Adding SSH Load Balancing Rule for ssh-{i} to Internal Load Balancer infraID-internal" for i in range(3)],
        "Adding ssh Health Probe to Internal Load Balancer infraID-internal",
        "Updating Load Balancer infraID-internal",
    ]
    for i in range(3):
        want += [
            f"Checking NIC infraID-master{i}-nic",
            f"Adding NIC infraID-master{i}-nic to Internal Load Balancer API Address Pool {lb}/backendAddressPools/infraID",
            f"Adding NIC infraID-master{i}-nic to Internal Load Balancer SSH Address Pool {lb}/backendAddressPools/ssh-{i}",
            "not updating external LB address pool assignment as this is a UDR cluster",
            f"Updating Network Interface infraID-master{i}-nic",
        ]
    assert [r.getMessage() for r in caplog.records if r.name.startswith("mimo")] == want
    for i in range(3):
        assert _pools(fake_azure, f"infraID-master{i}-nic") == ["infraID", f"ssh-{i}"]


def test_go_per_nic_lines_for_skipped_and_removed(fake_task_context: Any, fake_azure: Any, infra: str,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """checkAndUpdateNICsInResourceGroup / updateILBBackendPools / deleteOrphanedNIC: the skip, removal and
    deletion lines, NIC by NIC."""
    tc = _world(fake_task_context, fake_azure)
    with caplog.at_level(logging.INFO):
        fix_ssh(tc)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("mimo")]
    ssh0 = f"{NETWORK}/loadBalancers/{infra}-internal/backendAddressPools/ssh-0"
    for line in [
        f"Skipping NIC {infra}-worker-eastus1-abcde-nic, not associated with a control plane machine.",
        f"Skipping NIC {infra}-master2-nic, NIC not in master subnet.",
        f"Removing NIC {infra}-master-2-nic from Internal Load Balancer API Address Pool {ssh0}",
        f"Deleting orphaned control plane machine NIC {infra}-master-1-nic, not associated with any VM.",
        f"Adding NIC {infra}-master0-nic to Public Load Balancer API Address Pool "
        f"{NETWORK}/loadBalancers/{infra}/backendAddressPools/{infra}",
    ]:
        assert line in lines
    assert lines.count(f"Checking NIC {infra}-worker-eastus1-abcde-nic") == 1


def test_an_empty_nic_list_is_transient(fake_task_context: Any, fake_azure: Any) -> None:
    """checkAndUpdateNICsInResourceGroup: 'interfaces list call for resource group %s returned an empty result',
    wrapped TransientError by FixSSHStep (pkg/mimo/steps/cluster/networking.go)."""
    p = fake_task_context.get_openshift_cluster_properties()
    put_all(fake_azure, master_network(SUB, RG, p.infra_id, p.master_profile.subnet_id)[:2])  # the two LBs only
    with pytest.raises(TransientError) as e:
        fix_ssh(fake_task_context.with_azure(fake_azure))
    assert str(e.value) == f"TransientError: interfaces list call for resource group {RG} returned an empty result"
