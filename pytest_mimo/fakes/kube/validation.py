"""Validation of object metadata and of the built-in kinds the tasks touch, as the API server's.

Sources (kubernetes, read with the search tool):

* ``apimachinery/pkg/util/validation/validation.go``: DNS-1123 subdomain / label,
  DNS-1035 label, qualified names, label values, config-map keys and their messages
  (``RegexError`` with its examples, ``MaxLenError``);
* ``apimachinery/pkg/api/validation/objectmeta.go``: ``ValidateObjectMetaAccessor``
  (name or generateName, namespace, generation, labels, annotations and their total
  size of 256 KiB) and ``ValidateObjectMetaUpdate``;
* ``pkg/apis/core/validation/validation.go``: ``ValidateSecret`` / ``ValidateSecretUpdate``,
  ``ValidateConfigMap`` / ``ValidateConfigMapUpdate`` (``immutable``), the container checks
  of ``validateContainers``;
* ``pkg/apis/apps/validation/validation.go``: ``ValidateDeploymentSpec`` (replicas,
  selector, selector ⊆ template labels, restartPolicy, strategy, revisionHistoryLimit,
  progressDeadlineSeconds) and the immutable selector of ``ValidateDeploymentUpdate``.

Each function returns a list of :class:`~.fielderrors.FieldError`; the caller makes one 422.
"""

from __future__ import annotations

import base64
import json
import marshal
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from . import fielderrors as fe
from .decoding import Remembered
from .fielderrors import FieldError
from .kinds import KindInfo
from .labels import SelectorError, parse_selector

__all__ = [
    "validate_object",
    "validate_update",
    "dns1123_subdomain",
    "dns1123_label",
    "dns1035_label",
    "qualified_name",
    "label_value",
]

Obj = dict[str, Any]

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"
_CONFIG_MAP_KEY_FMT = "[-._a-zA-Z0-9]+"

_DNS1123_LABEL = re.compile("^" + _DNS1123_LABEL_FMT + "$")
_DNS1123_SUBDOMAIN = re.compile("^" + _DNS1123_SUBDOMAIN_FMT + "$")
_DNS1035_LABEL = re.compile("^" + _DNS1035_LABEL_FMT + "$")
_QUALIFIED_NAME = re.compile("^" + _QUALIFIED_NAME_FMT + "$")
_LABEL_VALUE = re.compile("^" + _LABEL_VALUE_FMT + "$")
_CONFIG_MAP_KEY = re.compile("^" + _CONFIG_MAP_KEY_FMT + "$")

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
MAX_SECRET_SIZE = 1024 * 1024
FIELD_IMMUTABLE = "field is immutable"
IS_NEGATIVE = "must be greater than or equal to 0"
IMMUTABLE_WHEN_SET = "field is immutable when `immutable` is set"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """``validation.RegexError``: the message, the examples, the regex."""
    s = msg + " (e.g. "
    for i, ex in enumerate(examples):
        if i > 0:
            s += " or "
        s += "'" + ex + "', "
    return s + "regex used for validation is '" + fmt + "')"


#: the string rules below are pure and their inputs (names, label keys and values) repeat from
#: write to write: each verdict is computed once (callers only read the lists they get)
_rule = lru_cache(maxsize=8192)


def max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


@_rule
def dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _DNS1123_LABEL.match(value):
        errs.append(
            regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
                "'-', and must start and end with an alphanumeric character",
                _DNS1123_LABEL_FMT,
                "my-name",
                "123-abc",
            )
        )
    return errs


@_rule
def dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(
            regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                "'-' or '.', and must start and end with an alphanumeric character",
                _DNS1123_SUBDOMAIN_FMT,
                "example.com",
            )
        )
    return errs


@_rule
def dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _DNS1035_LABEL.match(value):
        errs.append(
            regex_error(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
                "with an alphabetic character, and end with an alphanumeric character",
                _DNS1035_LABEL_FMT,
                "my-name",
                "abc-123",
            )
        )
    return errs


@_rule
def path_segment_name(value: str) -> list[str]:
    """``path.IsValidPathSegmentName`` (RBAC names)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


_QUALIFIED_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)


@_rule
def qualified_name(value: str) -> list[str]:
    """``validation.IsQualifiedName``: ``[prefix/]name``."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + regex_error(_QUALIFIED_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len_error(63))
    if not _QUALIFIED_NAME.match(name):
        errs.append(
            "name part "
            + regex_error(_QUALIFIED_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errs


@_rule
def label_value(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _LABEL_VALUE.match(value):
        errs.append(
            regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', "
                "'_' or '.', and must start and end with an alphanumeric character",
                _LABEL_VALUE_FMT,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errs


@_rule
def config_map_key(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if not _CONFIG_MAP_KEY.match(value):
        errs.append(
            regex_error(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                _CONFIG_MAP_KEY_FMT,
                "key.name",
                "KEY_NAME",
                "key-name",
            )
        )
    if value == ".":
        errs.append("must not be '.'")
    elif value == "..":
        errs.append("must not be '..'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


# -- object metadata --------------------------------------------------------------------------

NameFn = Callable[[str], list[str]]

#: the name rule of each built-in kind that is not a DNS-1123 subdomain (the default)
_NAME_RULES: dict[tuple[str, str], NameFn] = {
    ("v1", "Namespace"): dns1123_label,
    ("v1", "Service"): dns1035_label,
    ("rbac.authorization.k8s.io/v1", "Role"): path_segment_name,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): path_segment_name,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): path_segment_name,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): path_segment_name,
}


def name_rule(info: KindInfo) -> NameFn:
    return _NAME_RULES.get((info.api_version, info.kind), dns1123_subdomain)


def _mask_trailing_dash(name: str) -> str:
    return name[:-1] + "a" if len(name) > 1 and name.endswith("-") else name


def _invalid(errs: list[FieldError], path: str, value: Any, messages: list[str]) -> None:
    """One ``Invalid`` error per message of a rule (most values pass: nothing to build)."""
    if messages:
        errs.extend(fe.invalid(path, value, m) for m in messages)


def validate_labels(labels: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for k, v in (labels or {}).items():
        messages = qualified_name(k)
        if messages:
            _invalid(errs, path, k, messages)
        messages = label_value(v)
        if messages:
            _invalid(errs, path, v, messages)
    return errs


def validate_annotations(annotations: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    total = 0
    for k, v in (annotations or {}).items():
        _invalid(errs, path, k, qualified_name(k.lower()))
        total += len(k.encode()) + len(str(v).encode())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(fe.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def validate_meta(info: KindInfo, meta: Obj, path: str = "metadata") -> list[FieldError]:
    """``ValidateObjectMetaAccessor`` with the kind's name rule."""
    errs: list[FieldError] = []
    fn = name_rule(info)
    generate = meta.get("generateName") or ""
    if generate:
        _invalid(errs, f"{path}.generateName", generate, fn(_mask_trailing_dash(generate)))
    name = meta.get("name") or ""
    if not name:
        errs.append(fe.required(f"{path}.name", "name or generateName is required"))
    else:
        messages = fn(name)
        if messages:
            _invalid(errs, f"{path}.name", name, messages)
    namespace = meta.get("namespace") or ""
    if info.namespaced:
        if not namespace:
            errs.append(fe.required(f"{path}.namespace"))
        else:
            messages = dns1123_label(namespace)
            if messages:
                _invalid(errs, f"{path}.namespace", namespace, messages)
    elif namespace:
        errs.append(fe.forbidden(f"{path}.namespace", "not allowed on this type"))
    generation = meta.get("generation")
    if isinstance(generation, int) and generation < 0:
        errs.append(fe.invalid(f"{path}.generation", generation, IS_NEGATIVE))
    labels, annotations = meta.get("labels"), meta.get("annotations")
    if labels:
        errs.extend(validate_labels(labels, f"{path}.labels"))
    if annotations:
        errs.extend(validate_annotations(annotations, f"{path}.annotations"))
    for fin in meta.get("finalizers") or ():
        _invalid(errs, f"{path}.finalizers", fin, qualified_name(fin))
    return errs


# -- the built-in kinds -----------------------------------------------------------------------


def _secret(obj: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    data = obj.get("data") or {}
    total = 0
    for key, value in data.items():
        errs.extend(fe.invalid(f"data[{key}]", key, m) for m in config_map_key(key))
        total += len(value) * 3 // 4
    if total > MAX_SECRET_SIZE:
        errs.append(fe.too_long("data", MAX_SECRET_SIZE))
    kind = obj.get("type") or "Opaque"
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if kind == "kubernetes.io/service-account-token":
        if not annotations.get("kubernetes.io/service-account.name"):
            errs.append(fe.required("metadata.annotations[kubernetes.io/service-account.name]"))
    elif kind in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        key = ".dockercfg" if kind == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        if key not in data:
            errs.append(fe.required(f"data[{key}]"))
        else:
            try:
                parsed = json.loads(base64.b64decode(data[key]) or b"null")
                if not isinstance(parsed, dict):
                    raise ValueError(
                        "json: cannot unmarshal into Go value of type map[string]interface {}"
                    )
            except ValueError as e:
                errs.append(fe.invalid(f"data[{key}]", "<secret contents redacted>", str(e)))
    elif kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs.append(fe.required("data[username]"))
            errs.append(fe.required("data[password]"))
    elif kind == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            errs.append(fe.required("data[ssh-privatekey]"))
    elif kind == "kubernetes.io/tls":
        for key in ("tls.crt", "tls.key"):
            if key not in data:
                errs.append(fe.required(f"data[{key}]"))
    return errs


def _config_map(obj: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    data = obj.get("data") or {}
    binary = obj.get("binaryData") or {}
    total = 0
    for key, value in data.items():
        errs.extend(fe.invalid(f"data[{key}]", key, m) for m in config_map_key(key))
        if key in binary:
            errs.append(fe.invalid(f"data[{key}]", key, "duplicate of key present in binaryData"))
        total += len(value.encode())
    for key, value in binary.items():
        errs.extend(fe.invalid(f"binaryData[{key}]", key, m) for m in config_map_key(key))
        if key in data:
            errs.append(fe.invalid(f"binaryData[{key}]", key, "duplicate of key present in data"))
        total += len(value) * 3 // 4
    if total > MAX_SECRET_SIZE:
        errs.append(fe.too_long("", MAX_SECRET_SIZE))
    return errs


_PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
_TERMINATION_POLICIES = ["Fallback", "File"]
_RESTART_POLICIES = ["Always", "Never", "OnFailure"]
_DNS_POLICIES = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]


def _containers(containers: Any, path: str, names: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, c in enumerate(containers or ()):
        p = f"{path}[{i}]"
        name = c.get("name") or ""
        if not name:
            errs.append(fe.required(f"{p}.name"))
        else:
            errs.extend(fe.invalid(f"{p}.name", name, m) for m in dns1123_label(name))
            if name in names:
                errs.append(fe.duplicate(f"{p}.name", name))
            names.add(name)
        if not c.get("image"):
            errs.append(fe.required(f"{p}.image"))
        policy = c.get("imagePullPolicy")
        if policy is not None and policy not in _PULL_POLICIES:
            errs.append(fe.not_supported(f"{p}.imagePullPolicy", policy, _PULL_POLICIES))
        tpolicy = c.get("terminationMessagePolicy")
        if tpolicy is not None and tpolicy not in _TERMINATION_POLICIES:
            errs.append(
                fe.not_supported(f"{p}.terminationMessagePolicy", tpolicy, _TERMINATION_POLICIES)
            )
        ports: set[tuple[Any, Any]] = set()
        for j, port in enumerate(c.get("ports") or ()):
            number = port.get("containerPort")
            if not isinstance(number, int) or not 1 <= number <= 65535:
                errs.append(
                    fe.invalid(
                        f"{p}.ports[{j}].containerPort",
                        number,
                        "must be between 1 and 65535, inclusive",
                    )
                )
            key = (number, port.get("protocol") or "TCP")
            if key in ports:
                errs.append(fe.duplicate(f"{p}.ports[{j}]", fe.GoValue(f"{{{number} {key[1]}}}")))
            ports.add(key)
        env_names: set[str] = set()
        for j, env in enumerate(c.get("env") or ()):
            if not env.get("name"):
                errs.append(fe.required(f"{p}.env[{j}].name"))
            env_names.add(env.get("name") or "")
    return errs


def validate_pod_spec(spec: Obj, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    if not spec.get("containers"):
        errs.append(fe.required(f"{path}.containers"))
    errs.extend(_containers(spec.get("initContainers"), f"{path}.initContainers", names))
    errs.extend(_containers(spec.get("containers"), f"{path}.containers", names))
    restart = spec.get("restartPolicy")
    if restart is not None and restart not in _RESTART_POLICIES:
        errs.append(fe.not_supported(f"{path}.restartPolicy", restart, _RESTART_POLICIES))
    dns = spec.get("dnsPolicy")
    if dns is not None and dns not in _DNS_POLICIES:
        errs.append(fe.not_supported(f"{path}.dnsPolicy", dns, _DNS_POLICIES))
    volumes: set[str] = set()
    for i, v in enumerate(spec.get("volumes") or ()):
        vname = v.get("name") or ""
        if not vname:
            errs.append(fe.required(f"{path}.volumes[{i}].name"))
        elif vname in volumes:
            errs.append(fe.duplicate(f"{path}.volumes[{i}].name", vname))
        volumes.add(vname)
    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and grace < 0:
        errs.append(fe.invalid(f"{path}.terminationGracePeriodSeconds", grace, IS_NEGATIVE))
    return errs


def _selector_text(selector: Obj) -> fe.GoValue:
    """What the selector prints as in a field error (the internal type's ``String()``)."""
    labels = ",".join(f"{k}: {v}" for k, v in sorted((selector.get("matchLabels") or {}).items()))
    exprs = ",".join(
        f"LabelSelectorRequirement{{Key:{e.get('key', '')},Operator:{e.get('operator', '')},"
        f"Values:[{' '.join(e.get('values') or [])}],}}"
        for e in selector.get("matchExpressions") or ()
    )
    return fe.GoValue(
        f"&LabelSelector{{MatchLabels:map[string]string{{{labels + ',' if labels else ''}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}"
    )


def _selector_string(selector: Obj) -> str:
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for e in selector.get("matchExpressions") or ():
        op, key, values = e.get("operator"), e.get("key", ""), e.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            raise SelectorError(f"{op!r} is not a valid label selector operator")
    return ",".join(parts)


_selector_matcher = lru_cache(maxsize=1024)(parse_selector)


def _label_selector(selector: Obj, path: str) -> list[FieldError]:
    errs = validate_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, e in enumerate(selector.get("matchExpressions") or ()):
        p = f"{path}.matchExpressions[{i}]"
        op = e.get("operator")
        values = e.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                errs.append(
                    fe.required(
                        f"{p}.values", "must be specified when `operator` is 'In' or 'NotIn'"
                    )
                )
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(
                    fe.forbidden(
                        f"{p}.values",
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    )
                )
        else:
            errs.append(fe.invalid(f"{p}.operator", op, "not a valid selector operator"))
        errs.extend(
            fe.invalid(f"{p}.key", e.get("key", ""), m) for m in qualified_name(e.get("key", ""))
        )
    return errs


def _int_or_percent(value: Any, path: str) -> tuple[list[FieldError], float | None]:
    if value is None:
        return [], None
    if isinstance(value, int):
        if value < 0:
            return [fe.invalid(path, value, IS_NEGATIVE)], None
        return [], float(value)
    m = re.fullmatch(r"([0-9]+)%", str(value))
    if not m:
        return [
            fe.invalid(
                path,
                value,
                "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
            )
        ], None
    pct = int(m.group(1))
    if pct > 100:
        return [fe.invalid(path, value, "must not be greater than 100%")], None
    return [], float(pct) if pct else 0.0


def _deployment(obj: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    spec = obj.get("spec") or {}
    replicas = spec.get("replicas", 1)
    if isinstance(replicas, int) and replicas < 0:
        errs.append(fe.invalid("spec.replicas", replicas, IS_NEGATIVE))
    selector = spec.get("selector")
    matches: Callable[[dict[str, str]], bool] | None = None
    if selector is None:
        errs.append(fe.required("spec.selector"))
    else:
        errs.extend(_label_selector(selector, "spec.selector"))
        if not (selector.get("matchLabels") or selector.get("matchExpressions")):
            errs.append(
                fe.invalid(
                    "spec.selector",
                    _selector_text(selector),
                    "empty selector is invalid for deployment",
                )
            )
        try:
            matches = _selector_matcher(_selector_string(selector))
        except SelectorError:
            errs.append(
                fe.invalid("spec.selector", _selector_text(selector), "invalid label selector")
            )
    template = spec.get("template")
    if template is None:
        errs.append(fe.required("spec.template"))
    else:
        tmeta = template.get("metadata") or {}
        tlabels = tmeta.get("labels") or {}
        if (
            matches is not None
            and selector
            and (selector.get("matchLabels") or selector.get("matchExpressions"))
            and not matches(tlabels)
        ):
            errs.append(
                fe.invalid(
                    "spec.template.metadata.labels",
                    fe.go_string_map(tlabels),
                    "`selector` does not match template `labels`",
                )
            )
        errs.extend(validate_labels(tmeta.get("labels"), "spec.template.metadata.labels"))
        errs.extend(
            validate_annotations(tmeta.get("annotations"), "spec.template.metadata.annotations")
        )
        pod = template.get("spec") or {}
        errs.extend(validate_pod_spec(pod, "spec.template.spec"))
        restart = pod.get("restartPolicy", "Always")
        if restart in _RESTART_POLICIES and restart != "Always":
            errs.append(fe.not_supported("spec.template.spec.restartPolicy", restart, ["Always"]))
        if pod.get("activeDeadlineSeconds") is not None:
            errs.append(
                fe.invalid(
                    "spec.template.spec.activeDeadlineSeconds",
                    pod["activeDeadlineSeconds"],
                    "activeDeadlineSeconds in ReplicaSet is not Supported",
                )
            )
    strategy = spec.get("strategy") or {}
    stype = strategy.get("type", "RollingUpdate")
    if stype == "Recreate":
        if strategy.get("rollingUpdate") is not None:
            errs.append(
                fe.forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            )
    elif stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if ru is None:
            errs.append(
                fe.required(
                    "spec.strategy.rollingUpdate", "this should be defaulted and never be nil"
                )
            )
        else:
            e1, unavailable = _int_or_percent(
                ru.get("maxUnavailable"), "spec.strategy.rollingUpdate.maxUnavailable"
            )
            e2, surge = _int_or_percent(ru.get("maxSurge"), "spec.strategy.rollingUpdate.maxSurge")
            errs.extend(e1 + e2)
            if unavailable == 0 and surge == 0:
                errs.append(
                    fe.invalid(
                        "spec.strategy.rollingUpdate.maxUnavailable",
                        ru.get("maxUnavailable"),
                        "may not be 0 when `maxSurge` is 0",
                    )
                )
    else:
        errs.append(fe.not_supported("spec.strategy.type", stype, ["Recreate", "RollingUpdate"]))
    min_ready = spec.get("minReadySeconds", 0)
    if isinstance(min_ready, int) and min_ready < 0:
        errs.append(fe.invalid("spec.minReadySeconds", min_ready, IS_NEGATIVE))
    limit = spec.get("revisionHistoryLimit")
    if isinstance(limit, int) and limit < 0:
        errs.append(fe.invalid("spec.revisionHistoryLimit", limit, IS_NEGATIVE))
    deadline = spec.get("progressDeadlineSeconds")
    if isinstance(deadline, int):
        if deadline < 0:
            errs.append(fe.invalid("spec.progressDeadlineSeconds", deadline, IS_NEGATIVE))
        if isinstance(min_ready, int) and deadline <= min_ready:
            errs.append(
                fe.invalid(
                    "spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"
                )
            )
    return errs


_KIND_RULES: dict[tuple[str, str], Callable[[Obj], list[FieldError]]] = {
    ("v1", "Secret"): _secret,
    ("v1", "ConfigMap"): _config_map,
    ("apps/v1", "Deployment"): _deployment,
    ("v1", "Pod"): lambda obj: validate_pod_spec(obj.get("spec") or {}, "spec"),
}


#: the kind rules that read nothing but the object's ``spec`` (pure functions of it)
_SPEC_RULES = frozenset({("apps/v1", "Deployment"), ("v1", "Pod")})
#: (kind, the ``marshal`` encoding of a spec) that passed its kind's rule: equal encodings are
#: the same JSON (key order and types included: a bool, an int, a float each have their own
#: code), so the rule would pass again. An update that leaves the spec as it was (a label, an
#: annotation) does not run it again (a Deployment's spec rules: ~15 us of its update)
_PASSED = Remembered()


def _kind_errors(
    key: tuple[str, str], rule: Callable[[Obj], list[FieldError]], obj: Obj, spec_code: bytes | None = None
) -> list[FieldError]:
    """``rule(obj)``; a spec-only rule's pass is remembered per spec (see :data:`_SPEC_RULES`);
    a failure is never remembered (its errors are computed anew). ``spec_code``: the spec's
    ``marshal`` encoding when the caller has it (decoding computed it)."""
    if key not in _SPEC_RULES:
        return rule(obj)
    if spec_code is not None:
        seen = (key, spec_code)
    else:
        try:
            seen = (key, marshal.dumps(obj.get("spec"), 2))
        except ValueError:  # nested too deeply for marshal
            return rule(obj)
    if seen in _PASSED.keys:
        return []
    errs = rule(obj)
    if not errs:
        _PASSED.add(seen, len(seen[1]))
    return errs


def validate_object(info: KindInfo, obj: Obj, spec_code: bytes | None = None) -> list[FieldError]:
    """Create-time validation: metadata, then the kind's own rules (``spec_code``: the
    ``marshal`` encoding of ``obj["spec"]``, if the caller has it)."""
    errs = validate_meta(info, obj.get("metadata") or {})
    key = (info.api_version, info.kind)
    rule = _KIND_RULES.get(key)
    if rule is not None:
        errs.extend(_kind_errors(key, rule, obj, spec_code))
    return errs


def validate_meta_update(meta: Obj, old_meta: Obj) -> list[FieldError]:
    """``ValidateObjectMetaAccessorUpdate``'s rules that ``rest.BeforeUpdate`` leaves to check
    (it carries creationTimestamp, deletionTimestamp and generation over itself): no new
    finalizers on an object being deleted, and an immutable ``uid``."""
    errs: list[FieldError] = []
    if old_meta.get("deletionTimestamp"):
        extra = sorted(set(meta.get("finalizers") or ()) - set(old_meta.get("finalizers") or ()))
        if extra:
            listed = ", ".join(fe.go_value(f) for f in extra)
            errs.append(
                fe.forbidden(
                    "metadata.finalizers",
                    "no new finalizers can be added if the object is being deleted, found new "
                    f"finalizers []string{{{listed}}}",
                )
            )
    if meta.get("uid") != old_meta.get("uid"):
        errs.append(fe.invalid("metadata.uid", meta.get("uid") or "", FIELD_IMMUTABLE))
    return errs


def validate_update(info: KindInfo, obj: Obj, old: Obj, spec_code: bytes | None = None) -> list[FieldError]:
    """Update-time validation: what may not change, then the whole new object (``spec_code``:
    the ``marshal`` encoding of ``obj["spec"]``, if the caller has it)."""
    errs = validate_meta_update(obj.get("metadata") or {}, old.get("metadata") or {})
    key = (info.api_version, info.kind)
    if key in (("v1", "Secret"), ("v1", "ConfigMap")):
        if key == ("v1", "Secret") and (obj.get("type") or "Opaque") != (
            old.get("type") or "Opaque"
        ):
            errs.append(fe.invalid("type", obj.get("type") or "Opaque", FIELD_IMMUTABLE))
        if old.get("immutable") is True:
            if obj.get("immutable") is not True:
                errs.append(fe.forbidden("immutable", IMMUTABLE_WHEN_SET))
            if (obj.get("data") or {}) != (old.get("data") or {}):
                errs.append(fe.forbidden("data", IMMUTABLE_WHEN_SET))
            if key == ("v1", "ConfigMap") and (obj.get("binaryData") or {}) != (
                old.get("binaryData") or {}
            ):
                errs.append(fe.forbidden("binaryData", IMMUTABLE_WHEN_SET))
    elif key == ("apps/v1", "Deployment"):
        new_sel = (obj.get("spec") or {}).get("selector")
        old_sel = (old.get("spec") or {}).get("selector")
        if new_sel != old_sel:
            errs.append(fe.invalid("spec.selector", _selector_text(new_sel or {}), FIELD_IMMUTABLE))
    return errs + validate_object(info, obj, spec_code)
