"""The kube-controller-manager parts every cluster runs and deletions depend on: the
namespace controller and the garbage collector, on the fake's store.

Both run as the fake's tickers (before each request it serves, and when the simulated
clock moves while a watch is open), under the store's lock, through the store's own delete
and update rules (:mod:`.deletion`, :mod:`.lifecycle`), so what they do is what a request
could do. Their writes wake no reaction and carry no request's managedFields.

**Namespace controller** (``pkg/controller/namespace/deletion``
``namespacedResourcesDeleter.Delete``): a namespace with a ``deletionTimestamp`` and the
``kubernetes`` finalizer in ``spec.finalizers`` is synced ``delay_seconds`` (virtual time,
default 0: the next tick) after the controller first sees it: phase ``Terminating``; every
namespaced object in it deleted as ``deletecollection`` with ``propagationPolicy:
Background`` does; the five deletion conditions written as ``status_condition_utils.go``
words them; content still there (held by its own finalizers) means a requeue after
``estimate/2 + 1`` seconds (estimate 15 s, ``finalizerEstimateSeconds``; the controller's
``AddAfter``); an empty namespace loses ``kubernetes`` from ``spec.finalizers``
(``finalizeNamespace``), which deletes it when nothing else holds it
(``ShouldDeleteNamespaceDuringUpdate``).

**Garbage collector** (``pkg/controller/garbagecollector`` ``attemptToDeleteItem``,
``processDeletingDependentsItem``, ``orphanDependents``): for an object with
``ownerReferences``, each owner is looked up by kind, name and namespace and is *solid*
(exists with that uid), *dangling* (absent, or another uid) or *waiting* (being deleted
with ``foregroundDeletion``). Some solid owner: the dangling and waiting references are
removed; else a waiting owner and dependents of its own: deleted ``Foreground``; else
deleted (``Orphan``/``Foreground`` if its finalizers say so, ``Background`` otherwise).
An owner with ``orphan``: its dependents lose their references to it, then it loses the
finalizer. An owner with ``foregroundDeletion`` loses it once no dependent with
``blockOwnerDeletion: true`` is left. An owner of a kind the fake does not serve is never
taken as gone (the real collector retries what it cannot resolve). The fake's collector
runs the cascade to its end in one tick (the real one takes milliseconds).
"""

from __future__ import annotations

import copy
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .deletion import FOREGROUND_FINALIZER, ORPHAN_FINALIZER, DeleteOptions
from .history import Change, History, TooOld
from .kinds import KindInfo
from .lifecycle import NAMESPACE_FINALIZER

if TYPE_CHECKING:
    from .models import KubeModel

__all__ = ["NamespaceController", "GarbageCollector", "ControllerManager"]

Obj = dict[str, Any]
Key = tuple[str, str]

#: ``finalizerEstimateSeconds``: what the deleter assumes an object's finalizers take
FINALIZER_ESTIMATE_SECONDS = 15
#: passes a tick makes at most (each pass is one step of every cascade)
MAX_PASSES = 50

#: condition types the namespace deleter maintains, in its order (``conditionTypes``),
#: with the reason and message each has when nothing is wrong (``okReasons``, ``okMessages``)
_CONDITIONS = (
    ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
    ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
    ("NamespaceDeletionContentFailure", "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
    ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
    ("NamespaceFinalizersRemaining", "ContentRemoved", "All content successfully removed"),
)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


#: the namespace controller's kind, as the change log names it
_NAMESPACE_GVK = ("v1", "Namespace")


def _namespace_info(model: KubeModel) -> KindInfo:
    return model.kind("v1", "Namespace")


class NamespaceController:
    """Empties and removes deleted namespaces (see the module docstring)."""

    def __init__(self, delay_seconds: float = 0.0) -> None:
        if delay_seconds < 0:
            raise ValueError(f"NamespaceController: delay_seconds must be >= 0, got {delay_seconds!r}")
        self.delay_seconds = float(delay_seconds)
        self._due: dict[str, float] = {}  # namespace uid -> when its next sync is due

    def __repr__(self) -> str:
        return f"NamespaceController(delay_seconds={self.delay_seconds:g}, terminating={len(self._due)})"

    def tick(self, model: KubeModel) -> None:
        ns_info = _namespace_info(model)
        now = time.time()
        live: set[str] = set()
        for key, ns in model.items(ns_info):
            meta = ns["metadata"]
            if not meta.get("deletionTimestamp"):
                continue
            if NAMESPACE_FINALIZER not in ((ns.get("spec") or {}).get("finalizers") or ()):
                continue
            uid = str(meta.get("uid", ""))
            live.add(uid)
            due = self._due.get(uid)
            if due is None or due > now + max(self.delay_seconds, FINALIZER_ESTIMATE_SECONDS):
                # first sight (or the clock went back)
                due = self._due[uid] = now + self.delay_seconds
            if now < due:
                continue
            if self.sync(model, key):
                self._due[uid] = now + FINALIZER_ESTIMATE_SECONDS // 2 + 1
            else:
                live.discard(uid)
        for uid in [u for u in self._due if u not in live]:
            del self._due[uid]

    def sync(self, model: KubeModel, key: Key) -> bool:
        """One ``Delete(nsName)``: True while content remains (a requeue)."""
        ns_info = _namespace_info(model)
        ns = model.items_get(ns_info, key)
        if ns is None:
            return False
        name = key[1]
        if (ns.get("status") or {}).get("phase") != "Terminating":  # updateNamespaceStatusFunc
            model.write_status(ns_info, key, {**(ns.get("status") or {}), "phase": "Terminating"})
        remaining: dict[str, int] = {}
        finalizers: dict[str, int] = {}
        background = DeleteOptions(propagation_policy="Background")
        for info in list(model.iter_kinds()):
            if not info.namespaced:
                continue
            for (ns_name, obj_name), obj in model.items(info):
                if ns_name != name or obj["metadata"].get("deletionTimestamp"):
                    continue
                model.delete(info, name, obj_name, options=copy.deepcopy(background))
            left = [o for (n, _), o in model.items(info) if n == name]
            if left:
                remaining[f"{info.plural}.{info.group}"] = len(left)
                for o in left:
                    for f in o["metadata"].get("finalizers") or ():
                        finalizers[f] = finalizers.get(f, 0) + 1
        ns = model.items_get(ns_info, key)
        if ns is None:
            return False
        status = copy.deepcopy(ns.get("status") or {})
        if self._update_conditions(status, remaining, finalizers):
            model.write_status(ns_info, key, status)
        if remaining:
            return True
        ns = model.items_get(ns_info, key)
        if ns is None:
            return False
        finalized = copy.deepcopy(ns)  # finalizeNamespace: the others, as a sorted set
        others = sorted({f for f in finalized["spec"].get("finalizers") or () if f != NAMESPACE_FINALIZER})
        finalized["spec"]["finalizers"] = others
        if not others:
            finalized["spec"].pop("finalizers")
        model.finish(ns_info, key, finalized)
        return False

    @staticmethod
    def _update_conditions(status: Obj, remaining: dict[str, int], finalizers: dict[str, int]) -> bool:
        """``ProcessContentTotals`` and ``updateConditions``: whether anything changed."""
        failing: dict[str, tuple[str, str]] = {}
        if remaining:
            listed = sorted(f"{gr} has {n} resource instances" for gr, n in remaining.items())
            failing["NamespaceContentRemaining"] = (
                "SomeResourcesRemain",
                "Some resources are remaining: " + ", ".join(listed),
            )
        if finalizers:
            listed = sorted(f"{f} in {n} resource instances" for f, n in finalizers.items())
            failing["NamespaceFinalizersRemaining"] = (
                "SomeFinalizerRemain",
                "Some finalizers are remaining: " + ", ".join(listed),
            )
        conditions: list[Obj] = list(status.get("conditions") or [])
        changed = False
        now = _now()
        for ctype, ok_reason, ok_message in _CONDITIONS:
            state, reason, message = ("True", *failing[ctype]) if ctype in failing else ("False", ok_reason, ok_message)
            old = next((c for c in conditions if c.get("type") == ctype), None)
            if old is None:
                conditions.append(
                    {"type": ctype, "status": state, "lastTransitionTime": now, "reason": reason, "message": message}
                )
                changed = True
            elif (old.get("status"), old.get("reason"), old.get("message")) != (state, reason, message):
                if old.get("status") != state:
                    old["lastTransitionTime"] = now
                old.update(status=state, reason=reason, message=message)
                changed = True
        status["conditions"] = conditions
        return changed


class GarbageCollector:
    """Deletes dependents over ``ownerReferences`` (see the module docstring)."""

    def __init__(self) -> None:
        self._seq = -1  # the change log's next sequence number when last looked at; -1: scan
        self._epoch = -1
        self._dependents = False  # whether the last scan found any ownerReferences

    def __repr__(self) -> str:
        return "GarbageCollector()"

    def _relevant(self, model: KubeModel) -> bool:
        """Did anything change since the last tick that could give the collector work?"""
        history = model.history
        if self._seq < 0 or history.epoch != self._epoch:
            return True
        try:
            changes = history.since_seq(self._seq)
        except TooOld:
            return True
        return any(self.touches(c) for c in changes)

    def touches(self, c: Change) -> bool:
        """Could this change give the collector work (an object with owners, an owner being
        deleted with ``orphan`` or ``foregroundDeletion``, or a deletion while dependents exist)?"""
        for o in (c.object, c.old):
            meta = (o or {}).get("metadata") or {}
            if meta.get("ownerReferences") or (
                meta.get("deletionTimestamp")
                and {ORPHAN_FINALIZER, FOREGROUND_FINALIZER} & set(meta.get("finalizers") or ())
            ):
                return True
        return c.type == "DELETED" and self._dependents

    def skip_to(self, seq: int) -> None:
        """Move past changes none of which :meth:`touches` (what :meth:`tick` does with them)."""
        self._seq = seq

    def primed(self, history: History) -> bool:
        """Has the collector scanned this change log (its epoch) before?"""
        return self._seq >= 0 and history.epoch == self._epoch

    def tick(self, model: KubeModel) -> None:
        if not self._relevant(model):
            self._seq = model.history.next_seq
            return
        for _ in range(MAX_PASSES):
            if not self._pass(model):
                break
        self._seq, self._epoch = model.history.next_seq, model.history.epoch

    # -- one pass -------------------------------------------------------------

    def _pass(self, model: KubeModel) -> bool:
        everything: list[tuple[KindInfo, Key, Obj]] = [
            (info, key, obj) for info in list(model.iter_kinds()) for key, obj in model.items(info)
        ]
        dependents: dict[str, list[tuple[KindInfo, Key, Obj, Obj]]] = {}
        for info, key, obj in everything:
            for ref in obj["metadata"].get("ownerReferences") or ():
                if isinstance(ref, dict) and ref.get("uid"):
                    dependents.setdefault(str(ref["uid"]), []).append((info, key, obj, ref))
        self._dependents = bool(dependents)
        changed = False
        for info, key, obj in everything:
            meta = obj["metadata"]
            if not meta.get("deletionTimestamp"):
                continue
            fins = meta.get("finalizers") or []
            uid = str(meta.get("uid", ""))
            if ORPHAN_FINALIZER in fins:
                for d_info, d_key, _, _ in dependents.get(uid, ()):
                    changed |= self._drop_refs(model, d_info, d_key, {uid})
                changed |= self._drop_finalizer(model, info, key, ORPHAN_FINALIZER)
            elif FOREGROUND_FINALIZER in fins:
                blocking = [
                    d for d in dependents.get(uid, ()) if d[3].get("blockOwnerDeletion") is True
                ]
                if not blocking:
                    changed |= self._drop_finalizer(model, info, key, FOREGROUND_FINALIZER)
        if changed:
            return True
        for info, key, obj in everything:
            refs = [r for r in obj["metadata"].get("ownerReferences") or () if isinstance(r, dict)]
            if refs and self._attempt_to_delete(model, info, key, obj, refs, dependents):
                changed = True
        return changed

    @staticmethod
    def _owner_state(model: KubeModel, key: Key, ref: Obj) -> str:
        """solid, dangling, waiting or unknown (a kind the fake does not serve)."""
        try:
            info = model.kind(str(ref.get("apiVersion")), str(ref.get("kind")))
        except KeyError:
            return "unknown"
        if info.namespaced and not key[0]:
            return "unknown"  # a cluster-scoped dependent's namespaced owner: unresolvable
        owner = model.items_get(info, (key[0] if info.namespaced else "", str(ref.get("name"))))
        if owner is None or str(owner["metadata"].get("uid")) != str(ref.get("uid")):
            return "dangling"
        meta = owner["metadata"]
        if meta.get("deletionTimestamp") and FOREGROUND_FINALIZER in (meta.get("finalizers") or ()):
            return "waiting"
        return "solid"

    def _attempt_to_delete(
        self,
        model: KubeModel,
        info: KindInfo,
        key: Key,
        obj: Obj,
        refs: list[Obj],
        dependents: dict[str, list[Any]],
    ) -> bool:
        meta = obj["metadata"]
        fins = meta.get("finalizers") or []
        if meta.get("deletionTimestamp") and FOREGROUND_FINALIZER not in fins:
            return False  # being deleted already
        if meta.get("deletionTimestamp"):
            return False  # deleting its own dependents first: processDeletingDependentsItem
        states = {str(r.get("uid")): self._owner_state(model, key, r) for r in refs}
        solid = [u for u, s in states.items() if s in ("solid", "unknown")]
        gone = {u for u, s in states.items() if s in ("dangling", "waiting")}
        if solid:
            return self._drop_refs(model, info, key, gone) if gone else False
        if "waiting" in states.values() and dependents.get(str(meta.get("uid"))):
            policy = "Foreground"
        elif ORPHAN_FINALIZER in fins:
            policy = "Orphan"
        elif FOREGROUND_FINALIZER in fins:
            policy = "Foreground"
        else:
            policy = "Background"
        before = model.items_get(info, key)
        model.delete(info, key[0] or None, key[1], options=DeleteOptions(propagation_policy=policy))
        return model.items_get(info, key) is not before

    @staticmethod
    def _drop_refs(model: KubeModel, info: KindInfo, key: Key, uids: set[str]) -> bool:
        obj = model.items_get(info, key)
        if obj is None:
            return False
        refs = obj["metadata"].get("ownerReferences") or []
        kept = [r for r in refs if str((r or {}).get("uid")) not in uids]
        if len(kept) == len(refs):
            return False
        new = copy.deepcopy(obj)
        if kept:
            new["metadata"]["ownerReferences"] = kept
        else:
            new["metadata"].pop("ownerReferences", None)
        model.finish(info, key, new)
        return True

    @staticmethod
    def _drop_finalizer(model: KubeModel, info: KindInfo, key: Key, finalizer: str) -> bool:
        obj = model.items_get(info, key)
        if obj is None or finalizer not in (obj["metadata"].get("finalizers") or ()):
            return False
        new = copy.deepcopy(obj)
        kept = [f for f in new["metadata"]["finalizers"] if f != finalizer]
        if kept:
            new["metadata"]["finalizers"] = kept
        else:
            new["metadata"].pop("finalizers")
        model.finish(info, key, new)
        return True


class ControllerManager:
    """The fake cluster's controllers that deletions need, ticked together."""

    def __init__(self, model: KubeModel) -> None:
        self.model = model
        self.namespace_controller = NamespaceController()
        self.garbage_collector = GarbageCollector()
        #: the change log's (epoch, next sequence number) after the last tick: while it stays there
        #: and no namespace is terminating, a tick has nothing to read (the collector works only
        #: from changes; the namespace controller only on terminating namespaces, each a change)
        self._ticked_at: tuple[int, int] | None = None

    def tick(self) -> None:
        model = self.model
        with model.lock:
            history = model.history
            if not self.namespace_controller._due and self._nothing_to_do(history):
                return
            with model.controller_writes():
                self.garbage_collector.tick(model)
                self.namespace_controller.tick(model)
                self.garbage_collector.tick(model)
            self._ticked_at = (history.epoch, history.next_seq)

    def _nothing_to_do(self, history: History) -> bool:
        """Has nothing that either controller reads changed since the last tick (no namespace is
        terminating: the caller checks)? The namespace controller reads namespaces only (a
        namespace turns terminating in a change of its own); the collector reads the changes
        that :meth:`GarbageCollector.touches`. Then the tick is skipped and the collector moves
        past the changes, as its own tick would (each write to an unrelated kind was a whole
        tick of both controllers: 16 us of a Deployment update's ~230 us)."""
        ticked = self._ticked_at
        if ticked is None or ticked[0] != history.epoch:
            return False
        try:
            # the changes since (one look at the log: none is the usual case of a read); the log
            # never drops what comes after its next sequence number, so none is no TooOld
            changes = history.since_seq(ticked[1])
        except TooOld:
            return False
        if not changes:
            return True
        gc = self.garbage_collector
        if not gc.primed(history):
            return False
        touches = gc.touches
        for c in changes:
            if c.gvk == _NAMESPACE_GVK or touches(c):
                return False
        seq = ticked[1] + len(changes)
        gc.skip_to(seq)
        self._ticked_at = (history.epoch, seq)
        return True
