"""Selectors: which clusters a schedule applies to.

A selector is ``{key, operator, value | values}`` (:class:`mimo.api.Selector`);
a schedule's selectors must all hold (AND). Operators: ``eq`` (needs ``value``,
forbids ``values``), ``in`` and ``notin`` (need a non-empty ``values``, forbid
``value``). Comparison is exact and case-sensitive. An empty list matches
nothing and is refused on write.

Unknown keys: :func:`validate` refuses them at write time (so a schedule put
through the CLI cannot carry one); a schedule that reaches the store another
way and names one makes :func:`matches` raise :class:`UnknownSelectorKey`,
which the scheduler logs before skipping that cluster, as the spec asks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mimo.api import OpenShiftClusterDocument, Selector, SubscriptionDocument

__all__ = [
    "KEYS",
    "OPERATORS",
    "SelectorError",
    "UnknownSelectorKey",
    "cluster_selector_values",
    "is_managed_domain",
    "matches",
    "validate",
]

#: the keys a selector may name, in the order ``mimo selectors CLUSTER`` shows them
KEYS = (
    "resourceID",
    "bucketID",
    "subscriptionID",
    "subscriptionState",
    "authenticationType",
    "architectureVersion",
    "provisioningState",
    "outboundType",
    "APIServerVisibility",
    "isManagedDomain",
)
OPERATORS = ("eq", "in", "notin")


class SelectorError(ValueError):
    """A selector that breaks the rules; the message names it as ``selectors[i] (key 'K')``."""

    def __init__(self, index: int | None, key: object, reason: str) -> None:
        self.index = index
        self.key = key
        self.reason = reason
        if index is None:
            where = "selectors"
        elif isinstance(key, str) and key:
            where = f"selectors[{index}] (key {key!r})"
        else:
            where = f"selectors[{index}]"
        super().__init__(f"{where}: {reason}")


class UnknownSelectorKey(SelectorError):
    """A selector naming a key that is not one of :data:`KEYS` (or that the cluster has no value for)."""


def _as_selector(obj: Any, index: int) -> Selector:
    if isinstance(obj, Selector):
        return obj
    if isinstance(obj, Mapping):
        where = f"selectors[{index}]."
        try:
            return Selector.from_dict(dict(obj), where)
        except ValueError as e:
            text = str(e)
            raise SelectorError(index, obj.get("key"), text[len(where):] if text.startswith(where) else text) from None
    raise SelectorError(index, None, f"must be a selector object, not {type(obj).__name__}")


def validate(selectors: Sequence[Selector | Mapping[str, Any]]) -> None:
    """Raise :class:`SelectorError` (a ``ValueError``) naming the first bad selector, by index and key."""
    if isinstance(selectors, (str, bytes)) or not isinstance(selectors, Sequence):
        raise SelectorError(None, None, f"must be a list of selectors, not {type(selectors).__name__}")
    if not selectors:
        raise SelectorError(None, None, "must not be empty: an empty selector list matches no cluster")
    for i, raw in enumerate(selectors):
        s = _as_selector(raw, i)
        if not isinstance(s.key, str) or not s.key:
            raise SelectorError(i, None, "key: missing")
        if s.key not in KEYS:
            raise UnknownSelectorKey(i, s.key, f"unknown key; known keys: {', '.join(KEYS)}")
        if s.operator not in OPERATORS:
            raise SelectorError(i, s.key, f"unknown operator {s.operator!r}; known: {', '.join(OPERATORS)}")
        if s.operator == "eq":
            if s.value is None:
                raise SelectorError(i, s.key, "operator 'eq' needs 'value'")
            if s.values is not None:
                raise SelectorError(i, s.key, "operator 'eq' forbids 'values' (use 'in' for a list)")
            if not isinstance(s.value, str):
                raise SelectorError(i, s.key, "value: must be a string")
        else:
            if s.value is not None:
                raise SelectorError(i, s.key, f"operator {s.operator!r} forbids 'value' (use 'values': [...])")
            if not s.values:
                raise SelectorError(i, s.key, f"operator {s.operator!r} needs a non-empty 'values' list")
            if not all(isinstance(v, str) for v in s.values):
                raise SelectorError(i, s.key, "values: must be a list of strings")


def matches(values: Mapping[str, str], selectors: Sequence[Selector | Mapping[str, Any]]) -> bool:
    """Whether a cluster whose selector values are ``values`` satisfies every selector.

    An empty list matches nothing. A selector naming a key missing from
    ``values`` raises :class:`UnknownSelectorKey`; an unknown operator, or a
    selector that breaks the value rules, raises :class:`SelectorError`
    (checked for every selector before any comparison, so the answer never
    depends on the order).
    """
    if not selectors:
        return False
    parsed = [_as_selector(s, i) for i, s in enumerate(selectors)]
    for i, s in enumerate(parsed):
        if s.key not in values:
            raise UnknownSelectorKey(i, s.key, "unknown key; the cluster has no value for it")
        if s.operator not in OPERATORS:
            raise SelectorError(i, s.key, f"unknown operator {s.operator!r}; known: {', '.join(OPERATORS)}")
        if s.operator == "eq" and (s.value is None or s.values is not None):
            raise SelectorError(i, s.key, "operator 'eq' needs 'value' and forbids 'values'")
        if s.operator != "eq" and (not s.values or s.value is not None):
            raise SelectorError(i, s.key, f"operator {s.operator!r} needs a non-empty 'values' and forbids 'value'")
    for s in parsed:
        have = values[s.key]
        if s.operator == "eq":
            ok = have == s.value
        elif s.operator == "in":
            ok = have in (s.values or ())
        else:
            ok = have not in (s.values or ())
        if not ok:
            return False
    return True


#: Go's managed domain suffixes (``pkg/util/dns/manageddomains.go``: public cloud and US Gov cloud)
GO_MANAGED_DOMAIN_SUFFIXES = (".aroapp.io", ".aroapp.azure.us")


def is_managed_domain(domain: str, domain_suffix: str) -> bool:
    """Go ``dns.IsManagedDomain`` (``pkg/util/dns/manageddomains.go``), plus two cases Go never stores.

    Go: the domain ends with ``.aroapp.io`` or ``.aroapp.azure.us`` (a case-sensitive suffix
    test); so ``mycluster.eastus.aroapp.io`` is managed, ``apps.example.com`` and ``""`` are
    not. This project also counts a domain under ``domain_suffix`` (a sovereign or test
    cloud) and a short domain without a dot (``mycluster``: the RP's frontend expands it to
    ``mycluster.<region suffix>`` before storing, so a Go document never holds one).
    """
    if not domain:
        return False
    if "." not in domain:
        return True
    suffixes = (*GO_MANAGED_DOMAIN_SUFFIXES, "." + domain_suffix.strip(".")) if domain_suffix else GO_MANAGED_DOMAIN_SUFFIXES
    return any(domain.endswith(s) for s in suffixes)


def _bucket(cluster: OpenShiftClusterDocument) -> int:
    b = cluster.extra.get("bucket", 0)
    return b if isinstance(b, int) and not isinstance(b, bool) else 0


def cluster_selector_values(
    cluster: OpenShiftClusterDocument,
    subscription: SubscriptionDocument,
    *,
    domain_suffix: str | None = None,
) -> dict[str, str]:
    """The selector key → value map of one cluster (every key in :data:`KEYS`).

    As Go's ``ToSelectorData`` (``pkg/mimo/scheduler/selectors.go``) computes it:
    ``architectureVersion`` is the document's integer (``"0"`` for V1, ``"1"`` for V2),
    ``bucketID`` the document's ``bucket``, ``outboundType`` / ``APIServerVisibility`` the
    document's strings (``""`` when unset), ``authenticationType`` from
    ``UsesWorkloadIdentity``.

    ``domain_suffix`` defaults to ``Environment().domain_suffix``.
    """
    if domain_suffix is None:
        from mimo.environment import Environment

        domain_suffix = Environment().domain_suffix
    props = cluster.properties
    return {
        "resourceID": cluster.resource_id.lower(),
        "bucketID": str(_bucket(cluster)),
        "subscriptionID": cluster.subscription_id,
        "subscriptionState": subscription.state,
        "authenticationType": props.authentication_type,
        "architectureVersion": str(props.architecture_version),
        "provisioningState": props.provisioning_state,
        "outboundType": props.network_profile.outbound_type,
        "APIServerVisibility": props.apiserver_profile.visibility,
        "isManagedDomain": "true" if is_managed_domain(props.cluster_profile.domain, domain_suffix) else "false",
    }
