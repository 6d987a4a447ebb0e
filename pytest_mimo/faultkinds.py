"""The one table of fault kinds, per target: what ``inject`` accepts, what replays draw,
what the gate counts and what the guide lists.

Every kind names the requests it applies to and how many times in a row it comes
when it comes as a *burst*: a fault the client retries by itself must outlast those
retries to reach the step (the Azure SDK's ``RetryPolicy`` retries 429/5xx
``retry_status=3`` times and a dropped connection — ``ServiceResponseError`` —
``retry_read=3`` times, see azure-core ``pipeline/policies/_retry.py``; urllib3's
default ``Retry(3)`` under the kubernetes client retries a dropped connection 3 times;
the kubernetes client itself retries no 429/5xx).

``applies`` is one of

- ``any``: every request but discovery (and, on Azure, the token request),
- ``write``: requests that would change state,
- ``update``: kube writes to an existing object (not a create),
- ``arm_write``: Azure Resource Manager PUT/PATCH of a resource,
- ``lro``: Azure writes that run as long-running operations,
- ``token``: the AAD token request,
- ``patch``: the cluster document patch in the store,
- ``step``: a step boundary.

The *crash* kinds at a write (``crash_before_write``, ``crash_after_write``) are
``explore_only``: exhaustive exploration (``--mimo-explore=exhaustive``) and
``inject`` use them; seeded random replays neither target nor draw them, so that
a seed replays as it did before they existed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KindSpec", "KINDS", "CRASH_WRITE_KINDS", "kinds_of", "spec_of", "TARGET_NAMES", "markdown_table"]

#: azure-core RetryPolicy: retry_status=3, retry_read=3 (so 4 requests in a row reach the step)
_AZURE_BURST = 4
#: urllib3 Retry(3) under the kubernetes client, for dropped connections
_URLLIB3_BURST = 4
#: the kubernetes client retries no 429/5xx: a second one in a row is a burst already
_KUBE_BURST = 2

_CRASH_BEFORE = ("the process dies as it is about to send the write: nothing applied, no later request "
                 "or step of the attempt happens; the lease runs out and the manifest is dequeued again")
_CRASH_AFTER = ("the write IS applied, then the process dies before it reads the response: no later "
                "request or step of the attempt happens; the lease runs out and the manifest is dequeued again")


@dataclass(frozen=True)
class KindSpec:
    name: str
    target: str
    applies: str
    burst: int  #: requests in a row when it comes as a burst (1: never a burst)
    played: str  #: what the fake (or harness) does, one line
    explore_only: bool = False  #: a site of exhaustive exploration only (random replays never draw it)

    def describe(self) -> str:
        return f"{self.target}.{self.name}: {self.played}"


KINDS: dict[str, tuple[KindSpec, ...]] = {
    "kube": (
        KindSpec("throttle", "kube", "any", _KUBE_BURST, "429 with Retry-After (API Priority and Fairness); nothing applied"),
        KindSpec("server_error", "kube", "any", _KUBE_BURST, "500 InternalError (etcd leader changed); nothing applied"),
        KindSpec("unavailable", "kube", "any", _KUBE_BURST, "503 ServiceUnavailable; nothing applied"),
        KindSpec("timeout", "kube", "any", _KUBE_BURST, "504 Timeout; nothing applied"),
        KindSpec("connection_reset", "kube", "any", _URLLIB3_BURST, "the connection drops before any response; nothing applied"),
        KindSpec("conflict", "kube", "update", 1, "another writer changes the object first (new resourceVersion, an "
                 "annotation it sets): a write with the old resourceVersion gets 409 Conflict, one without overwrites it"),
        KindSpec("lost_response", "kube", "write", 1, "the write IS applied, then the connection drops with no response"),
        KindSpec("crash_before_write", "kube", "write", 1, _CRASH_BEFORE, explore_only=True),
        KindSpec("crash_after_write", "kube", "write", 1, _CRASH_AFTER, explore_only=True),
    ),
    "azure": (
        KindSpec("throttle", "azure", "any", _AZURE_BURST, "429 with Retry-After (ARM subscription throttling); nothing applied"),
        KindSpec("server_error", "azure", "any", _AZURE_BURST, "500 InternalServerError; nothing applied"),
        KindSpec("unavailable", "azure", "any", _AZURE_BURST, "503 ServiceUnavailable; nothing applied"),
        KindSpec("timeout", "azure", "any", _AZURE_BURST, "504 GatewayTimeout; nothing applied"),
        KindSpec("connection_reset", "azure", "any", _AZURE_BURST, "the connection drops before any response (the SDK "
                 "raises ServiceResponseError once its retries are spent); nothing applied"),
        KindSpec("lost_response", "azure", "write", _AZURE_BURST, "the write IS applied, then the connection drops; "
                 "as a burst it outlasts the SDK's retries"),
        KindSpec("lro_failed", "azure", "lro", 1, "accepted, then the operation ends Failed (provisioningState Failed)"),
        KindSpec("token_error", "azure", "token", 1, "the AAD token endpoint answers 503 temporarily_unavailable"),
        KindSpec("concurrent_write", "azure", "arm_write", 1, "another writer PUTs the resource first (a new etag, a "
                 "tag it sets): If-Match with the old etag gets 412, a PUT of a stale read loses its change"),
        KindSpec("crash_before_write", "azure", "write", 1, _CRASH_BEFORE, explore_only=True),
        KindSpec("crash_after_write", "azure", "write", 1, _CRASH_AFTER, explore_only=True),
    ),
    "store": (
        KindSpec("concurrent_write", "store", "patch", 1, "another writer patches the cluster document between the "
                 "patch's read and its conditional write (the store's optimistic-concurrency retry runs)"),
        KindSpec("crash_before_write", "store", "patch", 1, _CRASH_BEFORE, explore_only=True),
        KindSpec("crash_after_write", "store", "patch", 1, _CRASH_AFTER, explore_only=True),
    ),
    "step": (
        KindSpec("crash_after_step", "step", "step", 1, "the process dies after the step (no later step runs; "
                 "the lease runs out and the manifest is dequeued again)"),
        KindSpec("pause_past_lease", "step", "step", 1, "the host freezes after the step past its lease; another "
                 "host runs the same manifest meanwhile; then the first resumes (it must write nothing more)"),
    ),
}

TARGET_NAMES = tuple(KINDS)


def kinds_of(target: str, *, explore_only: bool = False) -> tuple[str, ...]:
    """The kind names of ``target`` (empty for an unknown target): those random replays, the
    fakes and simulations play; with ``explore_only`` also the crash kinds at a write."""
    return tuple(k.name for k in KINDS.get(target, ()) if explore_only or not k.explore_only)


#: the kinds at a write that stop the process (exhaustive exploration's crash sites)
CRASH_WRITE_KINDS = ("crash_before_write", "crash_after_write")


def spec_of(target: str, name: str) -> KindSpec | None:
    for k in KINDS.get(target, ()):
        if k.name == name:
            return k
    return None


def markdown_table() -> str:
    """The table as the guide (docs/writing-tasks.md) shows it; a test keeps them equal."""
    lines = ["| target | kind | applies to | burst | what happens |", "|---|---|---|---|---|"]
    for target, specs in KINDS.items():
        for k in specs:
            only = " (exhaustive exploration and `inject` only)" if k.explore_only else ""
            lines.append(f"| {target} | `{k.name}` | {k.applies} | {k.burst} | {k.played}{only} |")
    return "\n".join(lines)
