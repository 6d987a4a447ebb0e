"""``DeleteOptions`` and the store's delete rules, as kube-apiserver applies them.

Nothing here knows about HTTP or the store; :mod:`.models` calls these under its lock.

* **Options** (:func:`parse_delete_options`): from the body when there is one, else from
  the query (``handlers/delete.go`` ``DeleteResource``: a body's options win, the query is
  then not read), validated by apimachinery's ``ValidateDeleteOptions``
  (``pkg/apis/meta/v1/validation/validation.go``): an unknown ``propagationPolicy``,
  ``orphanDependents`` together with a policy, or a ``dryRun`` other than ``All`` is a 422
  ``DeleteOptions.meta.k8s.io "" is invalid: …``.
* **Garbage-collection finalizers** (:func:`gc_finalizers`): ``store.go``
  ``deletionFinalizersForGarbageCollection`` — ``Orphan`` adds ``orphan``, ``Foreground``
  adds ``foregroundDeletion``, ``Background`` removes both; without options the object's
  own finalizers decide, then the kind's default (``DeleteDependents`` for every kind the
  fake serves).
* **Marking** (:func:`mark_as_deleting`): ``store.go`` ``markAsDeleting`` —
  ``deletionTimestamp`` now (kept if already set), ``deletionGracePeriodSeconds: 0``,
  ``generation`` + 1 the first time.

``gracePeriodSeconds`` only matters to kinds with a graceful delete strategy (Pods,
``rest.BeforeDelete``); the fake serves none, so it is accepted and, as on a real server
for these kinds, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .apierrors import ApiError
from .fielderrors import FieldError, GoValue, invalid, not_supported

__all__ = [
    "DeleteOptions",
    "parse_delete_options",
    "gc_finalizers",
    "mark_as_deleting",
    "ORPHAN_FINALIZER",
    "FOREGROUND_FINALIZER",
    "POLICIES",
]

Obj = dict[str, Any]

#: ``metav1.FinalizerOrphanDependents`` / ``metav1.FinalizerDeleteDependents``
ORPHAN_FINALIZER = "orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"
#: ``metav1.DeletePropagationForeground``, ``…Background``, ``…Orphan``
POLICIES = ("Foreground", "Background", "Orphan")


@dataclass
class DeleteOptions:
    """One delete's options (``metav1.DeleteOptions``)."""

    grace_period_seconds: int | None = None
    preconditions: dict[str, Any] = field(default_factory=dict)
    orphan_dependents: bool | None = None
    propagation_policy: str | None = None
    dry_run: list[str] = field(default_factory=list)

    @property
    def is_dry_run(self) -> bool:
        return bool(self.dry_run)


def _go_strings(values: list[str]) -> GoValue:
    """``%#v`` of a ``[]string``."""
    import json

    return GoValue("[]string{" + ", ".join(json.dumps(v) for v in values) + "}")


def validate_delete_options(opts: DeleteOptions) -> list[FieldError]:
    """``ValidateDeleteOptions``: the field errors, in its order."""
    errs: list[FieldError] = []
    if opts.orphan_dependents is not None and opts.propagation_policy is not None:
        errs.append(
            invalid(
                "propagationPolicy",
                opts.propagation_policy,
                "orphanDependents and deletionPropagation cannot be both set",
            )
        )
    if opts.propagation_policy is not None and opts.propagation_policy not in POLICIES:
        errs.append(not_supported("propagationPolicy", opts.propagation_policy, [*POLICIES, "nil"]))
    errs.extend(dry_run_errors(opts.dry_run))
    return errs


def dry_run_errors(dry_run: list[str]) -> list[FieldError]:
    """``ValidateDryRun``: every value must be ``All``."""
    if any(v != "All" for v in dry_run):
        return [not_supported("dryRun", _go_strings(dry_run), ["All"])]
    return []


def options_invalid(options_kind: str, errs: list[FieldError]) -> ApiError:
    """``errors.NewInvalid(schema.GroupKind{Group: "meta.k8s.io", Kind: <kind>}, "", errs)``."""
    seen: list[str] = []
    for e in errs:
        if str(e) not in seen:
            seen.append(str(e))
    aggregate = seen[0] if len(seen) == 1 else "[" + ", ".join(seen) + "]"
    return ApiError(
        422,
        "Invalid",
        f'{options_kind}.meta.k8s.io "" is invalid: {aggregate}',
        {
            "group": "meta.k8s.io",
            "kind": options_kind,
            "causes": [{"reason": e.type, "message": e.body(), "field": e.field} for e in errs],
        },
    )


def _query_int(query: dict[str, list[str]], key: str) -> int | None:
    values = query.get(key)
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        raise ApiError.bad_request(
            f'strconv.ParseInt: parsing "{values[0]}": invalid syntax'
        ) from None


def _query_bool(query: dict[str, list[str]], key: str) -> bool | None:
    values = query.get(key)
    if not values:
        return None
    text = values[0]
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ApiError.bad_request(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def parse_delete_options(body: Any, query: dict[str, list[str]]) -> DeleteOptions:
    """The delete's options: the decoded JSON ``body`` if not None, else the query; then
    ``ValidateDeleteOptions`` (422)."""
    opts = DeleteOptions()
    if body is not None:
        if not isinstance(body, dict):
            raise ApiError.bad_request(
                "json: cannot unmarshal " + ("array" if isinstance(body, list) else "string")
                + " into Go value of type v1.DeleteOptions"
            )
        grace = body.get("gracePeriodSeconds")
        if grace is not None:
            if isinstance(grace, bool) or not isinstance(grace, int):
                raise ApiError.bad_request(
                    "json: cannot unmarshal string into Go struct field "
                    "DeleteOptions.gracePeriodSeconds of type int64"
                )
            opts.grace_period_seconds = grace
        pre = body.get("preconditions")
        if isinstance(pre, dict):
            opts.preconditions = {k: v for k, v in pre.items() if v is not None}
        orphan = body.get("orphanDependents")
        if orphan is not None:
            opts.orphan_dependents = bool(orphan)
        policy = body.get("propagationPolicy")
        if policy is not None:
            opts.propagation_policy = str(policy)
        dry = body.get("dryRun")
        if isinstance(dry, list):
            opts.dry_run = [str(v) for v in dry]
    else:
        opts.grace_period_seconds = _query_int(query, "gracePeriodSeconds")
        opts.orphan_dependents = _query_bool(query, "orphanDependents")
        policy_values = query.get("propagationPolicy")
        if policy_values:
            opts.propagation_policy = policy_values[0]
        opts.dry_run = list(query.get("dryRun") or [])
    errs = validate_delete_options(opts)
    if errs:
        raise options_invalid("DeleteOptions", errs)
    return opts


def _first_gc_finalizer(finalizers: list[str]) -> str | None:
    """The first of the orphan / foreground finalizers an object carries (the one that decides)."""
    return next((f for f in finalizers if f in (ORPHAN_FINALIZER, FOREGROUND_FINALIZER)), None)


def _should_orphan(finalizers: list[str], opts: DeleteOptions) -> bool:
    """``shouldOrphanDependents`` (default policy ``DeleteDependents``)."""
    if opts.orphan_dependents is not None:
        return opts.orphan_dependents
    if opts.propagation_policy is not None:
        return opts.propagation_policy == "Orphan"
    return _first_gc_finalizer(finalizers) == ORPHAN_FINALIZER


def _should_delete_dependents(finalizers: list[str], opts: DeleteOptions) -> bool:
    """``shouldDeleteDependents``."""
    if opts.orphan_dependents is not None:
        return False
    if opts.propagation_policy is not None:
        return opts.propagation_policy == "Foreground"
    return _first_gc_finalizer(finalizers) == FOREGROUND_FINALIZER


def gc_finalizers(finalizers: list[str], opts: DeleteOptions) -> tuple[bool, list[str]]:
    """``deletionFinalizersForGarbageCollection``: (changed, the finalizers to keep)."""
    new = [f for f in finalizers if f not in (ORPHAN_FINALIZER, FOREGROUND_FINALIZER)]
    if _should_orphan(finalizers, opts):
        new.append(ORPHAN_FINALIZER)
    if _should_delete_dependents(finalizers, opts):
        new.append(FOREGROUND_FINALIZER)
    if set(new) == set(finalizers):
        return False, list(finalizers)
    return True, new


def namespace_gc_finalizers(finalizers: list[str], opts: DeleteOptions) -> list[str]:
    """The namespace store's ``Delete`` (``shouldHaveOrphanFinalizer`` /
    ``shouldHaveDeleteDependentsFinalizer``): only explicit options change them."""
    current = list(finalizers)

    def wanted(name: str, have: bool) -> bool:
        if opts.orphan_dependents is not None:
            return opts.orphan_dependents if name == ORPHAN_FINALIZER else not opts.orphan_dependents
        if opts.propagation_policy is not None:
            return opts.propagation_policy == ("Orphan" if name == ORPHAN_FINALIZER else "Foreground")
        return have

    for name in (ORPHAN_FINALIZER, FOREGROUND_FINALIZER):
        have = name in current
        if wanted(name, have) and not have:
            current.append(name)
        elif not wanted(name, have) and have:
            current.remove(name)
    return current


def mark_as_deleting(meta: Obj, now: str) -> None:
    """``markAsDeleting``: ``deletionTimestamp`` (kept when set: the fake's clock only moves
    forward), ``deletionGracePeriodSeconds: 0``, and ``generation`` bumped the first time."""
    if not meta.get("deletionTimestamp"):
        if int(meta.get("generation") or 0) > 0:
            meta["generation"] = int(meta["generation"]) + 1
        meta["deletionTimestamp"] = now
    meta["deletionGracePeriodSeconds"] = 0
