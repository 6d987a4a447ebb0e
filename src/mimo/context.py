"""The TaskContext: the only door through which a step reaches the world.

:class:`TaskContext` is the protocol steps are written against.
:class:`BaseTaskContext` holds what every implementation shares (clock,
deadline, logging, result message, documents); the production context
(:mod:`mimo.actuator.context`) and the harness's ``FakeTaskContext`` add the
clients on top of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from mimo.api import (
    MaintenanceManifest,
    OpenShiftClusterDocument,
    OpenShiftClusterProperties,
    SubscriptionDocument,
)
from mimo.clock import Clock
from mimo.environment import Environment
from mimo.errors import TerminalError, TransientError
from mimo.logfields import resource_fields

if TYPE_CHECKING:
    from mimo.kube import KubeHelper

__all__ = [
    "TaskContext",
    "BaseTaskContext",
    "get_task_context",
    "ClusterMutator",
    "TASK_TIMEOUT",
    "Unavailable",
    "LeaseGuard",
]

#: every task runs with this deadline (reference: 60 minutes)
TASK_TIMEOUT = timedelta(minutes=60)

ClusterMutator = Callable[[OpenShiftClusterDocument], None]


class Unavailable(TerminalError):
    """A TaskContext member that this context cannot provide; the message names it."""


class LeaseGuard(Protocol):
    """The lease a task runs under (:class:`mimo.actuator.lease.LeaseRenewer`): ``check()``
    returns while it is held and raises :class:`mimo.errors.LeaseLost` when it is not."""

    def check(self) -> None: ...


@runtime_checkable
class TaskContext(Protocol):
    """What a step may use. Steps are ``step(tc: TaskContext) -> None``."""

    @property
    def deadline(self) -> datetime: ...

    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...

    def environment(self) -> Environment: ...

    def log(self) -> logging.LoggerAdapter[logging.Logger]: ...

    def set_result_message(self, text: str) -> None: ...

    def get_cluster_uuid(self) -> str: ...

    def get_openshift_cluster_document(self) -> OpenShiftClusterDocument: ...

    def get_openshift_cluster_properties(self) -> OpenShiftClusterProperties: ...

    def get_subscription_document(self) -> SubscriptionDocument: ...

    def patch_openshift_cluster_document(self, mutator: ClusterMutator) -> OpenShiftClusterDocument: ...

    def client_helper(self) -> KubeHelper: ...

    def load_balancers_client(self) -> Any: ...

    def interfaces_client(self) -> Any: ...

    def private_link_services_client(self) -> Any: ...

    def resource_skus_client(self) -> Any: ...

    def tokens_client(self) -> Any: ...

    def registries_client(self) -> Any: ...

    def cluster_keyvault(self) -> Any: ...

    def cluster_msi_keyvault(self) -> Any: ...

    def msi_dataplane(self) -> Any: ...


def get_task_context(obj: object) -> TaskContext:
    """``obj`` as a TaskContext, or a :class:`TerminalError` when it is not one."""
    if isinstance(obj, BaseTaskContext):  # fast path: runtime Protocol checks are slow
        return cast(TaskContext, obj)
    if isinstance(obj, TaskContext):
        return obj
    raise TerminalError(f"not a TaskContext: {type(obj).__name__}")


class _ContextLogAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Puts manifest, task and cluster on every record (as ``extra``), ours and Go's names.

    The message is left as the step wrote it, so a step's lines are Go's text (Go's task log
    carries ``manifestID``, ``taskID`` and ``EnrichWithResourceID``'s fields beside the
    message); :class:`mimo.logfields.FieldsFormatter` prints the fields after it.
    """

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**dict(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs


class BaseTaskContext:
    """The parts of a TaskContext that do not talk to a backend.

    Subclasses provide the clients and ``_save_cluster_document``.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        environment: Environment,
        cluster: OpenShiftClusterDocument | None,
        subscription: SubscriptionDocument | None,
        manifest: MaintenanceManifest | None = None,
        deadline: datetime | None = None,
        logger: logging.Logger | None = None,
        lease: LeaseGuard | None = None,
    ) -> None:
        self._clock = clock
        self._lease = lease
        self._environment = environment
        self._cluster = cluster
        self._subscription = subscription
        self._manifest = manifest
        self._deadline = deadline if deadline is not None else clock.now() + TASK_TIMEOUT
        self._result_message = ""
        extra = {
            "manifest_id": manifest.id if manifest else "",
            "task_id": manifest.maintenance_task_id if manifest else "",
            "cluster": cluster.resource_id if cluster else "",
            "manifestID": manifest.id if manifest else "",
            "taskID": manifest.maintenance_task_id if manifest else "",
            **(resource_fields(cluster.resource_id) if cluster else {}),
        }
        self._log = _ContextLogAdapter(logger or logging.getLogger("mimo.task"), extra)

    # -- time -----------------------------------------------------------------------------
    @property
    def deadline(self) -> datetime:
        return self._deadline

    def now(self) -> datetime:
        return self._clock.now()

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("cannot sleep a negative time")
        if self._clock.now() + timedelta(seconds=seconds) > self._deadline:
            raise TransientError(f"sleeping {seconds:g}s would pass the task deadline")
        self._clock.sleep(seconds)
        self.check_lease()  # a poll that outlived its lease goes no further

    def check_lease(self) -> None:
        """Raise :class:`mimo.errors.LeaseLost` when this host no longer holds the manifest's lease
        (the runner calls it before every step); a context without a lease always passes."""
        if self._lease is not None:
            self._lease.check()

    # -- plain data -------------------------------------------------------------------------
    def environment(self) -> Environment:
        return self._environment

    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        return self._log

    def set_result_message(self, text: str) -> None:
        self._result_message = str(text)

    @property
    def result_message(self) -> str:
        return self._result_message

    def _need_cluster(self) -> OpenShiftClusterDocument:
        if self._cluster is None:
            raise self._unavailable("cluster document", "cluster document")
        return self._cluster

    def get_cluster_uuid(self) -> str:
        return self._need_cluster().id

    def get_openshift_cluster_document(self) -> OpenShiftClusterDocument:
        return self._need_cluster()

    def get_openshift_cluster_properties(self) -> OpenShiftClusterProperties:
        return self._need_cluster().properties

    def get_subscription_document(self) -> SubscriptionDocument:
        if self._subscription is None:
            raise self._unavailable("subscription document", "subscription document")
        return self._subscription

    def patch_openshift_cluster_document(self, mutator: ClusterMutator) -> OpenShiftClusterDocument:
        doc = self._save_cluster_document(self._need_cluster().resource_id, mutator)
        self._cluster = doc
        return doc

    def _save_cluster_document(self, resource_id: str, mutator: ClusterMutator) -> OpenShiftClusterDocument:
        raise self._unavailable("patch_openshift_cluster_document", "store")

    def _msi_audience(self) -> str:
        """The environment's MSI RP endpoint (the data plane's token audience), or :class:`Unavailable`."""
        audience = self._environment.msi_rp_endpoint
        if not audience:
            raise Unavailable("msi_dataplane: the environment has no msi_rp_endpoint (MIMO_MSI_RP_ENDPOINT)")
        return audience

    def _unavailable(self, member: str, what: str) -> Unavailable:
        return Unavailable(f"{member}: this TaskContext has no {what}")
