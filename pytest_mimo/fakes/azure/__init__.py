"""Fake Azure for the MIMO harness: Entra ID, Resource Manager and Key Vault over ``responses``."""

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
