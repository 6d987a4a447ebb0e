"""The production TaskContext: real clients, built lazily from the cluster's registration.

:class:`ContextRequest` is what the actuator hands a context factory for each
manifest it runs; :func:`production_context` is the default factory and builds
a :class:`ProductionTaskContext`:

* clock = the actuator's clock (real time in production);
* ``client_helper()`` = ``mimo.kube.KubeHelper`` from the cluster's
  :class:`~mimo.store.base.ClusterAccess` (kubeconfig, or API URL + token file
  + CA file), created on first use;
* the Azure clients from ``mimo.azure.AzureClients`` for the cluster's
  subscription, with the credential the access's Azure settings describe;
* ``patch_openshift_cluster_document`` through the store (optimistic
  concurrency, see :meth:`mimo.store.base.Store.patch_cluster`);
* every log line carries manifest, task and cluster (``BaseTaskContext``).

Asking for a client the registration cannot provide raises
:class:`mimo.context.Unavailable` (a ``TerminalError``) naming the missing setting.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument, SubscriptionDocument
from mimo.clock import Clock
from mimo.context import BaseTaskContext, ClusterMutator, LeaseGuard, TaskContext, Unavailable
from mimo.environment import Environment
from mimo.store.base import ClusterAccess, Store

if TYPE_CHECKING:
    from mimo.azure import AzureClients
    from mimo.kube import KubeHelper

__all__ = ["ContextRequest", "ContextFactory", "ProductionTaskContext", "production_context"]


@dataclass(frozen=True)
class ContextRequest:
    """Everything a context factory gets for one run of one manifest."""

    manifest: MaintenanceManifest
    cluster: OpenShiftClusterDocument
    subscription: SubscriptionDocument | None
    deadline: datetime
    store: Store
    clock: Clock
    access: ClusterAccess | None
    environment: Environment
    logger: logging.Logger | None = None
    #: the lease the manifest runs under (``None`` when leases are not renewed, e.g. virtual time)
    lease: LeaseGuard | None = None


ContextFactory = Callable[[ContextRequest], TaskContext]


class ProductionTaskContext(BaseTaskContext):
    """A TaskContext that talks to the real cluster and the real Azure."""

    def __init__(
        self,
        *,
        store: Store,
        access: ClusterAccess | None,
        clock: Clock,
        environment: Environment,
        cluster: OpenShiftClusterDocument,
        subscription: SubscriptionDocument | None,
        manifest: MaintenanceManifest | None = None,
        deadline: datetime | None = None,
        logger: logging.Logger | None = None,
        lease: LeaseGuard | None = None,
    ) -> None:
        super().__init__(
            clock=clock,
            environment=environment,
            cluster=cluster,
            subscription=subscription,
            manifest=manifest,
            deadline=deadline,
            logger=logger,
            lease=lease,
        )
        self._store = store
        self._access = access
        self._lock = threading.Lock()
        self._kube: KubeHelper | None = None
        self._azure: AzureClients | None = None

    def __repr__(self) -> str:
        cluster = self._cluster.resource_id if self._cluster else ""
        return f"ProductionTaskContext(cluster={cluster!r}, access={self._access!r})"

    # -- documents --------------------------------------------------------------------------
    def _save_cluster_document(self, resource_id: str, mutator: ClusterMutator) -> OpenShiftClusterDocument:
        return self._store.patch_cluster(resource_id, mutator)

    # -- kubernetes -------------------------------------------------------------------------
    def _cluster_name(self) -> str:
        return self._cluster.resource_id if self._cluster else "this cluster"

    def client_helper(self) -> KubeHelper:
        with self._lock:
            if self._kube is None:
                self._kube = self._make_kube()
            return self._kube

    def _make_kube(self) -> KubeHelper:
        acc = self._access
        if acc is None or not acc.has_kube:
            raise Unavailable(
                f"client_helper: cluster {self._cluster_name()} has no Kubernetes access registered "
                "(kubeconfig, or api_url + token_file)"
            )
        from mimo.kube import KubeHelper

        if acc.kubeconfig:
            if not os.path.isfile(acc.kubeconfig):
                raise Unavailable(f"client_helper: kubeconfig {acc.kubeconfig} of cluster {self._cluster_name()} not found")
            return KubeHelper.from_kubeconfig(acc.kubeconfig)
        if not acc.token_file:
            raise Unavailable(f"client_helper: cluster {self._cluster_name()} has api_url but no token_file")
        try:
            token = Path(acc.token_file).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise Unavailable(f"client_helper: cannot read token_file {acc.token_file}: {e.strerror}") from None
        assert acc.api_url is not None
        return KubeHelper.from_token(acc.api_url, token, ca_file=acc.ca_file)

    # -- azure ------------------------------------------------------------------------------
    def _clients(self, member: str) -> AzureClients:
        with self._lock:
            if self._azure is None:
                self._azure = self._make_azure(member)
            return self._azure

    def _make_azure(self, member: str) -> AzureClients:
        acc = self._access
        if acc is None or not acc.azure:
            raise Unavailable(
                f"{member}: cluster {self._cluster_name()} has no Azure credential settings registered"
            )
        from mimo.azure import AzureClients, AzureCredentialSettings, shared_credential

        try:
            settings = AzureCredentialSettings.from_dict(dict(acc.azure))
        except ValueError as e:
            raise Unavailable(f"{member}: {e}") from None
        env = self.environment()
        return AzureClients(self._need_cluster().subscription_id, shared_credential(settings, env.cloud), env)

    def load_balancers_client(self) -> Any:
        return self._clients("load_balancers_client").load_balancers_client()

    def interfaces_client(self) -> Any:
        return self._clients("interfaces_client").interfaces_client()

    def private_link_services_client(self) -> Any:
        return self._clients("private_link_services_client").private_link_services_client()

    def resource_skus_client(self) -> Any:
        return self._clients("resource_skus_client").resource_skus_client()

    def tokens_client(self) -> Any:
        return self._clients("tokens_client").tokens_client()

    def registries_client(self) -> Any:
        return self._clients("registries_client").registries_client()

    def cluster_keyvault(self) -> Any:
        return self._clients("cluster_keyvault").cluster_keyvault()

    def cluster_msi_keyvault(self) -> Any:
        return self._clients("cluster_msi_keyvault").cluster_msi_keyvault()

    def msi_dataplane(self) -> Any:
        audience = self._msi_audience()
        return self._clients("msi_dataplane").msi_dataplane(audience)


def production_context(req: ContextRequest) -> TaskContext:
    """The default context factory."""
    return ProductionTaskContext(
        store=req.store,
        access=req.access,
        clock=req.clock,
        environment=req.environment,
        cluster=req.cluster,
        subscription=req.subscription,
        manifest=req.manifest,
        deadline=req.deadline,
        logger=req.logger,
        lease=req.lease,
    )
