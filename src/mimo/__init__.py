"""pymimo: the Managed Infrastructure Maintenance Operator runtime."""

from __future__ import annotations

from mimo.api import (
    MaintenanceManifest,
    MaintenanceSchedule,
    OpenShiftClusterDocument,
    SubscriptionDocument,
)
from mimo.context import TaskContext, get_task_context
from mimo.environment import Environment
from mimo.errors import MIMOError, TerminalError, TransientError, is_retryable
from mimo.runner import action, condition, run_steps

__version__ = "0.1.0"

__all__ = [
    "Environment",
    "MIMOError",
    "MaintenanceManifest",
    "MaintenanceSchedule",
    "OpenShiftClusterDocument",
    "SubscriptionDocument",
    "TaskContext",
    "TerminalError",
    "TransientError",
    "action",
    "condition",
    "get_task_context",
    "is_retryable",
    "run_steps",
]
