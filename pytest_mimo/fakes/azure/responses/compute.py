"""Microsoft.Compute on the wire: ``GET /subscriptions/{id}/providers/Microsoft.Compute/skus``,
and virtual machines (read: GET, list in a group, list in the subscription).

The SKU list supports the API's one filter, ``$filter=location eq '<region>'``; lists page with
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
from pytest_mimo.fakes.azure.responses.common import ArmError, Incoming, Reply
from pytest_mimo.fakes.azure.responses.sdk import SDK_RESOURCES
from pytest_mimo.fakes.azure.urls import ArmPath

if TYPE_CHECKING:
    from pytest_mimo.fakes.azure.serving import AzureServing

__all__ = ["list_skus"]

_LOCATION = re.compile(r"^\s*location\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


def list_skus(fake: AzureServing, inc: Incoming, p: ArmPath) -> Reply:
    flt = inc.url.query.get("$filter")
    location = None
    if flt:
        m = _LOCATION.match(flt)
        if m is None:
            raise ArmError(400, "InvalidFilter", f"The filter '{flt}' is not supported. Supported: location eq '<location>'.")
        location = m.group(1)
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
