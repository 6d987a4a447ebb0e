"""``FakeTaskContext``: the whole TaskContext protocol, wired explicitly.

Like the reference system's fake, it is built with the mandatory parts (a
clock, an environment, the cluster and subscription documents) and wired
with ``with_…`` calls, each returning the context::

    tc = FakeTaskContext(clock).with_kube(fake_kube).with_features("DisableSignedCertificates")

Asking for a part that was not wired raises :class:`NotWired` (a
``TerminalError``) naming the ``with_…`` call that is missing. A cluster
document patch goes through a real (in-memory) store, as in production.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument, SubscriptionDocument
from mimo.clock import Clock
from mimo.context import BaseTaskContext, ClusterMutator, Unavailable
from mimo.environment import Environment
from mimo.runner import StepObserver
from pytest_mimo import defaults

if TYPE_CHECKING:
    from mimo.kube import KubeHelper
    from mimo.store.base import Store

__all__ = ["FakeTaskContext", "NotWired"]


class NotWired(Unavailable):
    """A TaskContext part the test did not wire; the message names the ``with_…`` call."""


class FakeTaskContext(BaseTaskContext):
    """A TaskContext for tests: every member of the protocol, nothing wired that was not asked for."""

    def __init__(
        self,
        clock: Clock,
        *,
        environment: Environment | None = None,
        cluster: OpenShiftClusterDocument | None = None,
        subscription: SubscriptionDocument | None = None,
        manifest: MaintenanceManifest | None = None,
        deadline: datetime | None = None,
        store: Store | None = None,
        logger: logging.Logger | None = None,
        step_observer: StepObserver | None = None,
        lease: Any = None,
    ) -> None:
        """``lease``: a :class:`mimo.context.LeaseGuard` (``check_lease`` asks it), as the actuator's
        context gets one; replays give every attempt the runtime's own LeaseRenewer."""
        env = environment or defaults.default_environment()
        super().__init__(
            clock=clock,
            environment=env,
            cluster=cluster if cluster is not None else defaults.default_cluster_document(clock.now(), env),
            subscription=subscription if subscription is not None else defaults.default_subscription_document(),
            manifest=manifest,
            deadline=deadline,
            logger=logger,
            lease=lease,
        )
        self._store = store
        self._helper: KubeHelper | None = None
        self._fake_azure: Any = None
        self._azure_credential: Any = None
        self._azure_clients: Any = None
        self.step_observer = step_observer

    # -- wiring -------------------------------------------------------------------------------
    def with_client_helper(self, helper: KubeHelper) -> FakeTaskContext:
        self._helper = helper
        return self

    def with_kube(self, fake_kube: Any) -> FakeTaskContext:
        """Wire the Kubernetes helper of a ``FakeKube`` (the production helper over HTTP)."""
        return self.with_client_helper(fake_kube.client_helper())

    def with_azure(self, fake_azure: Any, *, credential: Any = None) -> FakeTaskContext:
        """Wire the production Azure clients, talking to a ``FakeAzure``; ``credential``: one to
        reuse (as the actuator reuses its credential across attempts), a new one by default."""
        self._fake_azure = fake_azure
        self._azure_credential = credential
        self._azure_clients = None
        return self

    def with_cluster_document(self, doc: OpenShiftClusterDocument) -> FakeTaskContext:
        self._cluster = doc
        if self._store is not None:
            self._store.put_cluster(doc)
        return self

    def with_subscription_document(self, doc: SubscriptionDocument) -> FakeTaskContext:
        self._subscription = doc
        return self

    def with_environment(self, env: Environment) -> FakeTaskContext:
        self._environment = env
        self._azure_clients = None
        return self

    def with_features(self, *flags: str) -> FakeTaskContext:
        return self.with_environment(self._environment.with_features(*flags))

    def with_store(self, store: Store) -> FakeTaskContext:
        """Patch the cluster document in ``store`` (the document is put there if it is missing)."""
        self._store = store
        self._seed_store(store)
        return self

    # -- store ----------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The store behind ``patch_openshift_cluster_document``: an in-memory one holding this
        context's documents unless one was wired. Delete the document from it to see what a step
        does when the document is gone (``StoreNotFound``, as in production)."""
        if self._store is None:
            from mimo.store.memory import MemoryStore

            self._store = MemoryStore()
            self._seed_store(self._store)
        return self._store

    def _seed_store(self, store: Store) -> None:
        from mimo.store.base import StoreNotFound

        if self._cluster is not None:
            try:
                store.get_cluster(self._cluster.resource_id)
            except StoreNotFound:
                store.put_cluster(self._cluster)
        if self._subscription is not None:
            try:
                store.get_subscription(self._subscription.id)
            except StoreNotFound:
                store.put_subscription(self._subscription)

    def _save_cluster_document(self, resource_id: str, mutator: ClusterMutator) -> OpenShiftClusterDocument:
        patch = getattr(self.step_observer, "patch_cluster", None)  # the fault injector: writes, faults
        if patch is not None:
            return patch(self.store, resource_id, mutator)  # type: ignore[no-any-return]
        return self.store.patch_cluster(resource_id, mutator)

    # -- clients --------------------------------------------------------------------------------
    def client_helper(self) -> KubeHelper:
        if self._helper is None:
            raise NotWired(
                "client_helper: not wired: call with_client_helper(helper) or with_kube(fake_kube) on the FakeTaskContext"
            )
        return self._helper

    def _azure(self, member: str) -> Any:
        if self._fake_azure is None:
            raise NotWired(f"{member}: not wired: call with_azure(fake_azure) on the FakeTaskContext")
        if self._azure_clients is None:
            reuse = {} if self._azure_credential is None else {"credential": self._azure_credential}
            self._azure_clients = self._fake_azure.clients(self._environment, **reuse)
        return self._azure_clients

    def load_balancers_client(self) -> Any:
        return self._azure("load_balancers_client").load_balancers_client()

    def interfaces_client(self) -> Any:
        return self._azure("interfaces_client").interfaces_client()

    def private_link_services_client(self) -> Any:
        return self._azure("private_link_services_client").private_link_services_client()

    def resource_skus_client(self) -> Any:
        return self._azure("resource_skus_client").resource_skus_client()

    def tokens_client(self) -> Any:
        return self._azure("tokens_client").tokens_client()

    def registries_client(self) -> Any:
        return self._azure("registries_client").registries_client()

    def cluster_keyvault(self) -> Any:
        return self._azure("cluster_keyvault").cluster_keyvault()

    def cluster_msi_keyvault(self) -> Any:
        return self._azure("cluster_msi_keyvault").cluster_msi_keyvault()

    def msi_dataplane(self) -> Any:
        audience = self._msi_audience()
        return self._azure("msi_dataplane").msi_dataplane(audience)


ContextFactory = Callable[..., FakeTaskContext]
