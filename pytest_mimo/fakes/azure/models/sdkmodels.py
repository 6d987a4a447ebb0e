"""What the official ``azure-mgmt-*`` packages say about a resource's wire shape: which
properties are read-only, which are required, and which api-versions each resource type has.

Two generations of generated SDK are read:

* msrest-style models (``azure-mgmt-compute`` 33, ``azure-mgmt-containerregistry`` 14: one
  ``vYYYY_MM_DD`` package per api-version): ``_attribute_map`` gives each attribute's wire key
  (dotted when flattened, ``properties.privateIPAddress``) and type (``[Foo]``, ``{str}``,
  ``Foo``), ``_validation`` marks ``readonly`` and ``required``;
* TypeSpec-generated models (``azure-mgmt-network`` 31+, ``-compute`` 34+,
  ``-containerregistry`` 15+): each attribute is a ``rest_field(name=..., visibility=[...])``;
  ``visibility == ["read"]`` is read-only, a type annotation without ``Optional`` is required.

Either way the result is a :class:`Shape` tree in wire names, built lazily (models are recursive:
a subnet lists NIC IP configurations which name subnets) and cached per model class.

Api-versions: a multi-api package lists one ``vYYYY_MM_DD`` package per version, and a resource
type "has" a version when that package's operations define the type's operation group; a
single-api package has the one version its operation group's request builders send.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Shape", "Prop", "SdkResource", "shape_of", "model_shape", "api_versions", "strip_read_only", "missing_required",
           "read_only_paths"]


@dataclass
class Prop:
    """One wire property of an object: ``container`` is ``""`` (one value), ``"list"`` or ``"dict"``."""

    read_only: bool = False
    required: bool = False
    shape: Shape | None = None  #: the object's shape, when the value (or each item) is an object
    container: str = ""


@dataclass
class Shape:
    """An object's wire properties, by wire name (``privateIPAddress``)."""

    model: str
    props: dict[str, Prop] = field(default_factory=dict)


@dataclass(frozen=True)
class SdkResource:
    """Where a resource type's model lives: the package, its model class and its operation group."""

    package: str  #: e.g. ``azure.mgmt.network``
    model: str  #: e.g. ``NetworkInterface``
    operations: str  #: operation group class, e.g. ``NetworkInterfacesOperations``


# -- api-versions --------------------------------------------------------------------------------
_VERSION_DIR = re.compile(r"^v(\d{4})_(\d{2})_(\d{2})(_[a-z0-9_]+)?$")


def _version_of_dir(name: str) -> str | None:
    m = _VERSION_DIR.match(name)
    if m is None:
        return None
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" + (m.group(4) or "").replace("_", "-")


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def _version_dirs(package: str) -> dict[str, str]:
    """api-version -> sub-package, for a multi-api package (empty for a single-api one)."""
    root = _package_dir(package)
    if root is None:
        return {}
    out = {}
    for child in sorted(root.iterdir()):
        version = _version_of_dir(child.name)
        if version is not None and (child / "__init__.py").exists():
            out[version] = f"{package}.{child.name}"
    return out


@functools.cache
def _defines_class(package: str, class_name: str) -> bool:
    """Whether ``<package>.operations`` defines ``class_name`` (read as text: no import of every version)."""
    root = _package_dir(package)
    if root is None:
        return False
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    if (root / "operations" / f"_{snake}.py").exists():  # msrest: one file per operation group
        return True
    needle = re.compile(rf"^class {re.escape(class_name)}\b", re.MULTILINE)
    return any(needle.search(f.read_text(encoding="utf-8", errors="replace"))
               for f in (root / "operations").glob("*.py"))


def _builder_versions(package: str, class_name: str) -> set[str]:
    """The api-versions a single-api package has for one operation group: those its methods'
    ``@api_version_validation(api_versions_list=[...])`` name, and the one each
    ``build_<group>_..._request`` the group calls sends (called with placeholders, the version read
    from the request it builds)."""
    ops = importlib.import_module(f"{package}.operations")
    cls = getattr(ops, class_name, None)
    if cls is None:
        return set()
    source_module = sys.modules[cls.__module__]
    text = _class_text(source_module, class_name)
    out = set()
    for listed in re.findall(r"api_versions_list=\[([^\]]*)\]", text):  # @api_version_validation(...)
        out.update(re.findall(r'"([^"]+)"', listed))
    for name in sorted(set(re.findall(r"\b(build_[a-z0-9_]+_request)\(", text))):
        builder = getattr(source_module, name, None)
        if builder is None:
            continue
        kwargs = {}
        for pname, param in inspect.signature(builder).parameters.items():
            if param.kind in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD) and param.default is param.empty:
                kwargs[pname] = "x"
        try:
            request = builder(**kwargs)
        except Exception:  # noqa: BLE001 - a builder the placeholders do not suit says nothing
            continue
        m = re.search(r"[?&]api-version=([^&]+)", str(getattr(request, "url", "")))
        if m is not None:
            out.add(m.group(1))
    return out


def _class_text(module: types.ModuleType, class_name: str) -> str:
    """The source of one top-level class, cut from its module's text (``inspect.getsource`` parses
    the whole module, seconds for the SDKs' largest files)."""
    path = getattr(module, "__file__", None)
    if not path:
        return ""
    text = _file_text(path)
    m = re.search(rf"^class {re.escape(class_name)}\b", text, re.MULTILINE)
    if m is None:
        return ""
    start = m.start()
    end = text.find("\nclass ", start + 1)
    return text[start:] if end < 0 else text[start:end]


@functools.lru_cache(maxsize=32)
def _file_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8", errors="replace")


@functools.cache
def api_versions(resource: SdkResource) -> tuple[str, ...]:
    """Every api-version the installed SDK carries for the resource's operation group, sorted."""
    dirs = _version_dirs(resource.package)
    if dirs:
        found = {v for v, pkg in dirs.items() if _defines_class(pkg, resource.operations)}
    else:
        found = _builder_versions(resource.package, resource.operations)
    return tuple(sorted(found))


# -- shapes ----------------------------------------------------------------------------------------
def _models_module(resource: SdkResource, api_version: str | None) -> types.ModuleType:
    dirs = _version_dirs(resource.package)
    if dirs:
        pkg = dirs.get(api_version or "") or dirs[max(v for v in dirs if _defines_class(dirs[v], resource.operations))]
        return importlib.import_module(f"{pkg}.models")
    return importlib.import_module(f"{resource.package}.models")


def shape_of(resource: SdkResource, api_version: str | None = None) -> Shape:
    """The wire shape of ``resource``'s model for ``api_version`` (its own ``vYYYY_MM_DD`` models in a
    multi-api package; the package's one set of models otherwise)."""
    module = _models_module(resource, api_version)
    return _shape(getattr(module, resource.model), module)


_SHAPES: dict[type, Shape] = {}


def model_shape(cls: type) -> Shape:
    """The wire shape of one SDK model class (msrest names resolve in the class's own module)."""
    return _shape(cls, sys.modules[cls.__module__])


def _shape(cls: type, module: types.ModuleType) -> Shape:
    done = _SHAPES.get(cls)
    if done is not None:
        return done
    shape = _SHAPES[cls] = Shape(cls.__name__)
    if hasattr(cls, "_attribute_map"):
        _fill_msrest(shape, cls, module)
    else:
        _fill_rest_fields(shape, cls)
    return shape


# msrest: {"attr": {"key": "properties.privateIPAddress", "type": "str"}}, {"attr": {"readonly": True}}
def _fill_msrest(shape: Shape, cls: type, module: types.ModuleType) -> None:
    validation: dict[str, dict[str, Any]] = getattr(cls, "_validation", {}) or {}
    for attr, spec in (getattr(cls, "_attribute_map", {}) or {}).items():
        keys = [k.replace("\\.", ".") for k in re.split(r"(?<!\\)\.", str(spec.get("key", attr)))]
        rules = validation.get(attr, {})
        prop = Prop(read_only=bool(rules.get("readonly")), required=bool(rules.get("required")))
        prop.container, target = _msrest_type(str(spec.get("type", "")))
        if target:
            found = getattr(module, target, None)
            if isinstance(found, type) and hasattr(found, "_attribute_map"):
                prop.shape = _shape(found, module)
        node = shape
        for key in keys[:-1]:  # a flattened attribute: properties.x lives in the "properties" object
            holder = node.props.setdefault(key, Prop(shape=Shape(f"{node.model}.{key}")))
            if prop.required:
                holder.required = True
            assert holder.shape is not None
            node = holder.shape
        node.props[keys[-1]] = prop


def _msrest_type(t: str) -> tuple[str, str]:
    if t.startswith("[") and t.endswith("]"):
        return "list", _msrest_type(t[1:-1])[1]
    if t.startswith("{") and t.endswith("}"):
        return "dict", _msrest_type(t[1:-1])[1]
    return "", t


# TypeSpec: name = rest_field(name="wireName", visibility=["read"]) with a type annotation
def _fill_rest_fields(shape: Shape, cls: type) -> None:
    module = sys.modules[cls.__module__]
    namespace = dict(vars(module))
    models_pkg = sys.modules.get(cls.__module__.rsplit(".", 1)[0])
    if models_pkg is not None:
        namespace["_models"] = models_pkg
    for klass in reversed(cls.__mro__):
        if not hasattr(klass, "__dict__"):
            continue
        annotations = klass.__dict__.get("__annotations__", {})
        for attr, value in klass.__dict__.items():
            if attr.startswith("_") or not hasattr(value, "_visibility") or not hasattr(value, "_rest_name_input"):
                continue
            wire = value._rest_name_input or attr
            visibility = value._visibility
            hint = annotations.get(attr)
            optional, container, target = _annotation(hint, namespace)
            prop = Prop(read_only=visibility == ["read"], required=not optional and visibility != ["read"],
                        container=container)
            if target is not None:
                prop.shape = _shape(target, module)
            shape.props[wire] = prop


def _annotation(hint: Any, namespace: dict[str, Any]) -> tuple[bool, str, type | None]:
    """(optional, container, model class) of a field annotation (strings evaluated in the models' module)."""
    if isinstance(hint, str):
        try:
            hint = eval(hint, namespace)  # noqa: S307 - the SDK's own annotation text
        except Exception:  # noqa: BLE001 - an annotation we cannot read: an optional scalar
            return True, "", None
    if hint is None:
        return True, "", None
    optional = False
    origin = typing.get_origin(hint)
    if origin is typing.Union or (hasattr(types, "UnionType") and isinstance(hint, types.UnionType)):
        args = typing.get_args(hint)
        optional = type(None) in args
        rest = [a for a in args if a is not type(None)]
        models = [a for a in (_resolve(a, namespace) for a in rest) if _is_model_or_container(a)]
        hint = models[0] if models else (rest[0] if len(rest) == 1 else str)
        origin = typing.get_origin(hint)
    hint = _resolve(hint, namespace)
    origin = typing.get_origin(hint)
    if origin in (list, typing.List):  # noqa: UP006
        _, _, target = _annotation(typing.get_args(hint)[0], namespace)
        return optional, "list", target
    if origin in (dict, typing.Dict):  # noqa: UP006
        args = typing.get_args(hint)
        _, _, target = _annotation(args[1] if len(args) == 2 else None, namespace)
        return optional, "dict", target
    if isinstance(hint, type) and hasattr(hint, "_attr_to_rest_field") or _is_rest_model(hint):
        return optional, "", hint
    return optional, "", None


def _resolve(hint: Any, namespace: dict[str, Any]) -> Any:
    if isinstance(hint, typing.ForwardRef):
        hint = hint.__forward_arg__
    if isinstance(hint, str):
        try:
            return eval(hint, namespace)  # noqa: S307 - the SDK's own annotation text
        except Exception:  # noqa: BLE001
            return str
    return hint


def _is_rest_model(hint: Any) -> bool:
    return isinstance(hint, type) and any(k.__name__ == "Model" and "model_base" in k.__module__ for k in hint.__mro__)


def _is_model_or_container(hint: Any) -> bool:
    return _is_rest_model(hint) or typing.get_origin(hint) in (list, dict)


# -- applying a shape to a body -----------------------------------------------------------------------
def strip_read_only(shape: Shape, body: Any) -> Any:
    """A copy of ``body`` without the properties the model marks read-only, at any depth (the
    service ignores them in a request). Properties the model does not know are kept as sent."""
    if not isinstance(body, dict):
        return body
    out = {}
    for key, value in body.items():
        prop = shape.props.get(key)
        if prop is None:
            out[key] = value
            continue
        if prop.read_only:
            continue
        out[key] = _strip_value(prop, value)
    return out


def _strip_value(prop: Prop, value: Any) -> Any:
    if prop.shape is None:
        return value
    if prop.container == "list" and isinstance(value, list):
        return [strip_read_only(prop.shape, v) for v in value]
    if prop.container == "dict" and isinstance(value, dict):
        return {k: strip_read_only(prop.shape, v) for k, v in value.items()}
    return strip_read_only(prop.shape, value)


def _nested(prop: Prop, value: Any, path: str) -> list[tuple[Shape, Any, str]]:
    """The objects inside one property's value, with their paths (``x[0]``, ``x.key``, ``x``)."""
    if prop.shape is None:
        return []
    if prop.container == "list":
        return [(prop.shape, v, f"{path}[{i}]") for i, v in enumerate(value)] if isinstance(value, list) else []
    if prop.container == "dict":
        return [(prop.shape, v, f"{path}.{k}") for k, v in value.items()] if isinstance(value, dict) else []
    return [(prop.shape, value, path)]


def read_only_paths(shape: Shape, body: Any, prefix: str = "") -> list[str]:
    """Where ``body`` carries read-only properties (``properties.ipConfigurations[0].etag``)."""
    out: list[str] = []
    if not isinstance(body, dict):
        return out
    for key, value in body.items():
        prop = shape.props.get(key)
        if prop is None:
            continue
        path = f"{prefix}.{key}" if prefix else key
        if prop.read_only:
            out.append(path)
            continue
        for sub, v, at in _nested(prop, value, path):
            out += read_only_paths(sub, v, at)
    return out


def missing_required(shape: Shape, body: Any, prefix: str = "") -> list[str]:
    """Paths of required properties ``body`` leaves out, in objects the body has (an absent
    optional object is not looked into)."""
    out: list[str] = []
    if not isinstance(body, dict):
        return out
    for key, prop in shape.props.items():
        path = f"{prefix}.{key}" if prefix else key
        value = body.get(key)
        if value is None:
            if prop.required and not prop.read_only:
                out.append(path)
            continue
        for sub, v, at in _nested(prop, value, path):
            out += missing_required(sub, v, at)
    return out
