"""Azure resources of a realistic ARO cluster: the control plane's load balancers and NICs.

World builders for step tests and replay scenarios: documents as ARM returns them, to store
in the fake with :func:`put_all` (``put_all(mimo_world.azure, master_network(...))``).
Promoted from the project's own tests (issue #15): see docs/writing-tasks.md, section 4.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "api_internal_lb",
    "cluster_msi_id",
    "load_balancer",
    "master_network",
    "nic",
    "private_link_service",
    "put_all",
    "rg_id",
    "virtual_network",
    "with_ssh",
    "workload_identity_cluster",
    "zones_migration_network",
]


# -- Azure networking (architecture version 2) -------------------------------------------------


def rg_id(subscription: str, rg: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{rg}"


def load_balancer(
    subscription: str, rg: str, name: str, pools: list[str], *, frontend: str = "internal-lb-ip-v4"
) -> dict[str, Any]:
    lb_id = f"{rg_id(subscription, rg)}/providers/Microsoft.Network/loadBalancers/{name}"
    return {
        "id": lb_id,
        "name": name,
        "type": "Microsoft.Network/loadBalancers",
        "location": "eastus",
        "sku": {"name": "Standard"},
        "properties": {
            "frontendIPConfigurations": [
                {
                    "id": f"{lb_id}/frontendIPConfigurations/{frontend}",
                    "name": frontend,
                    "properties": {},
                }
            ],
            "backendAddressPools": [
                {"id": f"{lb_id}/backendAddressPools/{p}", "name": p, "properties": {}}
                for p in pools
            ],
            "loadBalancingRules": [],
            "probes": [],
        },
    }


def nic(
    subscription: str,
    rg: str,
    name: str,
    subnet_id: str,
    pools: list[str] | None = None,
    *,
    vm: str | None = "attached",
) -> Any:
    """A NIC in ``subnet_id`` joined to ``pools``; with ``vm``, a list of the NIC and the VM that lists it."""
    nic_id = f"{rg_id(subscription, rg)}/providers/Microsoft.Network/networkInterfaces/{name}"
    props: dict[str, Any] = {
        "ipConfigurations": [
            {
                "id": f"{nic_id}/ipConfigurations/pipConfig",
                "name": "pipConfig",
                "properties": {
                    "privateIPAllocationMethod": "Dynamic",
                    "subnet": {"id": subnet_id},
                    "loadBalancerBackendAddressPools": [{"id": p} for p in pools or []],
                },
            }
        ]
    }
    nic_body = {
        "id": nic_id,
        "name": name,
        "type": "Microsoft.Network/networkInterfaces",
        "location": "eastus",
        "properties": props,
    }
    if not vm:
        return nic_body
    # a NIC's virtualMachine is read-only: the network RP fills it from the VM whose
    # networkProfile lists the NIC, so an attached NIC comes with that VM
    vm_name = name.removesuffix("-nic")
    return [nic_body, {
        "id": f"{rg_id(subscription, rg)}/providers/Microsoft.Compute/virtualMachines/{vm_name}",
        "location": "eastus",
        "properties": {"networkProfile": {"networkInterfaces": [{"id": nic_id}]}},
    }]


def virtual_network(subnet_ids: list[str], prefix: str = "10.0") -> dict[str, Any]:
    """The virtual network holding ``subnet_ids`` (all in one network), a /24 each from ``prefix``.0.0/16."""
    vnet_id = subnet_ids[0].rsplit("/subnets/", 1)[0]
    return {
        "id": vnet_id,
        "location": "eastus",
        "properties": {
            "addressSpace": {"addressPrefixes": [f"{prefix}.0.0/16"]},
            "subnets": [{"name": sid.rsplit("/", 1)[1], "properties": {"addressPrefix": f"{prefix}.{i}.0/24"}}
                        for i, sid in enumerate(subnet_ids)],
        },
    }




def master_network(
    subscription: str,
    rg: str,
    infra: str,
    master_subnet: str,
    *,
    arch: int = 1,
) -> list[dict[str, Any]]:
    """The load balancers and NICs of a control plane whose pools are mixed up, as Fix SSH finds them."""
    if arch == 0:  # Go's api.ArchitectureVersionV1
        ilb_name, api_pool, elb_name, elb_pool = (
            f"{infra}-internal-lb",
            f"{infra}-internal-controlplane-v4",
            f"{infra}-public-lb",
            f"{infra}-public-lb-control-plane-v4",
        )
    else:
        ilb_name, api_pool, elb_name, elb_pool = f"{infra}-internal", infra, infra, infra
    ilb = load_balancer(subscription, rg, ilb_name, [api_pool])
    elb = load_balancer(subscription, rg, elb_name, [elb_pool], frontend="public-lb-ip-v4")
    ilb_pool = f"{ilb['id']}/backendAddressPools"
    api = f"{ilb_pool}/{api_pool}"
    public = f"{elb['id']}/backendAddressPools/{elb_pool}"
    worker_subnet = master_subnet.rsplit("/", 1)[0] + "/worker"
    nics = [
        # installer names; one with nothing, one right already, one in a foreign SSH pool
        nic(subscription, rg, f"{infra}-master0-nic", master_subnet, []),
        nic(
            subscription,
            rg,
            f"{infra}-master1-nic",
            master_subnet,
            [api, f"{ilb_pool}/ssh-1", public],
        ),
        nic(subscription, rg, f"{infra}-master-2-nic", master_subnet, [api, f"{ilb_pool}/ssh-0"]),
        # a replaced master's leftover: no VM, in the master subnet -> deleted
        nic(subscription, rg, f"{infra}-master-1-nic", master_subnet, [api], vm=None),
        # a master-like name outside the master subnet, and a worker -> left alone
        nic(subscription, rg, f"{infra}-master2-nic", worker_subnet, []),
        nic(subscription, rg, f"{infra}-worker-eastus1-abcde-nic", worker_subnet, []),
        # a master-like name with no VM outside the master subnet: Go's deleteOrphanedNIC deletes it too
        nic(subscription, rg, f"{infra}-master-0-nic", worker_subnet, [], vm=None),
    ]
    flat = [r for x in nics for r in (x if isinstance(x, list) else [x])]
    return [ilb, elb, *flat, virtual_network([master_subnet, worker_subnet])]


def with_ssh(ilb: dict[str, Any], pools: int = 3) -> dict[str, Any]:
    """The internal load balancer ``ilb`` with the SSH pools ``ssh-0`` … (the first ``pools``), the
    ``ssh`` probe and each pool's rule (frontend port 2200 + n to port 22 on the first frontend), as
    ARO-RP's ``networkInternalLoadBalancer`` template (pkg/cluster) creates them; changed in place."""
    lb_id, props = ilb["id"], ilb["properties"]
    props["backendAddressPools"] += [
        {"id": f"{lb_id}/backendAddressPools/ssh-{n}", "name": f"ssh-{n}", "properties": {}} for n in range(pools)
    ]
    props["probes"].append(
        {"name": "ssh", "properties": {"protocol": "Tcp", "port": 22, "intervalInSeconds": 5, "numberOfProbes": 2}})
    fe_id = props["frontendIPConfigurations"][0]["id"]
    props["loadBalancingRules"] += [
        {"name": f"ssh-{n}", "properties": {
            "frontendIPConfiguration": {"id": fe_id},
            "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/ssh-{n}"},
            "probe": {"id": f"{lb_id}/probes/ssh"}, "protocol": "Tcp", "loadDistribution": "Default",
            "frontendPort": 2200 + n, "backendPort": 22, "idleTimeoutInMinutes": 30, "disableOutboundSnat": True}}
        for n in range(pools)
    ]
    return ilb


def put_all(fake_azure: Any, resources: list[dict[str, Any]]) -> None:
    for r in resources:
        fake_azure.put_resource(r["id"], r)


# -- the internal load balancer zones migration ------------------------------------------------


def api_internal_lb(
    subscription: str, rg: str, infra: str, master_subnet: str, *, arch: int = 1,
    int_ip: str = "10.0.0.10", zones: list[str] | None = None,
) -> dict[str, Any]:
    """The internal load balancer as an installer leaves it (Go ``pkg/cluster`` templates): the
    ``internal-lb-ip-v4`` frontend at the API's internal address, the API pool, the
    ``api-internal-probe`` / ``sint-probe`` probes and their two rules; ``zones`` for a zonal frontend."""
    name, pool = (f"{infra}-internal-lb", f"{infra}-internal-controlplane-v4") if arch == 0 else (f"{infra}-internal", infra)
    lb = load_balancer(subscription, rg, name, [pool])
    lb_id = lb["id"]
    fe = lb["properties"]["frontendIPConfigurations"][0]
    fe["properties"] = {"privateIPAllocationMethod": "Static", "privateIPAddress": int_ip,
                        "subnet": {"id": master_subnet}}
    if zones:
        fe["zones"] = list(zones)
    lb["properties"]["probes"] = [
        {"name": "api-internal-probe", "properties": {"protocol": "Https", "port": 6443, "requestPath": "/readyz",
                                                      "intervalInSeconds": 5, "numberOfProbes": 2}},
        {"name": "sint-probe", "properties": {"protocol": "Https", "port": 22623, "requestPath": "/healthz",
                                              "intervalInSeconds": 5, "numberOfProbes": 2}},
    ]
    lb["properties"]["loadBalancingRules"] = [
        {"name": rule, "properties": {
            "frontendIPConfiguration": {"id": fe["id"]},
            "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/{pool}"},
            "probe": {"id": f"{lb_id}/probes/{probe}"},
            "protocol": "Tcp", "loadDistribution": "Default", "frontendPort": port, "backendPort": port,
            "idleTimeoutInMinutes": 30}}
        for rule, probe, port in (("api-internal-v4", "api-internal-probe", 6443), ("sint-v4", "sint-probe", 22623))
    ]
    return lb


def private_link_service(subscription: str, rg: str, infra: str, frontend_id: str, subnet: str) -> dict[str, Any]:
    """The cluster's private link service ``<infra>-pls`` on one load balancer frontend."""
    pls_id = f"{rg_id(subscription, rg)}/providers/Microsoft.Network/privateLinkServices/{infra}-pls"
    return {
        "id": pls_id,
        "name": f"{infra}-pls",
        "type": "Microsoft.Network/privateLinkServices",
        "location": "eastus",
        "properties": {
            "loadBalancerFrontendIpConfigurations": [{"id": frontend_id}],
            "ipConfigurations": [{"name": f"{infra}-pls-nic", "properties": {
                "privateIPAllocationMethod": "Dynamic", "subnet": {"id": subnet}, "primary": True,
                "privateIPAddressVersion": "IPv4"}}],
            "enableProxyProtocol": False,
        },
    }


def zones_migration_network(
    subscription: str, rg: str, infra: str, master_subnet: str, *, arch: int = 1,
    int_ip: str = "10.0.0.10", zones: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Fix SSH's control plane (:func:`master_network`) with an installer's internal load balancer
    (its SSH rules in place, on the non-zonal frontend) and the private link service on that frontend."""
    resources = master_network(subscription, rg, infra, master_subnet, arch=arch)
    ilb = with_ssh(api_internal_lb(subscription, rg, infra, master_subnet, arch=arch, int_ip=int_ip, zones=zones))
    fe_id = ilb["properties"]["frontendIPConfigurations"][0]["id"]
    resources = [ilb if r["id"] == ilb["id"] else r for r in resources]
    return [*resources, private_link_service(subscription, rg, infra, fe_id, master_subnet)]


# -- workload identity ---------------------------------------------------------------------------


def cluster_msi_id(subscription: str, rg: str = "aro-cluster", name: str = "aro-cluster-msi") -> str:
    """A user-assigned identity's resource ID (Go ``clustermsi_test.go`` ``miResourceId``)."""
    return f"/subscriptions/{subscription}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"


def workload_identity_cluster(doc: Any, fake_azure: Any, msi_id: str | None = None) -> Any:
    """``doc`` made a workload-identity cluster: the platform workload identity profile, no service
    principal, one user-assigned cluster MSI, and the identity URL the fake MSI data plane serves for it
    (the credential exists from then on, as it does once ARM assigns an identity)."""
    from mimo.api import ManagedServiceIdentity

    msi = msi_id or cluster_msi_id(doc.subscription_id)
    doc = doc.copy()
    doc.properties.service_principal_profile = None
    doc.properties.platform_workload_identity_profile = {
        "upgradeableTo": None,
        "platformWorkloadIdentities": {
            "cloud-controller-manager": {"resourceId": msi.rsplit("/", 1)[0] + "/ccm"},
        },
    }
    identity_url = fake_azure.assign_identities(doc.resource_id, [msi], region=doc.location)
    doc.identity = ManagedServiceIdentity(
        type="UserAssigned", user_assigned_identities={msi: {}}, identity_url=identity_url,
        tenant_id=fake_azure.tenant_id,
    )
    return doc
