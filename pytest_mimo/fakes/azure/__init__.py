"""Fake Azure for the MIMO harness: Entra ID, Resource Manager and Key Vault over ``responses``.

Works without pytest::

    with FakeAzure(lro_seconds=30) as fake:            # every `requests` call now goes to the fake
        fake.put_resource(lb_id, {"location": "eastus", "properties": {...}})
        fake.keyvault("eastus-cls").set_secret("cert", pem)
        clients = fake.clients(environment)            # mimo.azure.AzureClients, real SDK clients
        clients.load_balancers_client().get("rg", "lb")

What it serves (see ``responses/`` for the wire, ``models/`` for the state):

* Entra ID: OpenID configuration, instance discovery, the v2.0 token endpoint
  (client secret or federated assertion); tokens expire after 3599 s of
  ``time.time()`` and are checked by ARM and Key Vault, audience included.
* Resource Manager: ``Microsoft.Network`` load balancers, network interfaces,
  private link services (GET, list, PUT, PATCH, DELETE; PUT/DELETE are LROs);
  ``Microsoft.Compute/skus`` (list, ``location eq`` filter); container registries
  (GET, list), their tokens (GET, list, PUT/PATCH/DELETE as LROs) and
  ``generateCredentials``; resource groups (GET, PUT). Lists page with ``nextLink``.
* Key Vault: secrets (get latest or a version, set, list, list versions) behind
  the real challenge authentication.
* The managed identity (MSI) data plane: the identity URLs of resources given
  identities with ``assign_identities``, ``POST`` for user-assigned identities'
  credentials (46-day renewal, 90-day lifetime) behind its challenge
  authentication, tokens for ``msi_audience``.

Anything else raises :class:`UnservedRequestError` naming the URL. Time is
``time.time()``: give ``FakeAzure(clock=SimClock())`` (the ``fake_azure`` fixture
does, with ``mimo_clock``) and the SDK's back-off and LRO polling cost no wall
time; without a clock they are waited out for real. Random values (etags,
operation IDs, secret versions, passwords) come from ``random.Random(seed)``.
"""

from __future__ import annotations

from pytest_mimo.fakes.azure.fake import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_SUBSCRIPTION_ID,
    DEFAULT_TENANT_ID,
    FakeAzure,
    UnservedRequestError,
)
from pytest_mimo.fakes.azure.models.compute import vm_sku
from pytest_mimo.fakes.azure.models.keyvault import FakeVault, SecretVersion

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_SUBSCRIPTION_ID",
    "DEFAULT_TENANT_ID",
    "FakeAzure",
    "FakeVault",
    "SecretVersion",
    "UnservedRequestError",
    "vm_sku",
]
