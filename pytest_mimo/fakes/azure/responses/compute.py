"""Microsoft.Compute on the wire: ``GET /subscriptions/{id}/providers/Microsoft.Compute/skus``,
and virtual machines (read: GET, list in a group, list in the subscription).

The SKU list supports the API's one filter, ``$filter=location eq '<region>'`` (the SDK's "Only
**location** filter is supported currently"), with the region quoted (azure-cli's form) or not
(``location eq eastus``, the form Azure/ARO-RP's ``pkg/cluster`` and ``pkg/validate`` send); any
other filter is ignored and every SKU is listed, as the service does (Azure/azure-sdk-for-net#9428:
"does NOT filter for anything other than ... location ... All results are returned"). Lists page with
``nextLink``. A VM write, or a GET with ``$expand`` (instance view, user data), raises
``UnservedRequestError``: the fake does not model them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pytest_mimo.fakes.azure.models.compute import VM_TYPE, build_virtual_machine
from pytest_mimo.fakes.azure.models.containerregistry import iso_now
from pytest_mimo.fakes.azure.models.sdkmodels import SdkResource
from pytest_mimo.fakes.azure.responses.arm import KINDS, SUBSCRIPTION_LISTS, Kind, page
from pytest_mimo.fakes.azure.responses.common import Incoming, Reply
from pytest_mimo.fakes.azure.responses.sdk import SDK_RESOURCES
from pytest_mimo.fakes.azure.urls import ArmPath

if TYPE_CHECKING:
    from pytest_mimo.fakes.azure.serving import AzureServing

__all__ = ["list_skus"]

_LOCATION = re.compile(r"^\s*location\s+eq\s+(?:'([^']*)'|([^'\s]+))\s*$", re.IGNORECASE)


def list_skus(fake: AzureServing, inc: Incoming, p: ArmPath) -> Reply:
    m = _LOCATION.match(inc.url.query.get("$filter") or "")
    location = (m.group(1) if m.group(1) is not None else m.group(2)) if m else None
    return page(fake, inc, fake.skus.list(location))


SUBSCRIPTION_LISTS["microsoft.compute/skus"] = list_skus
SDK_RESOURCES["microsoft.compute/skus"] = SdkResource("azure.mgmt.compute", "ResourceSku", "ResourceSkusOperations")


def _virtual_machine(fake: AzureServing, rid: str, body: dict[str, Any], old: dict[str, Any] | None,
                     state: str) -> dict[str, Any]:
    generation = int(str((old or {}).get("etag", '"0"')).strip('"') or 0) + 1
    return build_virtual_machine(rid, body, old, vm_id=fake._new_uuid(), etag=f'"{generation}"',
                                 now=iso_now(fake._now()))


KINDS["microsoft.compute/virtualmachines"] = Kind(VM_TYPE, _virtual_machine, methods=frozenset({"GET"}))
SDK_RESOURCES["microsoft.compute/virtualmachines"] = SdkResource(
    "azure.mgmt.compute", "VirtualMachine", "VirtualMachinesOperations")
