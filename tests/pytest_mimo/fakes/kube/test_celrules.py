"""CEL ``x-kubernetes-validations`` of custom resources (issue #12).

The apiserver's behaviour, from kubernetes/staging/src/k8s.io/apiextensions-apiserver:
``pkg/apiserver/schema/cel/validation.go`` (``validateExpressions``: ``field.Invalid(fldPath,
sts.Type, ruleMessageOrDefault(rule))``, ``"<err> evaluating rule: <rule>"``, transition rules
only with an old value, ``fieldErrorForReason``) and ``pkg/registry/customresource/strategy.go``
(``hasBlockingErr``). The functions of the Kubernetes CEL library from
``k8s.io/apiserver/pkg/cel/library`` (``ip.go`` ``isIP``, ``format.go`` ``dns1123Subdomain``)
and cel-go ``ext/strings.go`` (``lowerAscii``, ``split``); list index errors from cel-go
``common/types/list.go`` (``index '%d' out of range in list size '%d'``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

import pytest_mimo.fakes.kube as fakekube
from pytest_mimo.fakes.kube import FakeKube, celrules

from .conftest import Wire
from .test_crds import WIDGETS

INGRESS = "/apis/operator.openshift.io/v1/namespaces/ns/ingresscontrollers"
CRDS = Path(fakekube.__file__).parent / "crds"


def _rules(schema: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(schema, dict):
        return
    for r in schema.get("x-kubernetes-validations") or ():
        yield path, r
    for k, v in (schema.get("properties") or {}).items():
        yield from _rules(v, f"{path}.{k}")
    yield from _rules(schema.get("items"), f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _rules(schema["additionalProperties"], f"{path}{{}}")
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or ():
            yield from _rules(sub, path)


def _shipped_rules() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for f in sorted(CRDS.glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if not doc:
                continue
            for v in doc["spec"]["versions"]:
                for path, rule in _rules(v["schema"]["openAPIV3Schema"]):
                    out.append((doc["spec"]["names"]["kind"], path, rule))
    return out


def test_every_shipped_rule_compiles_and_its_functions_exist() -> None:
    """An unsupported rule fails here, not silently at a write."""
    rules = _shipped_rules()
    assert len(rules) >= 40  # IngressController and ClusterVersion have them
    for kind, path, rule in rules:
        compiled = celrules.compile_rule(rule)
        assert compiled.program is not None, (kind, path)
        assert celrules.unsupported_functions(rule["rule"]) == set(), (kind, path, rule["rule"])
        if rule.get("messageExpression"):
            assert celrules.unsupported_functions(rule["messageExpression"]) == set()


def test_an_unknown_function_is_reported() -> None:
    assert celrules.unsupported_functions("self.fooBar('x') && quantity(self).isGreaterThan(1)") == {
        "fooBar",
        "quantity",
        "isGreaterThan",
    }


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ("isIP(self)", "10.0.0.1", True),
        ("isIP(self)", "fe80::1", True),
        ("isIP(self)", "fe80::1%eth0", False),  # a zone: refused (ip.go parseIPAddr)
        ("isIP(self)", "::ffff:10.0.0.1", False),  # IPv4-mapped IPv6: refused
        ("isIP(self)", "010.0.0.1", False),  # netip.ParseAddr: no leading zeros
        ("isIP(self)", "10.0.0", False),
        ("self.lowerAscii() == 'host'", "HoSt", True),
        ("self.lowerAscii() == 'straße'", "STRAßE", True),  # only ASCII letters change
        ("self.split('.') == ['a', 'b', '']", "a.b.", True),
        ("self.split('-', 2) == ['eipalloc', 'x-y']", "eipalloc-x-y", True),
        ("self.split('-', 0) == []", "a-b", True),
        ("!format.dns1123Subdomain().validate(self).hasValue()", "apps.example.com", True),
        ("!format.dns1123Subdomain().validate(self).hasValue()", "Apps.example.com", False),
        ("!format.dns1123Subdomain().validate(self).hasValue()", "-a.b", False),
        ("self.matches('^(?:[^%[:cntrl:]])+$')", "ok value", True),  # RE2 POSIX class
        ("self.matches('^(?:[^%[:cntrl:]])+$')", "bad\x07", False),
        ("self.all(x, self.exists_one(y, x == y))", ["a", "b"], True),
        ("self.all(x, self.exists_one(y, x == y))", ["a", "b", "a"], False),
        ("duration(self) <= duration('15m')", "15m", True),
        ("duration(self) <= duration('15m')", "15m1ms", False),
    ],
)
def test_library_functions(rule: str, value: Any, expected: bool) -> None:
    assert bool(celrules.evaluate(rule, value)) is expected


def _ingress(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "operator.openshift.io/v1",
        "kind": "IngressController",
        "metadata": {"name": "default", "namespace": "ns"},
        "spec": spec,
    }


def test_a_domain_a_rule_refuses_is_422_with_the_rules_message(kube: FakeKube, wire: Wire) -> None:
    code, body, _ = wire("POST", INGRESS, _ingress(domain="Apps.Example.com"))
    assert (code, body["reason"]) == (422, "Invalid")
    msg = (
        "domain must consist of lower case alphanumeric characters, '-' or '.', "
        "and must start and end with an alphanumeric character"
    )
    assert body["message"] == (
        f'IngressController.operator.openshift.io "default" is invalid: spec.domain: Invalid value: "string": {msg}'
    )
    assert body["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "message": f'Invalid value: "string": {msg}', "field": "spec.domain"}
    ]
    assert kube.get("operator.openshift.io/v1", "IngressController", "default", "ns") is None
    code, body, _ = wire("POST", INGRESS, _ingress(domain="apps.example.com"))
    assert code == 201, body


def test_a_root_rule_has_the_nil_path(wire: Wire) -> None:
    """A rule at the resource root: Go's nil ``*field.Path`` prints ``<nil>``; the value is
    the schema type, ``object``."""
    code, body, _ = wire("POST", INGRESS, _ingress(domain=".".join(["a" * 60] * 4)))
    assert code == 422
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: "object": The combined \'router-\' + metadata.name + \'.\' + '
            ".spec.domain cannot exceed 253 characters",
            "field": "<nil>",
        }
    ]


def test_an_evaluation_error_is_reported_with_the_rules_message(wire: Wire) -> None:
    lb = {"scope": "External", "providerParameters": {"type": "AWS", "aws": {"type": "NLB",
          "networkLoadBalancer": {"eipAllocations": ["eipalloc"]}}}}
    body_in = _ingress(endpointPublishingStrategy={"type": "LoadBalancerService", "loadBalancer": lb})
    code, body, _ = wire("POST", INGRESS, body_in)
    assert code == 422, body
    path = "spec.endpointPublishingStrategy.loadBalancer.providerParameters.aws.networkLoadBalancer.eipAllocations[0]"
    causes = [c for c in body["details"]["causes"] if c["field"] == path]
    assert causes[0]["message"].endswith("in body should be at least 26 chars long")  # minLength first
    assert causes[1:] == [
        {"reason": "FieldValueInvalid", "field": path,
         "message": "Invalid value: \"string\": eipAllocations should start with 'eipalloc-'"},
        {"reason": "FieldValueInvalid", "field": path,
         "message": "Invalid value: \"string\": index '1' out of range in list size '1' evaluating rule: "
         "eipAllocations must be 'eipalloc-' followed by exactly 17 hexadecimal characters (0-9, a-f, A-F)"},
    ]


def test_the_official_client_gets_the_422_and_an_acceptable_object_is_stored(kube: FakeKube) -> None:
    with kube.api_client() as api:
        res = DynamicClient(api).resources.get(api_version="operator.openshift.io/v1", kind="IngressController")
        bad = _ingress(httpHeaders={"actions": {"request": [
            {"name": "Host", "action": {"type": "Set", "set": {"value": "x"}}}]}})
        with pytest.raises(ApiException) as info:
            res.create(body=bad, namespace="ns")
        assert info.value.status == 422
        causes = json.loads(info.value.body)["details"]["causes"]
        assert causes == [{
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: "string": host header may not be modified via header actions',
            "field": "spec.httpHeaders.actions.request[0].name",
        }]
        good = copy.deepcopy(bad)
        good["spec"]["httpHeaders"]["actions"]["request"][0]["name"] = "X-Frame"
        res.create(body=good, namespace="ns")
        stored = kube.get("operator.openshift.io/v1", "IngressController", "default", "ns")
        assert stored is not None and stored["spec"]["httpHeaders"]["actions"]["request"][0]["name"] == "X-Frame"


def test_a_structural_type_error_blocks_the_rules(wire: Wire) -> None:
    code, body, _ = wire("POST", INGRESS, _ingress(domain="Bad", replicas="x"))
    assert code == 422
    assert [c["field"] for c in body["details"]["causes"]] == ["spec.replicas", "<nil>"]


def _gadgets() -> dict[str, Any]:
    """test_crds' Widget CRD as a Gadget whose spec has rules."""
    crd = copy.deepcopy(WIDGETS)
    crd["metadata"]["name"] = "gadgets.example.com"
    crd["spec"]["names"] = {"plural": "gadgets", "kind": "Gadget"}
    version = crd["spec"]["versions"][0]
    del version["subresources"]
    version["schema"]["openAPIV3Schema"]["properties"]["spec"] = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "x-kubernetes-validations": [
                {"rule": "self == oldSelf", "message": "name is immutable"}]},
            "size": {"type": "integer"},
        },
        "x-kubernetes-validations": [
            {"rule": "!has(self.size) || self.size < 10", "reason": "FieldValueForbidden",
             "messageExpression": "'size ' + string(self.size) + ' is too big'"},
            {"rule": "!has(self.size) || self.size != 7", "fieldPath": ".size"},
        ],
    }
    return crd


GADGETS = _gadgets()


def test_a_transition_rule_is_evaluated_on_update_only(kube: FakeKube, wire: Wire) -> None:
    kube.add(GADGETS)
    path = "/apis/example.com/v1/namespaces/ns/gadgets"
    obj = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g", "namespace": "ns"},
           "spec": {"name": "a", "size": 1}}
    code, body, _ = wire("POST", path, obj)
    assert code == 201, body  # no oldSelf on create: not evaluated
    obj = body
    obj["spec"]["name"] = "b"
    code, body, _ = wire("PUT", f"{path}/g", obj)
    assert code == 422
    assert body["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "message": 'Invalid value: "string": name is immutable', "field": "spec.name"}
    ]
    obj["spec"]["name"] = "a"
    obj["spec"]["size"] = 12
    code, body, _ = wire("PUT", f"{path}/g", obj)
    assert code == 422
    assert body["details"]["causes"] == [
        {"reason": "FieldValueForbidden", "message": "Forbidden: size 12 is too big", "field": "spec"}
    ]
    obj["spec"]["size"] = 7
    code, body, _ = wire("PUT", f"{path}/g", obj)
    assert body["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "field": "spec.size",
         "message": 'Invalid value: "object": failed rule: !has(self.size) || self.size != 7'}
    ]
    obj["spec"]["size"] = 2
    code, body, _ = wire("PUT", f"{path}/g", obj)
    assert code == 200, body


def test_kinds_without_rules_have_none() -> None:
    from pytest_mimo.fakes.kube.schemas import schema_for

    with FakeKube(token="tok") as kube:
        kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}})
        co = kube.model.kind("config.openshift.io/v1", "ClusterOperator")
        ic = kube.model.kind("operator.openshift.io/v1", "IngressController")
        node_co = schema_for(co.api_version, co.kind, co.schema_id)
        node_ic = schema_for(ic.api_version, ic.kind, ic.schema_id)
    assert node_co is not None and not celrules.has_rules(node_co)
    assert node_ic is not None and celrules.has_rules(node_ic)
    _ = k8s  # the typed client is not used: client 37 checks IngressController types itself


def test_an_unchanged_value_is_ratcheted(kube: FakeKube, wire: Wire) -> None:
    """CRDValidationRatcheting: a rule without oldSelf failing on a value the update did not
    change is not an error (validation.go addErr: a warning)."""
    kube.add(_ingress(domain="Old_Domain"), validate=False)  # stored before the rule existed
    obj = kube.get("operator.openshift.io/v1", "IngressController", "default", "ns")
    assert obj is not None
    obj["spec"]["replicas"] = 3
    code, body, _ = wire("PUT", f"{INGRESS}/default", obj)
    assert code == 200, body
    body["spec"]["domain"] = "New_Domain"
    code, body, _ = wire("PUT", f"{INGRESS}/default", body)
    assert code == 422
    assert [c["field"] for c in body["details"]["causes"]] == ["spec.domain"]


def test_a_rule_cel_cannot_parse_is_a_compile_error(kube: FakeKube, wire: Wire) -> None:
    crd = copy.deepcopy(GADGETS)
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["x-kubernetes-validations"] = [{"rule": "self.size >", "message": "m"}]
    kube.add(crd)
    obj = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g", "namespace": "ns"},
           "spec": {"size": 1}}
    code, body, _ = wire("POST", "/apis/example.com/v1/namespaces/ns/gadgets", obj)
    assert code == 422
    (cause,) = body["details"]["causes"]
    assert cause["field"] == "spec" and cause["message"].startswith('Invalid value: "object": rule compile error: ')


def _random_spec(rng: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if rng.random() < 0.8:
        spec["domain"] = rng.choice(["apps.example.com", "Apps.example.com", "a" * 70 + ".com", "x.y"])
    if rng.random() < 0.6:
        names = rng.sample(["X-A", "Host", "cookie", "X-B", "Proxy"], rng.randint(0, 3))
        spec["httpHeaders"] = {"actions": {"request": [
            {"name": n, "action": rng.choice([{"type": "Set", "set": {"value": rng.choice(["v", "%[req.hdr(a)]"])}},
                                              {"type": "Delete"}, {"type": "Delete", "set": {"value": "v"}}])}
            for n in names]}}
    if rng.random() < 0.5:
        spec["tuningOptions"] = {"httpKeepAliveTimeout": rng.choice(["10s", "16m", "0.5ms", "abc"]),
                                 "maxConnections": rng.choice([0, -1, 5, 2000, 3000000])}
    if rng.random() < 0.4:
        eips = rng.sample(["eipalloc-0123456789abcdef0", "eipalloc", "eipalloc-0123456789abcdef1"], rng.randint(1, 3))
        spec["endpointPublishingStrategy"] = {"type": "LoadBalancerService", "loadBalancer": {
            "scope": rng.choice(["External", "Internal"]), "providerParameters": {"type": "AWS", "aws": {
                "type": "NLB", "networkLoadBalancer": {"eipAllocations": eips}}}}}
    return spec


def test_the_cuts_give_the_same_errors_as_the_full_walk() -> None:
    """The cuts (an unchanged subtree without transition rules is not walked; a rule's outcome
    remembered per value) against the full walk evaluating every rule, on 80 seeded
    create/update pairs of IngressControllers."""
    import random

    from pytest_mimo.fakes.kube.schemas import schema_for

    with FakeKube(token="tok") as kube:
        ic = kube.model.kind("operator.openshift.io/v1", "IngressController")
    node = schema_for(ic.api_version, ic.kind, ic.schema_id)
    assert node is not None
    rng = random.Random(1204)
    seen_errors = 0
    for _ in range(80):
        old = _ingress(**_random_spec(rng))
        new = copy.deepcopy(old)
        if rng.random() < 0.7:  # change a part, keep the rest
            part = _random_spec(rng)
            for k in rng.sample(sorted(part), min(len(part), rng.randint(0, 2))):
                new["spec"][k] = part[k]
        for before in (None, old):
            cut = celrules.validate(node, new, before)  # the memo warm from earlier rounds
            celrules.SKIP_UNCHANGED = celrules.MEMO = False
            try:
                full = celrules.validate(node, new, before)
            finally:
                celrules.SKIP_UNCHANGED = celrules.MEMO = True
            assert cut == full
            seen_errors += len(full)
    assert seen_errors > 30  # the inputs do hit rules
    assert celrules._MEMO  # and the memo was used


def test_the_rule_memo_is_bounded_in_entries_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A root rule is keyed by the whole object's JSON: the memo keeps within a byte bound as well
    as an entry bound, and a key larger than the byte bound is not kept at all."""
    monkeypatch.setattr(celrules, "_MEMO", {})
    monkeypatch.setattr(celrules, "_memo_bytes", 0)
    monkeypatch.setattr(celrules, "_MEMO_MAX", 3)
    monkeypatch.setattr(celrules, "_MEMO_MAX_BYTES", 100)
    for i in range(3):
        celrules._remember((1, f"v{i}", None), None)
    assert len(celrules._MEMO) == 3
    celrules._remember((1, "v3", None), ("false", "m"))  # the entry bound: starts again
    assert celrules._MEMO == {(1, "v3", None): ("false", "m")}
    celrules._remember((1, "x" * 60, "y" * 30), None)  # 2 + 90 bytes: within 100
    assert len(celrules._MEMO) == 2 and celrules._memo_bytes == 92
    celrules._remember((1, "w" * 10, None), None)  # 92 + 10: over 100, starts again
    assert list(celrules._MEMO) == [(1, "w" * 10, None)] and celrules._memo_bytes == 10
    celrules._remember((2, "z" * 101, None), None)  # over the bound by itself: not kept
    assert (2, "z" * 101, None) not in celrules._MEMO and celrules._memo_bytes == 10
