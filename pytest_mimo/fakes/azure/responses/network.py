"""Microsoft.Network on the wire: load balancers, network interfaces, private link services.

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
    build_network_resource,
    missing_lb_references,
    missing_pool_references,
    with_backend_ip_configurations,
)
from pytest_mimo.fakes.azure.responses.arm import KINDS, Kind
from pytest_mimo.fakes.azure.responses.common import ArmError

if TYPE_CHECKING:
    from pytest_mimo.fakes.azure.fake import FakeAzure

__all__ = ["register"]


def _builder(type_key: str):  # type: ignore[no-untyped-def]
    def build(fake: FakeAzure, rid: str, body: dict[str, Any], old: dict[str, Any] | None, state: str) -> dict[str, Any]:
        return build_network_resource(
            rid, type_key, body, old, etag=f'W/"{fake._new_uuid()}"', new_guid=fake._new_uuid(), provisioning_state=state
        )

    return build


def _invalid_reference(missing: list[tuple[str, str]]) -> ArmError:
    ref_id, by_id = missing[0]
    return ArmError(
        400, "InvalidResourceReference",
        f"Resource {ref_id} referenced by resource {by_id} was not found. Please make sure that the "
        "referenced resource exists, and that both resources are in the same region.",
    )


def _validate_nic(fake: FakeAzure, rid: str, nic: dict[str, Any]) -> None:
    missing = missing_pool_references(fake.arm, nic)
    if missing:
        raise _invalid_reference(missing)


def _validate_lb(fake: FakeAzure, rid: str, lb: dict[str, Any]) -> None:
    missing = missing_lb_references(lb)
    if missing:
        raise _invalid_reference(missing)


def _check_nic_delete(fake: FakeAzure, nic: dict[str, Any]) -> None:
    vm = (nic.get("properties") or {}).get("virtualMachine")
    if isinstance(vm, dict) and vm.get("id"):
        raise ArmError(
            400, "NicInUse",
            f"Network Interface {nic['id']} is used by existing resource {vm['id']}. In order to delete the "
            "network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.",
        )


def _lb_view(fake: FakeAzure, lb: dict[str, Any]) -> dict[str, Any]:
    return with_backend_ip_configurations(fake.arm, lb)


def register() -> None:
    for type_key, (full_type, _) in NETWORK_TYPES.items():
        KINDS[type_key] = Kind(full_type=full_type, build=_builder(type_key), locks_while_running=True)
    nic = "microsoft.network/networkinterfaces"
    KINDS[nic] = Kind(KINDS[nic].full_type, _builder(nic), validate=_validate_nic, check_delete=_check_nic_delete,
                      locks_while_running=True)
    lb = "microsoft.network/loadbalancers"
    KINDS[lb] = Kind(KINDS[lb].full_type, _builder(lb), view=_lb_view, validate=_validate_lb, locks_while_running=True)


register()
