"""``metadata.managedFields``: who owns which fields, kept on every write, and server-side apply.

The field manager chain of apimachinery ``pkg/util/managedfields/internal``
(``fieldmanager.go``, ``skipnonapplied.go``, ``capmanagers.go``, ``buildmanagerinfo.go``,
``managedfieldsupdater.go``, ``stripmeta.go``, ``structuredmerge.go``, ``managedfields.go``,
``conflict.go``, ``lastappliedmanager.go``, ``lastappliedupdater.go``) and the updater of
structured-merge-diff (``merge/update.go``), read and rewritten:

* a write that is no apply (create, update, any other patch) gives its manager (the
  ``fieldManager`` parameter, else the User-Agent up to its first ``/``) the fields it
  added or changed, taking them from any other manager; removed fields leave every
  manager; an object without managedFields is not tracked again once it exists;
* an apply merges the configuration into the live object (:func:`.fieldpaths.merge`),
  gives the applier exactly the configuration's fields, removes what it applied last
  time and applies no more unless someone else owns it, and refuses with a conflict when
  it would change a field another manager owns (``force`` takes them over);
* entries are ``{manager, operation, apiVersion, time, fieldsType, fieldsV1[, subresource]}``,
  sorted as the server sorts them; ``managedFields: []`` (or ``[{}]``) in a write clears them.

Approximation: the Go zero value of a kind (what a create is compared against) is known
here only as far as ``metadata``/``spec``/``status``; nested non-pointer structs of a create
therefore carry a ``.`` in their ``fieldsV1`` where a real server writes none.
"""

from __future__ import annotations

import contextvars
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from . import fieldpaths as fp
from .schemas import Node

__all__ = [
    "Conflict",
    "ApplyConflict",
    "WriteContext",
    "write_context",
    "current",
    "manager_from_user_agent",
    "track_update",
    "apply",
    "conflict_message",
    "LAST_APPLIED",
]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_MAX_UPDATE_MANAGERS = 10
_STRIP: fp.FieldSet = {
    (("f", "apiVersion"),),
    (("f", "kind"),),
    (("f", "metadata"),),
    *((("f", "metadata"), ("f", k)) for k in (
        "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName",
        "generation", "managedFields", "resourceVersion",
    )),
}  # fmt: skip


@dataclass(frozen=True)
class Manager:
    """A manager's identity (``BuildManagerIdentifier``): an apply entry has no apiVersion."""

    manager: str
    operation: str
    api_version: str = ""
    subresource: str = ""

    def printed(self) -> str:
        """``printManager`` of conflict.go."""
        text = json.dumps(self.manager)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


@dataclass
class Owned:
    fields: fp.FieldSet
    api_version: str
    applied: bool
    time: str | None = None


Managed = dict[Manager, Owned]


@dataclass
class WriteContext:
    """What the wire layer knows of the write under way."""

    manager: str = ""
    user_agent: str = ""
    force: bool = False
    subresource: str = ""
    #: managedFields already set by an apply: the write keeps them
    applied: bool = False

    def updater(self) -> str:
        return self.manager or manager_from_user_agent(self.user_agent)


_context: contextvars.ContextVar[WriteContext | None] = contextvars.ContextVar(
    "kube_write_context", default=None
)


class write_context:  # noqa: N801 - used as the function it was (a class: no generator per write)
    """``with write_context(ctx):`` writes in the block are the request's (None: Python-side,
    untracked, as reactions); the context before the block is back after it, however it ends."""

    __slots__ = ("_ctx", "_token")

    def __init__(self, ctx: WriteContext | None) -> None:
        self._ctx = ctx

    def __enter__(self) -> WriteContext | None:
        self._token = _context.set(self._ctx)
        return self._ctx

    def __exit__(self, *exc: object) -> None:
        _context.reset(self._token)


def current() -> WriteContext | None:
    """The write context of the request being served (None for Python-side writes)."""
    return _context.get()


def manager_from_user_agent(user_agent: str) -> str:
    """``prefixFromUserAgent``: the User-Agent up to its first ``/``, printable, 128 at most."""
    out = [c for c in user_agent.split("/")[0] if c.isprintable()]
    return "".join(out[:128])


@dataclass
class Conflict:
    manager: Manager
    path: fp.Path


class ApplyConflict(Exception):
    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(conflict_message(conflicts))
        self.conflicts = conflicts


def conflict_message(conflicts: list[Conflict]) -> str:
    """``getConflictMessage``."""
    if len(conflicts) == 1:
        c = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {c.manager.printed()}: {fp.path_string(c.path)}"
    by: dict[str, list[str]] = {}
    printed: dict[str, str] = {}
    for c in conflicts:
        ident = _identifier(c.manager)
        by.setdefault(ident, []).append(fp.path_string(c.path))
        printed[ident] = c.manager.printed()
    lines = []
    for ident in sorted(by):
        lines.append(f"conflicts with {printed[ident]}:")
        lines.extend(f"- {p}" for p in by[ident])
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


def _identifier(m: Manager) -> str:
    """The manager's JSON identity (Go's ``json.Marshal`` of the entry, field order kept)."""
    d: dict[str, str] = {"manager": m.manager, "operation": m.operation}
    if m.api_version:
        d["apiVersion"] = m.api_version
    if m.subresource:
        d["subresource"] = m.subresource
    return json.dumps(d, separators=(",", ":"))


# -- encode / decode -------------------------------------------------------------------------


def _decode(entries: Any) -> Managed | None:
    """``DecodeManagedFields``; None when an entry is malformed."""
    if not isinstance(entries, list):
        return None
    out: Managed = {}
    for e in entries:
        if not isinstance(e, dict) or e.get("operation") not in ("Apply", "Update"):
            return None
        if not e.get("apiVersion") or e.get("fieldsType") != "FieldsV1":
            return None
        op = e["operation"]
        m = Manager(
            str(e.get("manager") or ""),
            op,
            "" if op == "Apply" else str(e["apiVersion"]),
            str(e.get("subresource") or ""),
        )
        try:
            fields = fp.decode_fields(e.get("fieldsV1") or {})
        except (ValueError, TypeError):
            return None
        out[m] = Owned(fields, str(e["apiVersion"]), op == "Apply", _rfc3339(e.get("time")))
    return out


def _rfc3339(t: Any) -> str | None:
    """A decoded ``metav1.Time`` as the server writes it back (RFC 3339, seconds, UTC)."""
    if not isinstance(t, str) or not t:
        return None
    return _rfc3339_text(t)


@lru_cache(maxsize=1024)
def _rfc3339_text(t: str) -> str | None:
    """:func:`_rfc3339` of a string (pure: a time without zone is taken as UTC; every tracked
    write reads each entry's time again)."""
    try:
        when = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(t: str | None) -> int:
    if not t:
        return 0
    try:
        return int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


def _encode(managed: Managed) -> list[dict[str, Any]] | None:
    """``encodeManagedFields`` + ``sortEncodedManagedFields``."""
    if not managed:
        return None
    rows = []
    for m, owned in managed.items():
        e: dict[str, Any] = {
            "manager": m.manager,
            "operation": "Apply" if owned.applied else m.operation,
            "apiVersion": owned.api_version,
        }
        if owned.time:
            e["time"] = owned.time
        e["fieldsType"] = "FieldsV1"
        e["fieldsV1"] = fp.encode_fields(owned.fields)
        if m.subresource:
            e["subresource"] = m.subresource
        rows.append(e)
    rows.sort(
        key=lambda e: (
            e["operation"],
            _seconds(e.get("time")),
            e["manager"],
            e["apiVersion"],
            e.get("subresource", ""),
        )
    )
    return rows


def _is_reset(entries: Any) -> bool:
    """``isResetManagedFields``: ``[]`` or ``[{}]``."""
    return isinstance(entries, list) and (entries == [] or entries == [{}])


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _store(obj: dict[str, Any], managed: Managed) -> None:
    meta = obj.setdefault("metadata", {})
    encoded = _encode(managed)
    if encoded is None:
        meta.pop("managedFields", None)
    else:
        meta["managedFields"] = encoded


# -- the structured-merge updater ------------------------------------------------------------


def _zero(schema: Node | None) -> dict[str, Any]:
    """The Go zero value of the kind, as far as it is known (see the module docstring)."""
    zero: dict[str, Any] = {"metadata": {}}
    if schema is not None and schema.type == "struct":
        for k in ("spec", "status"):
            if (sub := schema.fields.get(k)) is not None and sub.type == "struct":
                zero[k] = {}
    return zero


def _ignored(api_status: bool, subresource: str) -> fp.FieldSet:
    """The reset fields the updater ignores: ``status`` on the main resource of a kind with a
    status subresource; everything but ``status`` on the status subresource."""
    if subresource == "status":
        return {(("f", k),) for k in ("apiVersion", "kind", "metadata", "spec")}
    return {(("f", "status"),)} if api_status else set()


def _update(
    old: Any,
    new: Any,
    schema: Node | None,
    managed: Managed,
    workflow: Manager,
    force: bool,
    ignored: fp.FieldSet,
) -> fp.Comparison:
    """merge/update.go ``update``: changed fields leave (or, without force, conflict with)
    the other managers; removed fields leave everyone but the workflow."""
    cmp = fp.compare(old, new, schema)
    cmp.added = fp.exclude(cmp.added, ignored)
    cmp.modified = fp.exclude(cmp.modified, ignored)
    cmp.removed = fp.exclude(cmp.removed, ignored)
    changed = cmp.modified | cmp.added
    conflicts: list[Conflict] = []
    for m in sorted(managed, key=_identifier):
        if m == workflow:
            continue
        owned = managed[m]
        hit = owned.fields & changed
        if hit:
            conflicts.extend(Conflict(m, p) for p in fp.iterate(hit))
    if conflicts and not force:
        raise ApplyConflict(conflicts)
    for m in list(managed):
        if m == workflow:
            continue
        owned = managed[m]
        owned.fields = owned.fields - changed - cmp.removed
        if not owned.fields:
            del managed[m]
    return cmp


def _strip(managed: Managed, m: Manager) -> None:
    owned = managed.get(m)
    if owned is not None:
        owned.fields = owned.fields - _STRIP
        if not owned.fields:
            del managed[m]


def _cap(managed: Managed) -> None:
    """``capUpdateManagers``: past ten update managers, the oldest merge into ``ancient-changes``."""
    updaters = [m for m, o in managed.items() if not o.applied]
    if len(updaters) <= _MAX_UPDATE_MANAGERS:
        return
    updaters.sort(key=lambda m: (_seconds(managed[m].time), _identifier(m)))
    first: dict[str, Manager] = {}
    length = len(updaters)
    for m in updaters:
        if length <= _MAX_UPDATE_MANAGERS:
            break
        owned = managed[m]
        version = owned.api_version
        bucket = Manager("ancient-changes", "Update", version)
        if version in first:
            if bucket not in managed:
                managed[bucket] = managed.pop(first[version])
            managed[bucket] = Owned(
                owned.fields | managed[bucket].fields, version, False, owned.time
            )
            del managed[m]
            length -= 1
        else:
            first[version] = m


def track_update(
    schema: Node | None,
    api_version: str,
    has_status: bool,
    live: dict[str, Any] | None,
    new: dict[str, Any],
    ctx: WriteContext,
) -> None:
    """``FieldManager.Update`` on a non-apply write: ``new``'s managedFields set in place."""
    meta = new.setdefault("metadata", {})
    live_meta = (live or {}).get("metadata") or {}
    requested = meta.pop("managedFields", None)
    if requested is None and live is not None and not live_meta.get("managedFields"):
        return  # skipNonApplied (below): nothing requested, nothing tracked so far
    managed: Managed | None
    if ctx.subresource:
        managed = _decode(live_meta.get("managedFields") or []) or {}
    elif _is_reset(requested):
        managed = {}
    else:
        managed = _decode(requested) if requested is not None else None
        if not managed:
            managed = _decode(live_meta.get("managedFields") or []) or {}
    if not managed and live is not None:
        return  # skipNonApplied: an existing object without managedFields stays untracked
    ignored = _ignored(has_status, ctx.subresource)
    me = Manager(ctx.updater() or "unknown", "Update", api_version, ctx.subresource)
    cur = Manager("current-operation", "Update", api_version, ctx.subresource)
    old = live if live is not None else _zero(schema)
    cmp = _update(old, new, schema, managed, cur, True, ignored)
    fields = fp.exclude(cmp.modified | cmp.added, ignored) - _STRIP
    if fields:
        previous = managed.get(me)
        if previous is not None:
            fields |= previous.fields
        managed[me] = Owned(fields, api_version, False, _now())
    _cap(managed)
    _store(new, managed)


def apply(
    schema: Node | None,
    api_version: str,
    has_status: bool,
    live: dict[str, Any] | None,
    config: dict[str, Any],
    ctx: WriteContext,
) -> dict[str, Any]:
    """``FieldManager.Apply``: the object the apply leaves (managedFields set), or raise
    :class:`ApplyConflict`. ``live`` None is a create."""
    managed = _decode(((live or {}).get("metadata") or {}).get("managedFields") or []) or {}
    base = live if live is not None else _zero(schema)
    ignored = _ignored(has_status, ctx.subresource)
    if not managed and live is not None:
        # skipNonApplied: what exists already is "before-first-apply"'s (an update from zero)
        first = Manager("before-first-apply", "Update", api_version, ctx.subresource)
        cmp = fp.compare(_zero(schema), _without_managed(live), schema)
        fields = fp.exclude(cmp.modified | cmp.added, ignored) - _STRIP
        if fields:
            managed[first] = Owned(fields, api_version, False, _now())
    me = Manager(ctx.manager, "Apply", "", ctx.subresource)
    try:
        new, managed = _apply(schema, api_version, base, config, managed, me, ctx.force, ignored)
    except ApplyConflict as conflict:
        allowed = _allowed_by_last_applied(schema, api_version, live, ctx.manager)
        if allowed is None:
            raise
        rest = [c for c in conflict.conflicts if c.path not in allowed]
        if rest:
            raise ApplyConflict(rest) from None
        new, managed = _apply(schema, api_version, base, config, managed, me, True, ignored)
    _strip(managed, me)
    if new is None:  # nothing changed: the live object, with the new ownership
        new = _without_managed(base)
    elif me in managed:
        managed[me].time = _now()
    annotations = (new.get("metadata") or {}).get("annotations") or {}
    if ctx.manager == "kubectl" and annotations.get(LAST_APPLIED):
        # lastAppliedUpdater: kubectl's server-side apply keeps the client-side annotation true
        applied = json.loads(json.dumps(config))
        meta = applied.get("metadata") or {}
        if isinstance(meta.get("annotations"), dict):
            meta["annotations"].pop(LAST_APPLIED, None)
            if not meta["annotations"]:
                del meta["annotations"]
        new["metadata"] = {
            **new["metadata"],
            "annotations": {
                **annotations,
                LAST_APPLIED: (json.dumps(applied, separators=(",", ":"), sort_keys=True) + "\n"),
            },
        }
    _store(new, managed)
    return new


def _without_managed(obj: dict[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    meta.pop("managedFields", None)
    out["metadata"] = meta
    return out


def _apply(
    schema: Node | None,
    api_version: str,
    live: dict[str, Any],
    config: dict[str, Any],
    managed: Managed,
    me: Manager,
    force: bool,
    ignored: fp.FieldSet,
) -> tuple[dict[str, Any] | None, Managed]:
    """merge/update.go ``Apply``: (the new object or None when unchanged, the managers)."""
    managed = {
        m: Owned(set(o.fields), o.api_version, o.applied, o.time) for m, o in managed.items()
    }
    live = _without_managed(live)
    merged = fp.merge(live, config, schema)
    if merged is fp.MISSING:
        merged = {}
    last = managed.get(me)
    previous_time = last.time if last else None
    managed[me] = Owned(
        fp.exclude(fp.to_set(config, schema), ignored), api_version, True, previous_time
    )
    if last is not None and last.fields:
        merged = _prune(merged, schema, managed, last.fields)
    _update(live, merged, schema, managed, me, force, ignored)
    return (None if fp.same(live, merged) else merged), managed


def _prune(
    merged: dict[str, Any], schema: Node | None, managed: Managed, last: fp.FieldSet
) -> dict[str, Any]:
    """``prune``: what the applier applied last time and no longer does, unless another
    manager owns it (``addBackOwnedItems``) or the applier never did (``addBackDanglingItems``)."""

    def fields(v: Any) -> fp.FieldSet:
        return fp.ensure_named_fields(fp.to_set(v, schema), schema)

    def removed(paths: fp.FieldSet) -> dict[str, Any]:
        out = fp.remove_items(merged, paths, schema)
        return {} if out is fp.MISSING else out  # type: ignore[no-any-return]

    last_e = fp.ensure_named_fields(last, schema)
    pruned = removed(last_e)
    owned: fp.FieldSet = set()
    for o in managed.values():
        owned |= o.fields
    merged_set = fields(merged)
    pruned = removed(merged_set - (fields(pruned) | fp.ensure_named_fields(owned, schema)))
    return removed((merged_set - fields(pruned)) & last_e)


def _allowed_by_last_applied(
    schema: Node | None, api_version: str, live: dict[str, Any] | None, manager: str
) -> fp.FieldSet | None:
    """``allowedConflictsFromLastApplied``: for ``kubectl``, the fields its last client-side
    apply set and the live object still has as applied (None when there is none)."""
    if manager != "kubectl" or live is None:
        return None
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return None
    try:
        last = json.loads(text)
    except ValueError:
        return None
    if not isinstance(last, dict) or last.get("apiVersion") != api_version:
        return None
    cmp = fp.compare(last, _without_managed(live), schema)
    return fp.to_set(last, schema) - cmp.modified - cmp.added - cmp.removed
