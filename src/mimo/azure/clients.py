"""The official Azure SDK clients for one subscription, built lazily and once each."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from azure.core.credentials import TokenCredential

from mimo.environment import Environment

__all__ = ["AzureClients"]

T = TypeVar("T")


class AzureClients:
    """The SDK clients a TaskContext hands to steps, for one subscription.

    Each management client is created on first use with the environment's
    cloud endpoints (``base_url`` = Resource Manager, ``credential_scopes`` =
    the cloud's scope) and reused afterwards; ``client_kwargs`` go to every
    client constructor (e.g. ``retry_total``, ``polling_interval``, ``transport``).
    """

    def __init__(
        self,
        subscription_id: str,
        credential: TokenCredential,
        environment: Environment,
        **client_kwargs: Any,
    ) -> None:
        if not isinstance(subscription_id, str) or not subscription_id:
            raise ValueError("AzureClients: subscription_id must be a non-empty string")
        if not isinstance(environment, Environment):
            raise ValueError(
                f"AzureClients: environment must be a mimo.Environment, got {type(environment).__name__}"
            )
        self.subscription_id = subscription_id
        self.credential = credential
        self.environment = environment
        self._kwargs = client_kwargs
        self._lock = threading.Lock()
        self._made: dict[str, Any] = {}

    def __repr__(self) -> str:
        return (
            f"AzureClients(subscription_id={self.subscription_id!r}, cloud={self.environment.cloud.name!r}, "
            f"created={sorted(self._made)})"
        )

    # -- helpers ----------------------------------------------------------------------
    def _once(self, name: str, make: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._made:
                self._made[name] = make()
            return self._made[name]  # type: ignore[no-any-return]

    def _arm_kwargs(self) -> dict[str, Any]:
        cloud = self.environment.cloud
        return {
            "base_url": cloud.resource_manager,
            "credential_scopes": [cloud.credential_scope],
            **self._kwargs,
        }

    def network(self) -> Any:
        """The ``NetworkManagementClient`` (created once)."""
        from azure.mgmt.network import NetworkManagementClient

        return self._once(
            "network",
            lambda: NetworkManagementClient(self.credential, self.subscription_id, **self._arm_kwargs()),
        )

    def compute(self) -> Any:
        """The ``ComputeManagementClient`` (created once)."""
        from azure.mgmt.compute import ComputeManagementClient

        return self._once(
            "compute",
            lambda: ComputeManagementClient(self.credential, self.subscription_id, **self._arm_kwargs()),
        )

    def containerregistry(self) -> Any:
        """The ``ContainerRegistryManagementClient`` (created once)."""
        from azure.mgmt.containerregistry import ContainerRegistryManagementClient

        return self._once(
            "containerregistry",
            lambda: ContainerRegistryManagementClient(
                self.credential, self.subscription_id, **self._arm_kwargs()
            ),
        )

    # -- what TaskContext hands out ---------------------------------------------------
    def load_balancers_client(self) -> Any:
        return self.network().load_balancers

    def interfaces_client(self) -> Any:
        return self.network().network_interfaces

    def private_link_services_client(self) -> Any:
        return self.network().private_link_services

    def resource_skus_client(self) -> Any:
        return self.compute().resource_skus

    def tokens_client(self) -> Any:
        return self.containerregistry().tokens

    def registries_client(self) -> Any:
        return self.containerregistry().registries

    def cluster_keyvault(self) -> Any:
        """``SecretClient`` for the environment's cluster Key Vault (created once)."""
        from azure.keyvault.secrets import SecretClient

        return self._once(
            "cluster_keyvault",
            lambda: SecretClient(self.environment.cluster_keyvault_uri, self.credential, **self._kwargs),
        )

    def cluster_msi_keyvault(self) -> Any:
        """``SecretClient`` for the environment's MSI Key Vault (created once)."""
        from azure.keyvault.secrets import SecretClient

        return self._once(
            "cluster_msi_keyvault",
            lambda: SecretClient(self.environment.cluster_msi_keyvault_uri, self.credential, **self._kwargs),
        )

    def msi_dataplane(self, audience: str) -> Any:
        """A :class:`~mimo.azure.msidataplane.MsiDataplaneClientFactory` with this credential and ``audience``
        (Go ``dataplane.NewClientFactory``; the credential must be allowed the tenant the data plane's
        challenge names)."""
        from mimo.azure.msidataplane import MsiDataplaneClientFactory

        return self._once(f"msi_dataplane:{audience}",
                          lambda: MsiDataplaneClientFactory(self.credential, audience, **self._kwargs))

    def close(self) -> None:
        """Closes every client created so far."""
        with self._lock:
            made, self._made = self._made, {}
        for client in made.values():
            close = getattr(client, "close", None)
            if close is not None:
                close()
