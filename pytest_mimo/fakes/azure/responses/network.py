"""Microsoft.Network on the wire: load balancers, network interfaces, private link services.

PUT and DELETE are long-running: PUT answers 201 (create) or 200 (update) with
the resource in ``provisioningState: Updating`` and an ``Azure-AsyncOperation``
header; DELETE answers 202 with ``Azure-AsyncOperation`` and ``Location``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_mimo.fakes.azure.models.network import NETWORK_TYPES, build_network_resource
from pytest_mimo.fakes.azure.responses.arm import KINDS, Kind

if TYPE_CHECKING:
    from pytest_mimo.fakes.azure.fake import FakeAzure

__all__ = ["register"]


def _builder(type_key: str):  # type: ignore[no-untyped-def]
    def build(fake: FakeAzure, rid: str, body: dict[str, Any], old: dict[str, Any] | None, state: str) -> dict[str, Any]:
        return build_network_resource(
            rid, type_key, body, old, etag=f'W/"{fake._new_uuid()}"', new_guid=fake._new_uuid(), provisioning_state=state
        )

    return build


def register() -> None:
    for type_key, (full_type, _) in NETWORK_TYPES.items():
        KINDS[type_key] = Kind(full_type=full_type, build=_builder(type_key))


register()
