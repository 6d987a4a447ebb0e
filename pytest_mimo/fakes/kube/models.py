"""The fake API server's state: kinds, objects, resourceVersions, and the write rules.

Nothing here knows about HTTP. Every operation raises :class:`ApiError` (code,
reason, message, details) in the API server's words, and the wire layer turns
it into a ``Status`` body. One reentrant lock guards the whole store, so
reactions (simulated controllers) run atomically with the write that woke them.
"""

from __future__ import annotations

import base64
import hashlib
import marshal
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..jsoncopy import json_copy
from . import admission, deletion, fieldpaths, lifecycle, managedfields
from .admission import WriteOptions
from .apierrors import ApiError
from .crdregistry import CRD_KEY, CrdController
from .deletion import DeleteOptions
from .history import History
from .kinds import APPLY_PATCH, BUILTIN_KINDS, JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, KindInfo
from .labels import SelectorError, parse_selector
from .lifecycle import namespace_defaults
from .patching import PatchError, json_patch, merge_patch
from .schemas import schema_for
from .strategicmerge import StrategicPatchError, strategic_merge_patch

__all__ = [
    "ApiError",
    "KindInfo",
    "KubeModel",
    "WriteEvent",
    "BUILTIN_KINDS",
    "MERGE_PATCH",
    "JSON_PATCH",
    "STRATEGIC_PATCH",
    "APPLY_PATCH",
]


Obj = dict[str, Any]
Objs = list[Obj]  # spelled out once: the class has a ``list`` method
Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped
Items = list[tuple[Key, Obj]]


_NAMESPACE = BUILTIN_KINDS[0]


@dataclass
class WriteEvent:
    """What a reaction sees after a successful write."""

    verb: str  #: create, update, patch, delete, status
    api_version: str
    kind: str
    namespace: str | None
    name: str
    object: Obj | None  #: the object as stored after the write (None after a delete)
    old: Obj | None  #: the object before the write (None after a create)
    model: KubeModel = field(repr=False)
    #: the ``FakeKube`` serving the model (set by ``FakeKube.add_reaction``): ``add``/``get``/``list``/``delete``
    kube: Any = field(default=None, repr=False)


Reaction = Callable[[WriteEvent], None]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _content(info: KindInfo, obj: Obj) -> Obj:
    """What ``generation`` tracks (:func:`_content_changed` compares it without building it): for
    a custom resource everything but metadata (status too when it has no status subresource:
    customResourceStrategy.PrepareForUpdate); a Deployment bumps on its annotations too
    (deployment strategy: they are copied to its ReplicaSets)."""
    skip = (
        ("metadata", "status", "apiVersion", "kind")
        if info.has_status
        else ("metadata", "apiVersion", "kind")
    )
    content = {k: v for k, v in obj.items() if k not in skip}
    if info.builtin and (info.api_version, info.kind) == ("apps/v1", "Deployment"):
        content["metadata.annotations"] = (obj.get("metadata") or {}).get("annotations") or {}
    return content


_SKIP_WITH_STATUS = frozenset(("metadata", "status", "apiVersion", "kind"))
_SKIP = frozenset(("metadata", "apiVersion", "kind"))
_ANNOTATIONS = "metadata.annotations"


def _content_changed(info: KindInfo, obj: Obj, old: Obj) -> bool:
    """``_content(info, obj) != _content(info, old)`` without building either: the same keys,
    each value the same object or equal (what a dict comparison asks of its values)."""
    skip = _SKIP_WITH_STATUS if info.has_status else _SKIP
    deploy = info.builtin and (info.api_version, info.kind) == ("apps/v1", "Deployment")
    count = 0
    for k, v in obj.items():
        if k in skip or (deploy and k == _ANNOTATIONS):
            continue
        if k not in old:
            return True
        w = old[k]
        if v is not w and v != w:
            return True
        count += 1
    if count != sum(1 for k in old if not (k in skip or (deploy and k == _ANNOTATIONS))):
        return True
    if deploy:
        a = (obj.get("metadata") or {}).get("annotations") or {}
        b = (old.get("metadata") or {}).get("annotations") or {}
        return a is not b and a != b
    return False


#: the ``marshal`` encodings (version 2: no back-references, so equal data encodes alike) of
#: stored parts lately compared, by identity (the part kept alive alongside: stored objects are
#: never changed in place, so the encoding holds while it lives)
_PART_CODES: dict[int, tuple[Any, bytes]] = {}
_PART_CODES_MAX = 1024


def _part_code(part: Any) -> bytes:
    hit = _PART_CODES.get(id(part))
    if hit is not None and hit[0] is part:
        return hit[1]
    code = marshal.dumps(part, 2)
    if len(_PART_CODES) >= _PART_CODES_MAX:
        _PART_CODES.clear()
    _PART_CODES[id(part)] = (part, code)
    return code


def _share_unchanged(obj: Obj, old: Obj, spec_code: bytes | None = None) -> None:
    """Each top-level part of an update's ``obj`` (but its metadata) that is exactly the stored
    ``old``'s (equal ``marshal`` encodings: the same JSON, key order and types: a bool, an int
    and a float each have their own code) becomes the stored part itself. Stored objects are never
    changed in place, so they may share parts: an update that leaves the spec as it was (a label,
    an annotation) stores no second copy of it, and the collector has that many fewer dicts and
    lists to walk for as long as the change log keeps the object. ``spec_code``: the spec's
    encoding, when decoding computed it (:func:`.admission.spec_code`)."""
    for k, part in obj.items():
        if k == "metadata" or type(part) not in (dict, list):
            continue
        was = old.get(k)
        if was is part or type(was) is not type(part):
            continue
        try:
            code = spec_code if k == "spec" and spec_code is not None else marshal.dumps(part, 2)
            if code == _part_code(was):
                obj[k] = was
        except ValueError:  # nested too deeply for marshal
            continue


def _strategic(info: KindInfo, old: Obj, patch: Obj) -> Obj:
    """A strategic merge patch with the kind's merge keys, its failures as patch.go answers them
    (``interpretStrategicMergePatchError``; an error it does not map is a 500 with no reason)."""
    try:
        return strategic_merge_patch(old, patch, schema_for(info.api_version, info.kind, info.schema_id))
    except StrategicPatchError as e:
        if e.code == 400:
            raise ApiError.bad_request(e.message) from None
        if e.code == 422:  # NewGenericServerResponse(422, …): the Go error is not shown
            raise ApiError(
                422, "Invalid", "the server rejected our request due to an error in our request", {}
            ) from None
        raise ApiError(500, "", e.message) from None


def _parses_as_resource_version(rv: Any) -> bool:
    """A non-zero resourceVersion as the etcd versioner parses it (``strconv.ParseUint``)."""
    return isinstance(rv, str) and rv.isascii() and rv.isdigit() and 0 < int(rv) < 2**64


def _b64(value: Any) -> str:
    return base64.b64encode(str(value).encode()).decode()


class KubeModel:
    """All objects of one fake cluster, by kind and (namespace, name).

    Stored objects are never mutated in place (a write stores a new dict), so
    parts of them may be shared; everything handed out to Python callers and
    reactions is a deep copy.
    """

    def __init__(self, kinds: tuple[KindInfo, ...] = BUILTIN_KINDS, *, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.kinds: dict[tuple[str, str], KindInfo] = {}
        self.by_plural: dict[tuple[str, str], KindInfo] = {}  # (api_version, plural)
        self._store: dict[tuple[str, str], dict[Key, Obj]] = {}
        #: moves whenever the served kinds change (what a cached route must match)
        self.kinds_version = 0
        self._rv = 1000
        self._uids = 0
        self._seed = seed
        self._reactions: list[Reaction] = []
        self._reacting = threading.local()
        #: every stored change, for watches and paged lists (:mod:`.history`)
        self.history = History(floor=self._rv)
        for info in kinds:
            self.register(info)
        #: serves the kinds of the CRDs created through the API (:mod:`.crdregistry`)
        self.crds = CrdController(self)

    # -- kinds -------------------------------------------------------------

    def register(self, info: KindInfo) -> None:
        with self.lock:
            self.kinds[(info.api_version, info.kind)] = info
            self.by_plural[(info.api_version, info.plural)] = info
            self._store.setdefault((info.api_version, info.kind), {})
            self.kinds_version += 1

    def unregister(self, info: KindInfo, *, drop_objects: bool = True) -> None:
        """Stop serving ``info`` (its CRD is gone); its objects go with it unless ``drop_objects`` is False."""
        with self.lock:
            key = (info.api_version, info.kind)
            if self.kinds.get(key) == info:
                del self.kinds[key]
                self.by_plural.pop((info.api_version, info.plural), None)
                self.kinds_version += 1
                if drop_objects:
                    self._store.pop(key, None)

    def kind(self, api_version: str, kind: str) -> KindInfo:
        try:
            return self.kinds[(api_version, kind)]
        except KeyError:
            raise KeyError(f"kind {kind} in {api_version} is not registered in the fake") from None

    def add_reaction(self, fn: Reaction) -> None:
        self._reactions.append(fn)

    # -- snapshot ----------------------------------------------------------

    def snapshot(self) -> Any:
        """The stored objects as they are now. A write never changes a stored object but stores a
        new one (copy on write: see :meth:`items`), so the buckets are copied, not the objects (a
        deep copy of every object, the CRDs' schemas among them, per snapshot cost more than the
        rest of a replay's bookkeeping)."""
        with self.lock:
            return ({k: dict(bucket) for k, bucket in self._store.items()}, self._rv, self._uids)

    def restore(self, snap: Any) -> None:
        store, rv, uids = snap
        with self.lock:
            self._store = {k: dict(bucket) for k, bucket in store.items()}
            for info in self.kinds.values():
                self._store.setdefault((info.api_version, info.kind), {})
            self._rv, self._uids = rv, uids
            self.crds.resync(self)
            self.history.reset(self._rv)

    def adopt(self, template: KubeModel) -> None:
        """Hold what ``template`` holds, exactly as if the writes that built it had been made to this
        model: its objects, resourceVersions, change log and served kinds (CRDs included), with the
        UIDs those writes would have drawn from this model's seed. Whatever this model held is
        replaced; its reactions stay. ``template`` must have been built from the same kinds.

        For fleets of clusters that start alike (a simulation): each write is decoded, defaulted and
        validated once, in the template, and each cluster starts from the result. Stored objects are
        never mutated in place, so both models share all but each object's top level and metadata.
        """
        with template.lock, self.lock:
            if template.crds.static != self.crds.static:
                raise ValueError("KubeModel.adopt: the template was built from other kinds")
            uids = {template._uid_at(n): self._uid_at(n) for n in range(1, template._uids + 1)}
            done: dict[int, Obj] = {}

            def redrawn(obj: Obj | None) -> Obj | None:
                if obj is None:
                    return None
                new = done.get(id(obj))
                if new is None:
                    meta = dict(obj["metadata"])
                    if meta.get("uid") in uids:
                        meta["uid"] = uids[meta["uid"]]
                    if meta.get("ownerReferences"):
                        meta["ownerReferences"] = [
                            {**r, "uid": uids.get(r.get("uid"), r.get("uid"))} for r in meta["ownerReferences"]
                        ]
                    new = done[id(obj)] = {**obj, "metadata": meta}
                return new

            self._store = {gvk: {k: redrawn(o) for k, o in bucket.items()}  # type: ignore[misc]
                           for gvk, bucket in template._store.items()}
            self.kinds = dict(template.kinds)
            self.by_plural = dict(template.by_plural)
            self.kinds_version += 1
            self._rv, self._uids = template._rv, template._uids
            self.crds.served = {name: list(infos) for name, infos in template.crds.served.items()}
            self.history.adopt(template.history, redrawn)

    # -- helpers -----------------------------------------------------------

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _uid(self) -> str:
        self._uids += 1
        return self._uid_at(self._uids)

    def _uid_at(self, n: int) -> str:
        """The ``n``-th UID this model draws (1-based)."""
        digest = hashlib.sha256(f"{self._seed}:{n}".encode()).digest()[:16]
        return str(uuid.UUID(bytes=digest, version=4))

    @property
    def resource_version(self) -> str:
        return str(self._rv)

    def _bucket(self, info: KindInfo) -> dict[Key, Obj]:
        return self._store[(info.api_version, info.kind)]

    def _stored(self, info: KindInfo, key: Key, obj: Obj) -> None:
        """Store ``obj`` (its resourceVersion already stamped) and log the change."""
        gvk = (info.api_version, info.kind)
        bucket = self._store[gvk]
        old = bucket.get(key)
        bucket[key] = obj
        self.history.record(
            int(obj["metadata"]["resourceVersion"]), "ADDED" if old is None else "MODIFIED", gvk, key, obj, old
        )
        if gvk == CRD_KEY:
            self.crds.stored(self, key, obj)

    def _dropped(self, info: KindInfo, key: Key) -> Obj:
        """Remove the object at ``key`` under a new resourceVersion and log the change."""
        old = self._bucket(info).pop(key)
        rv = self._next_rv()
        last = dict(old)
        last["metadata"] = {**old["metadata"], "resourceVersion": rv}
        self.history.record(int(rv), "DELETED", (info.api_version, info.kind), key, last, old)
        if (info.api_version, info.kind) == CRD_KEY:
            self.crds.dropped(self, key)
        return old

    @staticmethod
    def _key(info: KindInfo, namespace: str | None, name: str) -> Key:
        return ((namespace or "") if info.namespaced else "", name)

    def _namespace_exists(self, namespace: str) -> bool:
        return ("", namespace) in self._bucket(_NAMESPACE)

    def _emit(self, verb: str, info: KindInfo, key: Key, new: Obj | None, old: Obj | None) -> None:
        if not self._reactions or getattr(self._reacting, "on", False):
            return
        event = WriteEvent(
            verb,
            info.api_version,
            info.kind,
            key[0] or None,
            key[1],
            json_copy(new),
            json_copy(old),
            self,
        )
        self._reacting.on = True
        try:
            with managedfields.write_context(None):  # a reaction's writes are no request's
                for fn in list(self._reactions):
                    fn(event)
        finally:
            self._reacting.on = False

    @staticmethod
    def _fold_string_data(info: KindInfo, obj: Obj) -> None:
        if info.api_version == "v1" and info.kind == "Secret" and "stringData" in obj:
            string_data = obj.pop("stringData") or {}
            data = dict(obj.get("data") or {})
            for k, v in string_data.items():
                data[k] = _b64(v)
            obj["data"] = data

    def _check_body(self, info: KindInfo, body: Any, *, owned: bool = False) -> Obj:
        """Validate a request body; ``owned`` bodies (fresh from the wire) are used without a copy."""
        if not isinstance(body, dict):
            raise ApiError.bad_request(
                f"the body of the request was in an unknown format - expected an object for {info.kind}"
            )
        api_version = body.get("apiVersion") or info.api_version
        kind = body.get("kind") or info.kind
        if api_version != info.api_version:
            raise ApiError.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version ({info.api_version})"
            )
        if kind != info.kind:  # the API server's transformDecodeError wording
            version = api_version.rpartition("/")[2]
            raise ApiError.bad_request(
                f'{kind} in version "{version}" cannot be handled as a {info.kind}: '
                f"converting ({version}.{kind}) to ({version}.{info.kind}): unknown conversion"
            )
        obj = body if owned else json_copy(body)
        obj["apiVersion"], obj["kind"] = info.api_version, info.kind
        return obj

    @staticmethod
    def _meta(obj: Obj) -> Obj:
        """The object's metadata (a body decoded without a schema may carry anything there)."""
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise ApiError.bad_request("metadata must be an object")
        return meta

    # -- the REST verbs (what the HTTP layer calls) --------------------------

    def get(self, info: KindInfo, namespace: str | None, name: str) -> Obj:
        with self.lock:
            obj = self._bucket(info).get(self._key(info, namespace, name))
            if obj is None:
                raise ApiError.not_found(info, name)
            return obj  # callers serialize under the lock or copy

    def list(
        self, info: KindInfo, namespace: str | None, label_selector: str | None = None
    ) -> Objs:
        try:
            matches = parse_selector(label_selector)
        except SelectorError as e:
            raise ApiError.bad_request(str(e)) from None
        with self.lock:
            items = [
                obj
                for (ns, _), obj in sorted(self._bucket(info).items())
                if (not namespace or not info.namespaced or ns == namespace)
                and matches(obj.get("metadata", {}).get("labels") or {})
            ]
            return items

    def create(self, info: KindInfo, namespace: str | None, body: Any, *, owned: bool = False,
               options: WriteOptions | None = None) -> Obj:
        """``POST``: decode (400), namespace (404), name, validate (422), store (409).

        The order is the API server's: the handler decodes and defaults the body, the
        NamespaceLifecycle admission plugin refuses a missing namespace, then
        ``rest.BeforeCreate`` generates the name and validates, and the store refuses an
        existing key (``:mod:`.admission```).
        """
        opts = options if options is not None else WriteOptions()
        obj = self._check_body(info, body, owned=owned)
        admission.decode(info, obj, opts)
        meta = self._meta(obj)
        if info.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise ApiError.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace or meta.get("namespace")
        else:
            meta.pop("namespace", None)
        with self.lock:
            #: the name admission sees (a generated name comes later, in BeforeCreate)
            requested = meta.get("name") or meta.get("generateName") or ""
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = (
                    f"{meta['generateName']}{hashlib.sha256(str(self._rv + 1).encode()).hexdigest()[:5]}"
                )
            if (
                info.namespaced
                and meta.get("namespace")
                and not self._namespace_exists(meta["namespace"])
            ):
                raise ApiError.not_found(_NAMESPACE, meta["namespace"])
            if info.namespaced and meta.get("namespace"):
                ns = self._bucket(_NAMESPACE)[("", meta["namespace"])]
                lifecycle.check_create_in(ns, info, requested)
            self._fold_string_data(info, obj)
            if info.has_status:
                obj.pop("status", None)
                if info.kind == "Namespace" and info.api_version == "v1":
                    obj["status"] = {"phase": "Active"}
                    namespace_defaults(obj)
                elif info.builtin:
                    obj["status"] = {}
            admission.validate(info, obj, None, opts)
            name = meta.get("name")
            if not name or not isinstance(
                name, str
            ):  # validate=False: still no object without a name
                raise ApiError.invalid(
                    info,
                    "",
                    "metadata.name",
                    "Required value: name or generateName is required",
                    cause="FieldValueRequired",
                )
            if _parses_as_resource_version(meta.get("resourceVersion")):
                # etcd3 store.Create, an error that is no APIStatus: 500, reason unknown
                raise ApiError(
                    500, "", "resourceVersion should not be set on objects to be created"
                )
            key = self._key(info, meta.get("namespace"), name)
            if key in self._bucket(info):
                raise ApiError.already_exists(info, name)
            self._stamp_new(info, obj, track=True)
            self._stored(info, key, obj)
            self._emit("create", info, key, obj, None)
            return obj

    def _track(self, info: KindInfo, old: Obj | None, obj: Obj) -> None:
        """``metadata.managedFields`` of a request's write (:mod:`.managedfields`); a
        Python-side write keeps none."""
        ctx = managedfields.current()
        if ctx is None:  # a Python-side write (a reaction's): ownership as it was
            if old is not None and "managedFields" in old["metadata"]:
                obj["metadata"]["managedFields"] = old["metadata"]["managedFields"]
            else:
                obj["metadata"].pop("managedFields", None)
        elif not ctx.applied:
            schema = schema_for(info.api_version, info.kind, info.schema_id)
            managedfields.track_update(schema, info.api_version, info.has_status, old, obj, ctx)

    def _stamp_new(self, info: KindInfo, obj: Obj, *, track: bool = False) -> None:
        meta = obj["metadata"]
        for k in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(k, None)
        self._fold_string_data(info, obj)
        if info.api_version == "v1" and info.kind == "Secret":
            obj.setdefault("type", "Opaque")
        if track:  # after the defaults: the creator owns them, as on a real server
            self._track(info, None, obj)
        else:
            meta.pop("managedFields", None)
        meta["uid"] = self._uid()
        meta["creationTimestamp"] = _now()
        meta["resourceVersion"] = self._next_rv()
        if info.generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)

    def update(
        self,
        info: KindInfo,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        status: bool = False,
        owned: bool = False,
        options: WriteOptions | None = None,
    ) -> Obj:
        opts = options if options is not None else WriteOptions()
        obj = self._check_body(info, body, owned=owned)
        stored = self._bucket(info).get(self._key(info, namespace, name))  # only a hint here
        admission.decode(info, obj, opts, stored)
        meta = self._meta(obj)
        if meta.get("name") != name:
            raise ApiError.bad_request(
                f"the name of the object ({meta.get('name') or ''}) does not match the name on the URL ({name})"
            )
        if info.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise ApiError.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        with self.lock:
            key = self._key(info, namespace, name)
            old = self._bucket(info).get(key)
            if old is None:
                raise ApiError.not_found(info, name)
            rv = meta.get("resourceVersion")
            if rv:
                if rv != old["metadata"]["resourceVersion"]:
                    raise ApiError.conflict(info, name)
            elif not info.builtin:
                raise ApiError.invalid(
                    info,
                    name,
                    "metadata.resourceVersion",
                    "Invalid value: 0x0: must be specified for an update",
                    by_resource=True,
                )
            return self._replace(
                info, key, old, obj, verb="status" if status else "update", options=opts
            )

    def _replace(
        self,
        info: KindInfo,
        key: Key,
        old: Obj,
        obj: Obj,
        *,
        verb: str,
        emit: bool = True,
        options: WriteOptions | None = None,
    ) -> Obj:
        """Store ``obj`` over ``old`` with server-managed fields carried over; no-op if nothing changed."""
        # stored objects are never mutated in place, so unchanged parts may be shared
        if verb == "status":
            new = dict(old)
            new["metadata"] = dict(old["metadata"])
            if "managedFields" in obj["metadata"]:  # an apply's, or the request's (ignored)
                new["metadata"]["managedFields"] = obj["metadata"]["managedFields"]
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
            obj = new
        else:
            if info.has_status:
                if "status" in old:
                    obj["status"] = old["status"]
                else:
                    obj.pop("status", None)
            self._fold_string_data(info, obj)
            if info.api_version == "v1" and info.kind == "Secret":
                obj.setdefault("type", old.get("type", "Opaque"))
        meta, old_meta = obj["metadata"], old["metadata"]
        if not meta.get("uid") and "uid" in old_meta:  # rest.BeforeUpdate: the existing UID if none
            meta["uid"] = old_meta["uid"]
        for k in ("creationTimestamp", "deletionTimestamp", "generation", "resourceVersion"):
            if k in old_meta:
                meta[k] = old_meta[k]
            else:
                meta.pop(k, None)
        self._track(info, old, obj)
        admission.validate(info, obj, old, options if options is not None else WriteOptions())
        if "uid" in old_meta:
            meta["uid"] = old_meta["uid"]
        _share_unchanged(obj, old, None if options is None else admission.spec_code(options, obj))
        if info.generation and _content_changed(info, obj, old):
            meta["generation"] = int(old_meta.get("generation", 0)) + 1
        if obj == old:
            return old  # no-op: nothing stored, resourceVersion unchanged
        if (
            meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            and lifecycle.deletes_during_update(info, obj)
        ):
            self._dropped(info, key)
            if emit:
                self._emit("delete", info, key, None, old)
            return obj
        meta["resourceVersion"] = self._next_rv()
        self._stored(info, key, obj)
        if emit:
            self._emit(verb, info, key, obj, old)
        return obj

    def patch(
        self,
        info: KindInfo,
        namespace: str | None,
        name: str,
        content_type: str,
        patch: Any,
        *,
        status: bool = False,
        options: WriteOptions | None = None,
    ) -> Obj:
        opts = options if options is not None else WriteOptions()
        ctype = content_type.split(";")[0].strip().lower()
        if ctype == APPLY_PATCH:
            return self.apply(info, namespace, name, patch, status=status)[0]
        if ctype not in (MERGE_PATCH, JSON_PATCH) and not (
            ctype == STRATEGIC_PATCH and info.builtin
        ):
            raise ApiError.unsupported_media_type(ctype)
        if ctype != JSON_PATCH and not isinstance(patch, dict):
            raise ApiError.bad_request(
                "the body of the request was in an unknown format - expected a JSON object"
            )
        with self.lock:
            key = self._key(info, namespace, name)
            old = self._bucket(info).get(key)
            if old is None:
                raise ApiError.not_found(info, name)
            if ctype == JSON_PATCH:
                try:
                    patched = json_patch(old, patch)
                except PatchError as e:
                    # as patch.go: NewGenericServerResponse(422, …) with the patch error as cause
                    raise ApiError(
                        422,
                        "Invalid",
                        "the server rejected our request due to an error in our request",
                        {"causes": [{"reason": "UnexpectedServerResponse", "message": str(e)}]},
                    ) from None
            elif ctype == STRATEGIC_PATCH:
                patched = _strategic(info, old, patch)
            else:
                patched = merge_patch(old, patch)
            if not isinstance(patched, dict):
                raise ApiError.bad_request("the patched object is not a JSON object")
            obj = self._check_body(info, patched)
            admission.decode_patched(info, obj, opts, patched, old)
            meta = self._meta(obj)
            if meta.get("name") != name:
                raise ApiError.bad_request(
                    f"the name of the object ({meta.get('name') or ''}) does not match the name on the URL ({name})"
                )
            rv = meta.get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise ApiError.conflict(info, name)
            if info.namespaced:
                meta["namespace"] = namespace
            return self._replace(
                info, key, old, obj, verb="status" if status else "patch", options=opts
            )

    def apply(
        self,
        info: KindInfo,
        namespace: str | None,
        name: str,
        config: Any,
        *,
        status: bool = False,
    ) -> tuple[Obj, bool]:
        """Server-side apply of ``config``; (the object, whether it was created). The request's
        :class:`~.managedfields.WriteContext` names the manager and ``force``."""
        ctx = managedfields.current() or managedfields.WriteContext()
        if not isinstance(config, dict):
            raise ApiError.bad_request(
                "error decoding patch: json: cannot unmarshal "
                f"{'array' if isinstance(config, list) else 'string'} into Go value of type "
                "map[string]interface {}"
            )
        if (config.get("apiVersion"), config.get("kind")) != (info.api_version, info.kind):
            av = str(config.get("apiVersion") or "")
            group, _, version = av.rpartition("/")
            raise ApiError.bad_request(
                f"invalid object type: {group}/{version}, Kind={config.get('kind') or ''}"
            )
        meta = config.get("metadata")
        if isinstance(meta, dict) and meta.get("managedFields") is not None:
            raise ApiError.bad_request("metadata.managedFields must be nil")
        schema = schema_for(info.api_version, info.kind, info.schema_id)
        applying = managedfields.WriteContext(
            ctx.manager, ctx.user_agent, ctx.force, "status" if status else "", applied=True
        )
        with self.lock:
            key = self._key(info, namespace, name)
            old = self._bucket(info).get(key)
            try:
                new = managedfields.apply(
                    schema, info.api_version, info.has_status, old, config, applying
                )
            except managedfields.ApplyConflict as e:
                raise ApiError(
                    409,
                    "Conflict",
                    str(e),
                    {
                        "causes": [
                            {
                                "reason": "FieldManagerConflict",
                                "message": f"conflict with {c.manager.printed()}",
                                "field": fieldpaths.path_string(c.path),
                            }
                            for c in e.conflicts
                        ]
                    },
                ) from None
            got = (new.get("metadata") or {}).get("name") or ""
            if got != name:
                raise ApiError.bad_request(
                    f"the name of the object ({got}) does not match the name on the URL ({name})"
                )
            with managedfields.write_context(applying):
                if old is None:
                    if status:
                        raise ApiError.not_found(info, name)
                    return self.create(info, namespace, new, owned=True), True
                obj = self._check_body(info, new, owned=True)
                if info.namespaced:
                    obj["metadata"]["namespace"] = namespace
                verb = "status" if status else "patch"
                return self._replace(info, key, old, obj, verb=verb), False

    def delete(self, info: KindInfo, namespace: str | None, name: str, preconditions: Any = None, *,
               options: DeleteOptions | None = None) -> tuple[Obj, bool]:
        """``DELETE``; returns (object, gone). An object left with finalizers only gets a
        ``deletionTimestamp`` (:mod:`.deletion`); a namespace goes ``Terminating``
        (:mod:`.lifecycle`) until the namespace controller has emptied it.

        ``preconditions`` (from DeleteOptions) may pin ``uid`` and ``resourceVersion``;
        ``options`` carry the propagation policy (``None``: the defaults).
        """
        opts = options if options is not None else DeleteOptions()
        if isinstance(preconditions, dict):
            opts.preconditions = {**opts.preconditions, **preconditions}
        with self.lock:
            key = self._key(info, namespace, name)
            is_namespace = (info.api_version, info.kind) == ("v1", "Namespace")
            if is_namespace:
                lifecycle.check_namespace_delete(info, name)  # NamespaceLifecycle admission
            old = self._bucket(info).get(key)
            if old is None:
                raise ApiError.not_found(info, name)
            for field_name, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                want = opts.preconditions.get(field_name)
                have = old["metadata"].get(field_name)
                if want and want != have:
                    err = ApiError.conflict(info, name)
                    err.message = (
                        f'Operation cannot be fulfilled on {info.group_resource} "{name}": Precondition '
                        f"failed: {label} in precondition: {want}, {label} in object meta: {have}"
                    )
                    raise err
            if is_namespace:
                if not old["metadata"].get("deletionTimestamp"):
                    obj = lifecycle.terminating(old, _now(), opts)
                    obj["metadata"]["resourceVersion"] = self._next_rv()
                    self._stored(info, key, obj)
                    self._emit("update", info, key, obj, old)
                    return obj, False
                if (old.get("spec") or {}).get("finalizers"):
                    return old, False  # storage.go: not before the namespace is finalized
            finalizers = list(old["metadata"].get("finalizers") or [])
            changed, finalizers = deletion.gc_finalizers(finalizers, opts)
            if finalizers:
                obj = json_copy(old)
                meta = obj["metadata"]
                meta["finalizers"] = finalizers
                deletion.mark_as_deleting(meta, _now())
                if obj == old:
                    return old, False  # deletion already pending: nothing changes
                meta["resourceVersion"] = self._next_rv()
                self._stored(info, key, obj)
                self._emit("update", info, key, obj, old)
                return obj, False
            self._dropped(info, key)
            self._emit("delete", info, key, None, old)
            return old, True

    def finish(self, info: KindInfo, key: Key, obj: Obj) -> Obj | None:
        """A controller's write (no request's, no reaction woken): store ``obj`` over the
        current object as an update would, deleting it when that leaves a deleted object
        without finalizers; the stored object, or None when it is gone."""
        with self.lock:
            old = self._bucket(info).get(key)
            if old is None:
                return None
            with managedfields.write_context(None):
                self._replace(info, key, old, obj, verb="update", emit=False)
            return self._bucket(info).get(key)

    def write_status(self, info: KindInfo, key: Key, status: Obj) -> None:
        """A controller's status write (``UpdateStatus``), no reaction woken."""
        with self.lock:
            old = self._bucket(info).get(key)
            if old is None:
                return
            obj = json_copy(old)
            obj["status"] = status
            with managedfields.write_context(None):
                self._replace(info, key, old, obj, verb="status", emit=False)

    def items_get(self, info: KindInfo, key: Key) -> Obj | None:
        """The stored object at ``key`` (not a copy: never mutate it), or None."""
        return self._bucket(info).get(key)

    @contextmanager
    def controller_writes(self) -> Iterator[None]:
        """Writes of the fake's own controllers: no reaction woken, no request's managedFields."""
        with self.lock:
            quiet = getattr(self._reacting, "on", False)
            self._reacting.on = True
            try:
                with managedfields.write_context(None):
                    yield
            finally:
                self._reacting.on = quiet

    def items(self, info: KindInfo) -> Items:
        """The stored (key, object) pairs of a kind, for controllers (read under the lock, never
        mutated: a write stores a new dict)."""
        return list(self._bucket(info).items())

    # -- Python-side access (fixtures, reactions, tickers) -------------------

    def put(self, obj: Obj, *, validate: bool = True) -> Obj:
        """Create or overwrite ``obj`` as given (status included), bumping resourceVersion.

        A namespaced object's namespace is created if missing. No precondition,
        no reactions. Returns a copy of what is stored.

        The object goes through the same decoding, defaulting and validation as a
        write over HTTP, with ``fieldValidation=Strict`` (an unknown field is an error,
        not a warning) and the create-time rules on the whole object, status included:
        what is stored is an object a real cluster could hold. ``validate=False``
        stores it as given (for a test that needs a deliberately broken world).
        """
        if not isinstance(obj, dict) or "apiVersion" not in obj or "kind" not in obj:
            raise ValueError(f"an object needs apiVersion and kind: {obj!r}")
        info = self.kind(obj["apiVersion"], obj["kind"])
        new = json_copy(obj)
        meta = new.setdefault("metadata", {})
        if not meta.get("name"):
            raise ValueError(f"{info.kind} needs metadata.name")
        if info.namespaced and not meta.get("namespace"):
            raise ValueError(f"{info.kind} {meta['name']} is namespaced: give metadata.namespace")
        if not info.namespaced:
            meta.pop("namespace", None)
        opts = WriteOptions(field_validation="Strict", validate=validate)
        key = self._key(info, meta.get("namespace"), meta["name"])
        admission.decode(info, new, opts, self._bucket(info).get(key))
        meta = new["metadata"]
        with self.lock:
            if info.namespaced and not self._namespace_exists(meta["namespace"]):
                self.put(
                    {
                        "apiVersion": "v1",
                        "kind": "Namespace",
                        "metadata": {"name": meta["namespace"]},
                    }
                )
            key = self._key(info, meta.get("namespace"), meta["name"])
            old = self._bucket(info).get(key)
            if old is None:
                self._stamp_new(info, new)
                if info.kind == "Namespace" and info.api_version == "v1":
                    new.setdefault("status", {"phase": "Active"})
                    namespace_defaults(new)
                admission.validate(info, new, None, opts)
                self._stored(info, key, new)
                return json_copy(new)
            self._fold_string_data(info, new)
            merged_meta = dict(old["metadata"])
            merged_meta.update({k: v for k, v in meta.items() if k not in ("resourceVersion",)})
            new["metadata"] = merged_meta
            new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            new["metadata"].pop("generation", None)
            if "generation" in old["metadata"]:
                new["metadata"]["generation"] = old["metadata"]["generation"]
            if info.generation and _content_changed(info, new, old):
                new["metadata"]["generation"] = int(old["metadata"].get("generation", 0)) + 1
            admission.validate(info, new, None, opts)
            if new != old:
                new["metadata"]["resourceVersion"] = self._next_rv()
                self._stored(info, key, new)
            return json_copy(self._bucket(info)[key])

    def find(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Obj | None:
        info = self.kind(api_version, kind)
        with self.lock:
            obj = self._bucket(info).get(self._key(info, namespace, name))
            return json_copy(obj) if obj is not None else None

    def find_all(self, api_version: str, kind: str, namespace: str | None = None,
                 label_selector: str | None = None) -> Objs:
        info = self.kind(api_version, kind)
        with self.lock:
            return json_copy(self.list(info, namespace, label_selector))

    def remove(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool:
        """Delete at once (finalizers ignored); True if it existed."""
        info = self.kind(api_version, kind)
        with self.lock:
            key = self._key(info, namespace, name)
            if key not in self._bucket(info):
                return False
            self._dropped(info, key)
            return True

    def objects(self) -> Objs:
        return json_copy(self.stored_objects())

    def stored_objects(self) -> Objs:
        """Every stored object itself, not a copy (read them, never change them: see :meth:`items`)."""
        with self.lock:
            return [o for bucket in self._store.values() for _, o in sorted(bucket.items())]

    def iter_kinds(self) -> Iterator[KindInfo]:
        return iter(list(self.kinds.values()))

    @contextmanager
    def dry_run(self) -> Iterator[KubeModel]:
        """Run writes that leave no trace (``?dryRun=All``): no change kept, no reaction woken."""
        with self.lock:
            snap = self.snapshot()
            quiet = getattr(self._reacting, "on", False)
            self._reacting.on = True
            try:
                yield self
            finally:
                self._reacting.on = quiet
                self.restore(snap)

    @contextmanager
    def locked(self) -> Iterator[KubeModel]:
        with self.lock:
            yield self
