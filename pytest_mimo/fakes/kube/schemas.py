"""The schemas of the served kinds, from the real API definitions, compiled lazily once per process.

* Built-in kinds: the upstream JSON schemas that the PyPI package ``kubernetes-validate``
  ships, the strict variant of Kubernetes :data:`KUBERNETES_VERSION` (closed structs,
  ``x-kubernetes-patch-merge-key`` / ``-patch-strategy``, ``x-kubernetes-list-type`` /
  ``-list-map-keys``, int-or-string, quantities).
* OpenShift and ARO kinds: the real CRDs in ``crds/`` (their ``openAPIV3Schema``).

Both become one tree of :class:`Node` objects: what the decoder (:mod:`.decoding`), the
CRD validator (:mod:`.structural`), the defaulters and strategic merge patch walk. Nothing
is read before a kind is first written: the definitions file is parsed on first use of a
built-in schema, a CRD's YAML on first use of that kind.
"""

from __future__ import annotations

import importlib.util
import json
import re
import threading
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "KUBERNETES_VERSION",
    "Node",
    "schema_for",
    "builtin_definitions",
    "builtin_kinds",
    "crd",
    "CRD_FILES",
]

#: the Kubernetes release the fake claims (``/version``) and whose schemas it enforces: the
#: one the ``kubernetes`` Python client 37.x is generated from
KUBERNETES_VERSION = "1.37.0"

_SCHEMA_DIR = f"v{KUBERNETES_VERSION}-local-strict"

#: the CRD file of each custom kind the fake serves (data copied from shared/reference/crds)
CRD_FILES: dict[tuple[str, str], str] = {
    (
        "config.openshift.io/v1",
        "ClusterOperator",
    ): "0000_00_cluster-version-operator_01_clusteroperators.crd.yaml",
    (
        "config.openshift.io/v1",
        "ClusterVersion",
    ): "0000_00_cluster-version-operator_01_clusterversions-Default.crd.yaml",
    (
        "config.openshift.io/v1",
        "APIServer",
    ): "0000_10_config-operator_01_apiservers-Default.crd.yaml",
    (
        "operator.openshift.io/v1",
        "IngressController",
    ): "0000_50_ingress_00_ingresscontrollers-Default.crd.yaml",
    ("aro.openshift.io/v1alpha1", "Cluster"): "aro.openshift.io_clusters.yaml",
}

_CRD_DIR = Path(__file__).with_name("crds")


def crds_dir() -> Path:
    """Where the real CRDs the fake and the world builders use are kept (see its README)."""
    return _CRD_DIR
_lock = threading.RLock()


class Node:
    """One schema node.

    ``type`` is one of ``struct`` (an object with named fields), ``map`` (an object
    whose values share ``values``), ``list`` (items ``items``), ``string``, ``integer``,
    ``number``, ``boolean``, ``bytes`` (a base64 string), ``intorstring``, ``quantity``,
    ``time`` or ``any``. ``crd`` marks nodes of a CRD schema (pruned and validated as
    OpenAPI) against built-in ones (decoded as Go structs).
    """

    __slots__ = (
        "type",
        "crd",
        "go",
        "struct",
        "fields",
        "values",
        "items",
        "nullable",
        "format",
        "enum",
        "default",
        "has_default",
        "pattern",
        "_regex",
        "min_length",
        "max_length",
        "minimum",
        "maximum",
        "exclusive_minimum",
        "exclusive_maximum",
        "min_items",
        "max_items",
        "min_properties",
        "max_properties",
        "unique_items",
        "required",
        "preserve",
        "embedded",
        "merge_key",
        "strategy",
        "field_strategies",
        "list_type",
        "map_keys",
        "map_type",
        "one_of",
        "any_of",
        "all_of",
        "not_",
        "validations",
        "decoded_fields",
    )

    def __init__(self, type_: str, *, crd: bool = False) -> None:
        self.type = type_
        self.crd = crd
        self.go = ""  #: the Go type as decode errors name it (``v1.DeploymentSpec``, ``int32``)
        self.struct = ""  #: for structs: the Go struct's name (``DeploymentSpec``)
        self.fields: dict[str, Node] = {}
        self.values: Node | None = None
        self.items: Node | None = None
        self.nullable = False
        self.format = ""
        self.enum: list[Any] | None = None
        self.default: Any = None
        self.has_default = False
        self.pattern: str | None = None
        self._regex: re.Pattern[str] | None = None
        self.min_length: int | None = None
        self.max_length: int | None = None
        self.minimum: float | None = None
        self.maximum: float | None = None
        self.exclusive_minimum = False
        self.exclusive_maximum = False
        self.min_items: int | None = None
        self.max_items: int | None = None
        self.min_properties: int | None = None
        self.max_properties: int | None = None
        self.unique_items = False
        self.required: tuple[str, ...] = ()
        self.preserve = False
        self.embedded = False
        self.merge_key: str | None = None
        self.strategy: str = ""
        #: a struct's ``x-kubernetes-patch-strategy`` of fields that name a shared definition
        #: (``DeploymentSpec.strategy``: ``retainKeys``), which the shared node cannot carry
        self.field_strategies: dict[str, str] = {}
        self.list_type: str | None = None
        self.map_keys: tuple[str, ...] = ()
        self.map_type: str | None = None
        self.one_of: list[Node] = []
        self.any_of: list[Node] = []
        self.all_of: list[Node] = []
        self.not_: Node | None = None
        self.validations: list[dict[str, Any]] = []
        #: a struct's fields with the Python type whose values decode as they are (see
        #: :func:`.decoding._go`), built on first use (a schema is complete by then)
        self.decoded_fields: dict[str, tuple[Node, type | None]] | None = None

    def __repr__(self) -> str:
        return f"Node({self.type}{' crd' if self.crd else ''} {self.go})"

    @property
    def regex(self) -> re.Pattern[str] | None:
        if self.pattern is not None and self._regex is None:
            self._regex = re.compile(_go_regex(self.pattern))
        return self._regex

    def field(self, name: str) -> Node | None:
        return self.fields.get(name)


def _go_regex(pattern: str) -> str:
    """An ECMA/RE2 pattern as Python's ``re`` reads it (``\\d`` etc. agree; no lookarounds in RE2)."""
    return pattern


# -- built-in kinds (kubernetes-validate) ---------------------------------------------------


def _schema_root() -> Path:
    spec = importlib.util.find_spec(
        "kubernetes_validate"
    )  # located, not imported (it pulls jsonschema)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the fake Kubernetes needs the package kubernetes-validate (pip install kubernetes-validate)"
        )
    return (
        Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema" / _SCHEMA_DIR
    )


@cache
def builtin_definitions() -> dict[str, Any]:
    """``$defs`` of the release's ``_definitions.json`` (parsed once per process)."""
    with _lock:
        path = _schema_root() / "_definitions.json"
        defs: dict[str, Any] = json.loads(path.read_bytes())["$defs"]
        return defs


@cache
def builtin_kinds() -> dict[tuple[str, str], str]:
    """(apiVersion, kind) → definition name, for every kind of the release."""
    out: dict[tuple[str, str], str] = {}
    for name, d in builtin_definitions().items():
        for gvk in d.get("x-kubernetes-group-version-kind") or ():
            group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            api_version = f"{group}/{version}" if group else version
            # the kind's own definition, not a shared one (DeleteOptions, WatchEvent, …)
            if name.rsplit(".", 1)[-1] == kind:
                out.setdefault((api_version, kind), name)
    return out


_SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": ("intorstring", "intstr.IntOrString"),
    "io.k8s.apimachinery.pkg.api.resource.Quantity": ("quantity", "resource.Quantity"),
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": ("time", "v1.Time"),
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": ("time", "v1.MicroTime"),
    "io.k8s.apimachinery.pkg.runtime.RawExtension": ("any", "runtime.RawExtension"),
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": ("any", "v1.FieldsV1"),
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": ("any", "v1.JSON"),
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray": (
        "any",
        "v1.JSONSchemaPropsOrArray",
    ),
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool": (
        "any",
        "v1.JSONSchemaPropsOrBool",
    ),
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray": (
        "any",
        "v1.JSONSchemaPropsOrStringArray",
    ),
}

_refs: dict[str, Node] = {}


def _types(s: dict[str, Any]) -> list[str]:
    t = s.get("type")
    if t is None:
        return []
    return [t] if isinstance(t, str) else [x for x in t if x != "null"]


def _builtin_ref(name: str) -> Node:
    node = _refs.get(name)
    if node is not None:
        return node
    special = _SPECIAL.get(name)
    if special is not None:
        node = Node(special[0])
        node.go = special[1]
        _refs[name] = node
        return node
    d = builtin_definitions()[name]
    segs = name.split(".")
    if "properties" in d or d.get("additionalProperties") is False:
        node = Node("struct")
        node.struct = segs[-1]
        node.go = f"{segs[-2]}.{segs[-1]}"
        _refs[name] = node  # before the fields: definitions are recursive
        node.fields = {k: _builtin(v) for k, v in (d.get("properties") or {}).items()}
        node.field_strategies = _ref_strategies(d.get("properties") or {})
        node.map_type = d.get("x-kubernetes-map-type")
        node.required = tuple(d.get("required") or ())
        return node
    node = _builtin(d)
    _refs[name] = node
    return node


def _ref_strategies(props: dict[str, Any]) -> dict[str, str]:
    return {
        k: v["x-kubernetes-patch-strategy"]
        for k, v in props.items()
        if "$ref" in v and v.get("x-kubernetes-patch-strategy")
    }


def _builtin(s: dict[str, Any]) -> Node:
    ref = s.get("$ref")
    if ref:
        return _builtin_ref(ref.rsplit("/", 1)[-1])
    types = _types(s)
    t = types[0] if types else ""
    if t == "object":
        ap = s.get("additionalProperties")
        if "properties" in s:
            node = Node("struct")
            node.fields = {k: _builtin(v) for k, v in s["properties"].items()}
            node.field_strategies = _ref_strategies(s["properties"])
        elif isinstance(ap, dict):
            node = Node("map")
            node.values = _builtin(ap)
            node.go = f"map[string]{node.values.go}"
        else:
            node = Node("any")
            node.go = "map[string]interface {}"
    elif t == "array":
        node = Node("list")
        node.items = _builtin(s.get("items") or {})
        node.go = f"[]{node.items.go}"
        node.merge_key = s.get("x-kubernetes-patch-merge-key")
        node.strategy = s.get("x-kubernetes-patch-strategy") or ""
        node.list_type = s.get("x-kubernetes-list-type")
        node.map_keys = tuple(s.get("x-kubernetes-list-map-keys") or ())
    elif t == "string":
        if s.get("format") == "byte":
            node = Node("bytes")
            node.go = "[]uint8"
        else:
            node = Node("string")
            node.go = "string"
    elif t == "integer":
        node = Node("integer")
        node.format = s.get("format") or "int64"
        node.go = node.format
    elif t == "number":
        node = Node("number")
        node.go = "float64"
    elif t == "boolean":
        node = Node("boolean")
        node.go = "bool"
    else:
        node = Node("any")
        node.go = "interface {}"
    if node.type == "struct":
        node.strategy = s.get("x-kubernetes-patch-strategy") or ""
    node.map_type = s.get("x-kubernetes-map-type")
    node.nullable = "null" in (s.get("type") or ())
    if node.type == "map":
        node.strategy = s.get("x-kubernetes-patch-strategy") or ""
    return node


def _builtin_schema(api_version: str, kind: str) -> Node | None:
    name = builtin_kinds().get((api_version, kind))
    if name is None:
        return None
    with _lock:
        return _builtin_ref(name)


# -- custom resources (CRDs) ----------------------------------------------------------------


@cache
def crd(api_version: str, kind: str) -> dict[str, Any] | None:
    """The CRD document of a custom kind the fake ships (parsed once per process)."""
    fname = CRD_FILES.get((api_version, kind))
    if fname is None:
        return None
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with _lock:
        doc: dict[str, Any] = yaml.load((_CRD_DIR / fname).read_text(), Loader=loader)  # noqa: S506 - a safe loader
        return doc


def _crd_version(doc: dict[str, Any], version: str) -> dict[str, Any]:
    for v in doc["spec"]["versions"]:
        if v["name"] == version:
            return v  # type: ignore[no-any-return]
    raise KeyError(version)


def _crd_node(s: dict[str, Any]) -> Node:
    t = s.get("type") or ""
    preserve = bool(s.get("x-kubernetes-preserve-unknown-fields"))
    if s.get("x-kubernetes-int-or-string"):
        node = Node("intorstring", crd=True)
    elif t == "object":
        ap = s.get("additionalProperties")
        if "properties" in s or ap is None or ap is False:
            node = Node("struct", crd=True)
            node.fields = {k: _crd_node(v) for k, v in (s.get("properties") or {}).items()}
        else:
            node = Node("map", crd=True)
            node.values = _crd_node(
                ap if isinstance(ap, dict) else {"x-kubernetes-preserve-unknown-fields": True}
            )
    elif t == "array":
        node = Node("list", crd=True)
        node.items = _crd_node(s.get("items") or {"x-kubernetes-preserve-unknown-fields": True})
        node.list_type = s.get("x-kubernetes-list-type")
        node.map_keys = tuple(s.get("x-kubernetes-list-map-keys") or ())
    elif t in ("string", "integer", "number", "boolean"):
        node = Node(t, crd=True)
    else:
        node = Node("any", crd=True)
    node.go = t
    node.preserve = preserve
    node.embedded = bool(s.get("x-kubernetes-embedded-resource"))
    node.nullable = bool(s.get("nullable"))
    node.format = s.get("format") or ""
    if "enum" in s:
        node.enum = list(s["enum"])
    if "default" in s:
        node.default, node.has_default = s["default"], True
    node.pattern = s.get("pattern")
    node.min_length = s.get("minLength")
    node.max_length = s.get("maxLength")
    node.minimum = s.get("minimum")
    node.maximum = s.get("maximum")
    node.exclusive_minimum = bool(s.get("exclusiveMinimum"))
    node.exclusive_maximum = bool(s.get("exclusiveMaximum"))
    node.min_items = s.get("minItems")
    node.max_items = s.get("maxItems")
    node.min_properties = s.get("minProperties")
    node.max_properties = s.get("maxProperties")
    node.unique_items = bool(s.get("uniqueItems"))
    node.required = tuple(s.get("required") or ())
    node.map_type = s.get("x-kubernetes-map-type")
    node.one_of = [_crd_node(x) for x in s.get("oneOf") or ()]
    node.any_of = [_crd_node(x) for x in s.get("anyOf") or ()]
    node.all_of = [_crd_node(x) for x in s.get("allOf") or ()]
    if "not" in s:
        node.not_ = _crd_node(s["not"])
    node.validations = list(s.get("x-kubernetes-validations") or ())
    return node


def _crd_schema(api_version: str, kind: str) -> Node | None:
    doc = crd(api_version, kind)
    if doc is None:
        return None
    version = _crd_version(doc, api_version.rpartition("/")[2])
    with _lock:
        root = _crd_node(version["schema"]["openAPIV3Schema"])
        # metadata is ObjectMeta, whatever the CRD says (apiextensions: only name/generateName
        # may be constrained); apiVersion and kind are the request's
        root.fields["metadata"] = _builtin_ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
        return root


_schemas: dict[tuple[str, str], Node | None] = {}

#: openAPIV3Schema documents of CRDs created through the API, by content digest
#: (:func:`register_crd_schema`); content-addressed, so shared by every fake of the process
_crd_docs: dict[str, dict[str, Any]] = {}
_crd_nodes: dict[str, Node] = {}


def register_crd_schema(schema_id: str, openapi_v3: dict[str, Any]) -> None:
    """Make ``openapi_v3`` (one CRD version's ``schema.openAPIV3Schema``) the schema ``schema_id`` names."""
    with _lock:
        _crd_docs.setdefault(schema_id, openapi_v3)


def registered_crd_schema(schema_id: str) -> dict[str, Any] | None:
    """The ``openAPIV3Schema`` document :func:`register_crd_schema` stored under ``schema_id``."""
    with _lock:
        return _crd_docs.get(schema_id)


def _registered_schema(schema_id: str) -> Node:
    with _lock:
        node = _crd_nodes.get(schema_id)
        if node is None:
            node = _crd_node(_crd_docs[schema_id])
            node.fields["metadata"] = _builtin_ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
            # apiVersion and kind at the root are never pruned (structural pruning keeps them)
            for name in ("apiVersion", "kind"):
                node.fields.setdefault(name, _crd_node({"type": "string"}))
            _crd_nodes[schema_id] = node
        return node


def schema_for(api_version: str, kind: str, schema_id: str = "") -> Node | None:
    """The root node of a kind's schema, or None for a kind with none (registered by a test).

    ``schema_id`` names the schema of a CRD created through the API (:mod:`.crdregistry`)."""
    if schema_id:
        return _registered_schema(schema_id)
    key = (api_version, kind)
    try:
        return _schemas[key]
    except KeyError:
        pass
    with _lock:
        if key not in _schemas:
            node = _crd_schema(api_version, kind)
            if node is None:
                node = _builtin_schema(api_version, kind)
            _schemas[key] = node
        return _schemas[key]


def is_crd(api_version: str, kind: str) -> bool:
    return (api_version, kind) in CRD_FILES
