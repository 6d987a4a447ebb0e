"""The actuator: leases and executes maintenance manifests.

:class:`Actuator` runs one pass over one cluster (``process``);
:class:`ActuatorService` runs passes for every cluster with work, several at
a time; :mod:`mimo.actuator.context` builds the production TaskContext.
"""

from __future__ import annotations

from mimo.actuator.actuator import (
    LEASE_SECONDS,
    MAX_DEQUEUES,
    UNKNOWN_TASK_TEXT,
    Actuator,
    SubscriptionFetchError,
    default_owner,
    format_time,
)
from mimo.actuator.context import (
    ContextFactory,
    ContextRequest,
    ProductionTaskContext,
    production_context,
)
from mimo.actuator.lease import LeaseRenewer
from mimo.actuator.service import ActuatorService

__all__ = [
    "Actuator",
    "ActuatorService",
    "ContextFactory",
    "ContextRequest",
    "LEASE_SECONDS",
    "LeaseRenewer",
    "MAX_DEQUEUES",
    "ProductionTaskContext",
    "SubscriptionFetchError",
    "UNKNOWN_TASK_TEXT",
    "default_owner",
    "format_time",
    "production_context",
]
