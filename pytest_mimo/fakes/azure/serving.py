"""What the wire modules (``responses/``) use of the fake that serves them (a typing :class:`Protocol`).

:class:`~pytest_mimo.fakes.azure.fake.FakeAzure` is the one implementation. The
``responses/`` modules are typed against this protocol instead of the class, so
none of them imports ``fake.py``, which imports them all: the state
(``models/``) and the wire (``responses/``) stand apart from the routing.
"""

from __future__ import annotations

import random
from typing import Protocol

from mimo.environment import AzureCloud
from pytest_mimo.fakes.azure.models.arm import ArmState
from pytest_mimo.fakes.azure.models.compute import SkuCatalog
from pytest_mimo.fakes.azure.models.identity import Directory
from pytest_mimo.fakes.azure.models.msi import MsiState

__all__ = ["AzureServing"]


class AzureServing(Protocol):
    subscription_id: str
    tenant_id: str
    #: seconds (virtual time) a long-running operation takes
    lro_seconds: float
    #: items per page of a list answer (``nextLink`` past it)
    page_size: int
    cloud: AzureCloud
    #: draws etags, operation IDs, versions, passwords (world state: seeded)
    rng: random.Random
    directory: Directory
    arm: ArmState
    skus: SkuCatalog
    #: the audience of Key Vault tokens (``https://vault.azure.net`` in the public cloud)
    keyvault_resource: str
    #: the managed identities' data plane (credentials by identity URL)
    msi: MsiState
    #: the audience of MSI data-plane tokens
    msi_audience: str

    def _now(self) -> float:
        """Seconds since the epoch on the fake's clock."""
        ...

    def _new_uuid(self) -> str:
        """A UUID drawn from :attr:`rng`."""
        ...

    def _new_token(self) -> str:
        """A bearer token (not world state: its own generator)."""
        ...

    def _aad_stamp(self) -> tuple[str, str]:
        """Entra ID's error timestamp and trace ID."""
        ...
