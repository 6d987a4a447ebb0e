"""Azure Resource Manager state shared by every resource provider.

Resources are kept by lower-cased resource ID (ARM IDs are case-insensitive;
the casing of the first write is kept in the body). Resource groups must exist
before anything is put in them. Long-running operations are plain data
(:class:`Operation`): they finish when ``time.time()`` reaches ``done_at``,
checked lazily by :meth:`ArmState.settle` before every read or write.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ArmState", "Operation", "ResourceGroup", "set_provisioning_state"]


@dataclass
class ResourceGroup:
    name: str
    location: str = "eastus"


@dataclass
class Operation:
    """A long-running operation: ``kind`` is ``put``, ``delete`` or ``action``."""

    id: str
    kind: str
    resource_id: str  #: lower-cased
    done_at: float
    location: str
    namespace: str
    subscription: str = ""
    outcome: str = "Succeeded"  #: final status: Succeeded or Failed
    result: Any = None  #: body served on the Location URL once done (actions)
    settled: bool = False
    #: the resource before the operation (None for a create): a failed update reverts to it
    previous: dict[str, Any] | None = None

    def status(self, now: float) -> str:
        return self.outcome if now >= self.done_at else "InProgress"


@dataclass
class ArmState:
    """Resources of one or more subscriptions (``subscription_id`` is the primary one)."""

    subscription_id: str
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, ResourceGroup] = field(default_factory=dict)  #: "<sub>/<rg>" lower-cased -> group
    operations: dict[str, Operation] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  #: IDs of operations not settled yet
    hidden: dict[str, Any] = field(default_factory=dict)  #: per-resource data ARM never returns
    subscriptions: set[str] = field(default_factory=set)  #: lower-cased

    def __post_init__(self) -> None:
        self.subscription_id = self.subscription_id.lower()
        self.subscriptions.add(self.subscription_id)

    # -- resource groups ----------------------------------------------------------------
    def _gkey(self, name: str, subscription: str | None) -> str:
        return f"{(subscription or self.subscription_id).lower()}/{name.lower()}"

    def add_group(self, name: str, location: str = "eastus", subscription: str | None = None) -> ResourceGroup:
        key = self._gkey(name, subscription)
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = ResourceGroup(name, location)
        return g

    def group(self, name: str, subscription: str | None = None) -> ResourceGroup | None:
        return self.groups.get(self._gkey(name, subscription))

    # -- resources ----------------------------------------------------------------------
    def get(self, resource_id: str) -> dict[str, Any] | None:
        return self.resources.get(resource_id.lower())

    def put(self, resource_id: str, body: dict[str, Any]) -> None:
        self.resources[resource_id.lower()] = body

    def delete(self, resource_id: str) -> dict[str, Any] | None:
        key = resource_id.lower()
        for k in [k for k in self.resources if k.startswith(key + "/")]:  # children go with the parent
            del self.resources[k]
        self.hidden.pop(key, None)
        return self.resources.pop(key, None)

    def children(self, parent_id: str, type_segment: str) -> list[dict[str, Any]]:
        """Direct children ``<parent>/<type_segment>/<name>``, sorted by ID."""
        prefix = f"{parent_id.lower()}/{type_segment.lower()}/"
        return [
            self.resources[k]
            for k in sorted(self.resources)
            if k.startswith(prefix) and "/" not in k[len(prefix) :]
        ]

    def in_group(self, group: str, full_type: str, subscription: str | None = None) -> list[dict[str, Any]]:
        """Resources of ``full_type`` (e.g. ``microsoft.network/loadbalancers``) in a group."""
        sub = subscription or self.subscription_id
        prefix = f"/subscriptions/{sub}/resourcegroups/{group}/providers/".lower()
        t = full_type.lower().split("/")
        out = []
        for k in sorted(self.resources):
            if not k.startswith(prefix):
                continue
            segs = k[len(prefix) :].split("/")
            if len(segs) == 2 * len(t) - 1 and segs[0] == t[0] and segs[1::2] == t[1:]:
                out.append(self.resources[k])
        return out

    def of_type(self, full_type: str, subscription: str | None = None) -> list[dict[str, Any]]:
        sub = (subscription or self.subscription_id).lower()
        out = []
        for key in sorted(self.groups):
            g_sub, _, g_name = key.partition("/")
            if g_sub == sub:
                out.extend(self.in_group(g_name, full_type, sub))
        return out

    # -- long-running operations -----------------------------------------------------------
    def start(self, op: Operation) -> Operation:
        self.operations[op.id] = op
        self.pending.append(op.id)
        return op

    def settle(self) -> None:
        """Finish every operation whose time has come."""
        if not self.pending:
            return
        now = time.time()
        still = []
        for op_id in self.pending:
            op = self.operations[op_id]
            if now < op.done_at:
                still.append(op_id)
                continue
            op.settled = True
            body = self.resources.get(op.resource_id)
            if op.outcome != "Succeeded":
                # the ARM RPC (async-api-reference.md, "Creating or Updating Resources" 5.): the
                # resource enters the terminal state Failed; a failed update's properties go back
                # to what they were, a failed create stays (visible, deletable, re-PUT-able)
                if op.kind == "put" and op.previous is not None:
                    body = copy.deepcopy(op.previous)
                    self.resources[op.resource_id] = body
                if body is not None and op.kind in ("put", "delete"):
                    set_provisioning_state(body, "Failed")
                continue
            if op.kind == "delete":
                if body is not None:
                    self.delete(op.resource_id)
            elif op.kind == "put" and body is not None:
                set_provisioning_state(body, "Succeeded")
        self.pending = still


def set_provisioning_state(body: dict[str, Any], state: str) -> None:
    """``provisioningState`` of a resource and of its sub-resources (frontend IPs, pools, IP configurations…)."""
    props = body.setdefault("properties", {})
    props["provisioningState"] = state
    for value in props.values():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and isinstance(item.get("properties"), dict):
                    item["properties"]["provisioningState"] = state
