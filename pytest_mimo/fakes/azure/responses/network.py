"""Microsoft.Network on the wire: load balancers, network interfaces, private link services
(read and write); network security groups, public IP addresses, virtual networks and their
subnets (read: GET and list; a write raises ``UnservedRequestError``).

PUT and DELETE are long-running: PUT answers 201 (create) or 200 (update) with
the resource in ``provisioningState: Updating`` and an ``Azure-AsyncOperation``
header; DELETE answers 202 with ``Azure-AsyncOperation`` and ``Location``.
While an operation on a resource runs, another PUT or DELETE of it answers 429
``RetryableErrorDueToAnotherOperation`` with ``Retry-After``. References are
resolved on PUT: a NIC's backend pools, a load balancer rule's frontend, pool
and probe; a missing one is 400 ``InvalidResourceReference``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_mimo.fakes.azure.models.network import (
    NETWORK_TYPES,
    READ_ONLY_NETWORK_TYPES,
    build_network_resource,
    changed_frontend_zones,
    frontends_in_use_by_private_link_services,
    missing_lb_references,
    missing_pls_frontends,
    missing_pool_references,
    pools_in_use,
    with_backend_ip_configurations,
    with_virtual_machine,
)
from pytest_mimo.fakes.azure.models.network_fill import (
    fill_load_balancer,
    fill_nic,
    frontend_subnet_problems,
    nic_subnet_problems,
    static_address_problems,
    subnet_ip_configurations,
)
from pytest_mimo.fakes.azure.models.sdkmodels import SdkResource
from pytest_mimo.fakes.azure.responses.arm import KINDS, Kind
from pytest_mimo.fakes.azure.responses.common import ArmError, UnservedRequestError
from pytest_mimo.fakes.azure.responses.sdk import SDK_RESOURCES

if TYPE_CHECKING:
    from pytest_mimo.fakes.azure.serving import AzureServing

__all__ = ["register"]


#: what the network RP fills in on a write, per type (models/network_fill.py)
_FILL = {"microsoft.network/networkinterfaces": fill_nic, "microsoft.network/loadbalancers": fill_load_balancer}


def _builder(type_key: str):  # type: ignore[no-untyped-def]
    fill = _FILL.get(type_key)

    def build(fake: AzureServing, rid: str, body: dict[str, Any], old: dict[str, Any] | None, state: str) -> dict[str, Any]:
        out = build_network_resource(
            rid, type_key, body, old, etag=f'W/"{fake._new_uuid()}"', new_guid=fake._new_uuid(), provisioning_state=state
        )
        if fill is not None:
            fill(fake.arm, out, old)
        return out

    return build


def _invalid_reference(missing: list[tuple[str, str]]) -> ArmError:
    ref_id, by_id = missing[0]
    return ArmError(
        400, "InvalidResourceReference",
        f"Resource {ref_id} referenced by resource {by_id} was not found. Please make sure that the "
        "referenced resource exists, and that both resources are in the same region.",
    )


def _subnet_errors(problems: list[tuple[str, str]], rid: str) -> None:
    """The network RP's answers to a bad subnet reference: no ``id`` → 400 ``InvalidRequestFormat``
    with ``MissingJsonReferenceId`` (Azure/azure-cli#934); a subnet or virtual network that does not
    exist → 400 ``InvalidResourceReference`` naming it (azure-cli#1237, #8569); no subnet on any IP
    configuration of a NIC → 400 ``SubnetIsRequired`` (azure-sdk-for-python#536)."""
    for kind, detail in problems:
        if kind == "missing-id":
            raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request.", details=[
                {"code": "MissingJsonReferenceId", "message": f"Value for reference id is missing. Path {detail}."}])
        if kind == "not-found":
            raise _invalid_reference([(detail, rid)])
        if kind == "required":
            raise ArmError(400, "SubnetIsRequired", f"Subnet reference is required for ipconfiguration {detail}.")


def _static_address_errors(fake: AzureServing, rid: str, configs: list[Any]) -> None:
    """The network RP's answers to a ``Static`` private address it cannot give (400 each):
    ``PrivateIPAddressNotInSubnet`` "Private static IP address … does not belong to the range of
    subnet prefix …." and ``PrivateIPAddressInReservedRange`` "Private static IP address … falls
    within reserved IP range of subnet prefix …." (codes: Microsoft's "Troubleshoot common Azure
    deployment errors" table; wording and 400 as Azure answers them, quoted in
    hashicorp/terraform-provider-azurerm#4225 and users' error bodies), ``PrivateIPAddressIsAllocated``
    "IP configuration … is using the private IP address … which is already allocated to resource …."
    (Microsoft's Azure Database for PostgreSQL private endpoint article; 400 in
    F5Networks/terraform-azure-bigip-module#63). An address that is not IPv4 fails loudly: Azure
    refuses it, its answer is not in those sources."""
    for problem in static_address_problems(fake.arm, rid, [c for c in configs if isinstance(c, dict)]):
        kind = problem[0]
        if kind == "invalid":
            raise _refused_unmodelled(rid, f"the private IP address {problem[2]!r} of {problem[1]} is not an IPv4 address")
        if kind == "not-in-subnet":
            raise ArmError(400, "PrivateIPAddressNotInSubnet", f"Private static IP address {problem[1]} does not "
                                                                f"belong to the range of subnet prefix {problem[2]}.")
        if kind == "reserved":
            raise ArmError(400, "PrivateIPAddressInReservedRange", f"Private static IP address {problem[1]} falls "
                                                                    f"within reserved IP range of subnet prefix {problem[2]}.")
        raise ArmError(400, "PrivateIPAddressIsAllocated", f"IP configuration {problem[1]} is using the private IP "
                                                            f"address {problem[2]} which is already allocated to "
                                                            f"resource {problem[3]}.")


def _validate_nic(fake: AzureServing, rid: str, nic: dict[str, Any]) -> None:
    _subnet_errors(nic_subnet_problems(fake.arm, nic), rid)
    _static_address_errors(fake, rid, (nic.get("properties") or {}).get("ipConfigurations") or [])
    missing = missing_pool_references(fake.arm, nic)
    if missing:
        raise _invalid_reference(missing)


def _refused_unmodelled(rid: str, why: str) -> Exception:
    """Azure refuses this write, but its exact answer is not in the specs or examples the fake
    follows: fail the test loudly rather than accept what Azure refuses (or invent an error)."""
    return UnservedRequestError(f"FakeAzure does not serve PUT {rid}: {why}; Azure refuses this write and the fake "
                                "does not model its exact answer")


def _validate_lb(fake: AzureServing, rid: str, lb: dict[str, Any]) -> None:
    _subnet_errors(frontend_subnet_problems(fake.arm, lb), rid)
    _static_address_errors(fake, rid, (lb.get("properties") or {}).get("frontendIPConfigurations") or [])
    missing = missing_lb_references(lb)
    if missing:
        raise _invalid_reference(missing)
    old = fake.arm.get(rid)
    for fe_id, was, now in changed_frontend_zones(old, lb):
        raise _refused_unmodelled(rid, f"it changes the zones of frontend IP configuration {fe_id} from {was} to "
                                       f"{now} (a frontend's zones are fixed when it is created)")
    for fe_id, pls_id in frontends_in_use_by_private_link_services(fake.arm, old, lb):
        raise _refused_unmodelled(rid, f"it removes frontend IP configuration {fe_id}, which private link service "
                                       f"{pls_id} uses")
    for pool_id, ipc_id in pools_in_use(fake.arm, old, lb):
        raise _refused_unmodelled(rid, f"it removes backend address pool {pool_id}, which IP configuration {ipc_id} "
                                       "of a network interface joins")


def _check_lb_delete(fake: AzureServing, lb: dict[str, Any]) -> None:
    """Azure refuses to delete a load balancer a NIC's IP configuration still joins through a backend
    pool (``InUseLoadBalancerCannotBeDeleted``) or a private link service still fronts
    (``CannotDeleteLoadBalancerWithPrivateLinkService``): Microsoft's "Troubleshoot an Azure Load
    Balancer that can't be deleted" names both codes but neither their status nor their full
    wording, so the fake fails the test loudly instead of inventing the answer."""
    rid = str(lb.get("id", ""))
    for pool_id, ipc_id in pools_in_use(fake.arm, lb, None):
        raise UnservedRequestError(
            f"FakeAzure does not serve DELETE {rid}: its backend address pool {pool_id} is joined by IP configuration "
            f"{ipc_id}; Azure refuses this delete (InUseLoadBalancerCannotBeDeleted) and the fake does not model "
            "its exact answer")
    for fe_id, pls_id in frontends_in_use_by_private_link_services(fake.arm, lb, {"id": rid}):
        raise UnservedRequestError(
            f"FakeAzure does not serve DELETE {rid}: its frontend IP configuration {fe_id} is used by private link "
            f"service {pls_id}; Azure refuses this delete (CannotDeleteLoadBalancerWithPrivateLinkService) and the "
            "fake does not model its exact answer")


def _validate_pls(fake: AzureServing, rid: str, pls: dict[str, Any]) -> None:
    missing = missing_pls_frontends(fake.arm, pls)
    if missing:
        raise _invalid_reference(missing)


def _nic_view(fake: AzureServing, nic: dict[str, Any]) -> dict[str, Any]:
    return with_virtual_machine(fake.arm, nic)


def _check_nic_delete(fake: AzureServing, nic: dict[str, Any]) -> None:
    vm = (_nic_view(fake, nic).get("properties") or {}).get("virtualMachine")
    if isinstance(vm, dict) and vm.get("id"):
        raise ArmError(
            400, "NicInUse",
            f"Network Interface {nic['id']} is used by existing resource {vm['id']}. In order to delete the "
            "network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.",
        )


def _lb_view(fake: AzureServing, lb: dict[str, Any]) -> dict[str, Any]:
    return with_backend_ip_configurations(fake.arm, lb)


def _vnet_view(fake: AzureServing, vnet: dict[str, Any]) -> dict[str, Any]:
    """Each subnet lists the NIC IP configurations and load balancer frontends in it (its
    read-only ``ipConfigurations``, kept up to date from them); a seeded list is kept when none is in it."""
    subnets = (vnet.get("properties") or {}).get("subnets") or []
    if not subnets:
        return vnet
    out = dict(vnet)
    props = out["properties"] = dict(vnet["properties"])
    shown = []
    for sub in subnets:
        if isinstance(sub, dict) and sub.get("name"):
            refs = subnet_ip_configurations(fake.arm, f"{vnet['id']}/subnets/{sub['name']}")
            if refs:
                sub = {**sub, "properties": {**(sub.get("properties") or {}), "ipConfigurations": refs}}
        shown.append(sub)
    props["subnets"] = shown
    return out


#: the azure-mgmt-network model and operation group of each type (read-only fields, api-versions)
_SDK = {
    "microsoft.network/loadbalancers": ("LoadBalancer", "LoadBalancersOperations"),
    "microsoft.network/networkinterfaces": ("NetworkInterface", "NetworkInterfacesOperations"),
    "microsoft.network/privatelinkservices": ("PrivateLinkService", "PrivateLinkServicesOperations"),
    "microsoft.network/networksecuritygroups": ("NetworkSecurityGroup", "NetworkSecurityGroupsOperations"),
    "microsoft.network/publicipaddresses": ("PublicIPAddress", "PublicIPAddressesOperations"),
    "microsoft.network/virtualnetworks": ("VirtualNetwork", "VirtualNetworksOperations"),
    "microsoft.network/virtualnetworks/subnets": ("Subnet", "SubnetsOperations"),
}


def register() -> None:
    for type_key, (model, operations) in _SDK.items():
        SDK_RESOURCES[type_key] = SdkResource("azure.mgmt.network", model, operations)
    for type_key, (full_type, _) in NETWORK_TYPES.items():
        KINDS[type_key] = Kind(full_type=full_type, build=_builder(type_key), locks_while_running=True)
    for type_key in READ_ONLY_NETWORK_TYPES:
        KINDS[type_key] = Kind(NETWORK_TYPES[type_key][0], _builder(type_key), methods=frozenset({"GET"}),
                               view=_vnet_view if type_key == "microsoft.network/virtualnetworks" else None)
    KINDS["microsoft.network/virtualnetworks/subnets"] = Kind(
        "Microsoft.Network/virtualNetworks/subnets", _builder("microsoft.network/virtualnetworks"),
        methods=frozenset({"GET"}), requires_location=False, embedded_in="subnets",
    )
    nic = "microsoft.network/networkinterfaces"
    KINDS[nic] = Kind(KINDS[nic].full_type, _builder(nic), validate=_validate_nic, check_delete=_check_nic_delete,
                      view=_nic_view, locks_while_running=True)
    lb = "microsoft.network/loadbalancers"
    KINDS[lb] = Kind(KINDS[lb].full_type, _builder(lb), view=_lb_view, validate=_validate_lb,
                     check_delete=_check_lb_delete, locks_while_running=True)
    pls = "microsoft.network/privatelinkservices"
    KINDS[pls] = Kind(KINDS[pls].full_type, _builder(pls), validate=_validate_pls, locks_while_running=True)


register()
