"""The strictness modules on their own (not yet wired into the fake's write path).

Wording follows the apiserver's sources: sigs.k8s.io/json's UnmarshalTypeError text,
Go's base64 CorruptInputError, apiextensions' pruning, kube-openapi's messages as
kubeOpenAPIResultToFieldErrors renders them, and apimachinery's validation.go.
"""

from __future__ import annotations

from pytest_mimo.fakes.kube import validation
from pytest_mimo.fakes.kube.admission import WriteOptions, decode
from pytest_mimo.fakes.kube.admission import validate as admit_validate
from pytest_mimo.fakes.kube.models import BUILTIN_KINDS, ApiError

KINDS = {(k.api_version, k.kind): k for k in BUILTIN_KINDS}


def _err(fn, *args) -> ApiError:  # type: ignore[no-untyped-def]
    try:
        fn(*args)
    except ApiError as e:
        return e
    raise AssertionError("no error")


def test_configmap_integer_data_is_400_with_the_go_decoder_wording() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": 1}}
    e = _err(decode, KINDS[("v1", "ConfigMap")], obj, WriteOptions())
    assert e.code == 400
    assert e.message == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal '
        "number into Go struct field ConfigMap.data of type string"
    )


def test_secret_data_not_base64_is_400() -> None:
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a"}, "data": {"k": "no!!"}}
    e = _err(decode, KINDS[("v1", "Secret")], obj, WriteOptions())
    assert e.message.endswith("cannot be handled as a Secret: illegal base64 data at input byte 2")


def test_unknown_fields_warn_by_default_and_strict_refuses() -> None:
    info = KINDS[("apps/v1", "Deployment")]
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replica": 3}}
    opts = WriteOptions()
    decode(info, body, opts)
    assert opts.warnings == ['unknown field "spec.replica"']
    assert "replica" not in body["spec"] and body["spec"]["replicas"] == 1  # dropped, defaulted
    e = _err(decode, info, {**body, "spec": {"replica": 3}}, WriteOptions(field_validation="Strict"))
    assert e.message.endswith('strict decoding error: unknown field "spec.replica"')


def test_crd_prunes_unknown_fields_and_validates_types() -> None:
    info = KINDS[("aro.openshift.io/v1alpha1", "Cluster")]
    obj = {"apiVersion": "aro.openshift.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "cluster"},
           "spec": {"operatorFlags": {"a": "b"}, "architectureVersion": "two"}}
    opts = WriteOptions()
    decode(info, obj, opts)
    assert opts.warnings == ['unknown field "spec.operatorFlags"']
    e = _err(admit_validate, info, obj, None, opts)
    assert e.code == 422
    assert e.message == (
        'Cluster.aro.openshift.io "cluster" is invalid: spec.architectureVersion: Invalid value: '
        '"string": spec.architectureVersion in body must be of type integer: "string"'
    )


def test_bad_name_and_long_label_are_422_with_causes() -> None:
    info = KINDS[("v1", "ConfigMap")]
    obj = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "Bad_Name", "namespace": "ns", "labels": {"a": "x" * 64}}}
    e = _err(admit_validate, info, obj, None, WriteOptions())
    fields = [c["field"] for c in e.details["causes"]]  # type: ignore[index]
    assert fields == ["metadata.name", "metadata.labels"]
    assert "must be no more than 63 characters" in e.message
    assert validation.dns1123_subdomain("ok.name") == []


def test_immutable_configmap_data_cannot_change() -> None:
    info = KINDS[("v1", "ConfigMap")]
    old = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"},
           "immutable": True, "data": {"k": "1"}}
    new = {**old, "data": {"k": "2"}}
    e = _err(admit_validate, info, new, old, WriteOptions())
    assert e.message == 'ConfigMap "a" is invalid: data: Forbidden: field is immutable when `immutable` is set'


def test_same_json_tells_booleans_and_floats_from_integers() -> None:
    """An update's unchanged parts are skipped only when they are the same JSON: Go decodes
    ``true``, ``1`` and ``1.0`` differently (encoding/json), though Python's ``==`` holds."""
    from pytest_mimo.fakes.kube.decoding import same

    assert same({"a": [1, {"b": True}], "c": "x"}, {"a": [1, {"b": True}], "c": "x"})
    assert not same({"a": [1, {"b": True}]}, {"a": [1, {"b": 1}]})
    assert not same({"a": 1.0}, {"a": 1}) and not same([1], [1.0]) and not same(True, 1)
    assert not same({"a": {"b": [0]}}, {"a": {"b": [False]}})


def test_same_json_is_decided_by_a_walk_when_the_fast_encodings_differ() -> None:
    """``same`` compares ``marshal`` encodings first; equal values that encode apart (keys in
    another order, a string interned on one side, a structure too deep for marshal) are still
    the same JSON, and a type difference is still found."""
    import json
    import sys

    from pytest_mimo.fakes.kube.decoding import same

    a = {"x": [1, {"y": True}], "z": "s"}
    assert same(a, {"z": "s", "x": [1, {"y": True}]})  # another key order
    assert not same(a, {"z": "s", "x": [1, {"y": 1}]})
    assert same({"k": sys.intern("interned-on-one-side")}, json.loads('{"k": "interned-on-one-side"}'))
    deep, deep_bool = json.loads("[" * 400 + "1" + "]" * 400), json.loads("[" * 400 + "true" + "]" * 400)
    assert same(deep, json.loads(json.dumps(deep))) and not same(deep, deep_bool)


def test_base64_fast_path_gives_the_walks_verdict_on_every_input() -> None:
    """The one-match path for well-formed data answers as Go's decode loop does (the walk),
    on valid data of every padding and on mutations of it (a character replaced, removed,
    added; line breaks; padding misplaced); seeded, the seed printed."""
    import base64
    import random

    from pytest_mimo.fakes.kube.decoding import _base64_walk, base64_error

    seed = 20261204
    print(f"seed {seed}")
    rng = random.Random(seed)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n-_ é"
    cases = ["", "=", "==", "A", "AA", "AA=", "AA==", "AAA=", "AAAA", "AAAA====", "AA==AA==", "AAA==",
             "AAAA\n", "\nAAAA", "AA\n==", "AA=\n=", "A===", "AAAAA", "AAAA=", "\r\n"]
    for _ in range(3000):
        good = base64.b64encode(rng.randbytes(rng.randrange(0, 40))).decode()
        cases.append(good)
        bad = list(good)
        for _ in range(rng.randrange(1, 4)):
            op = rng.randrange(3)
            pos = rng.randrange(len(bad) + 1)
            if op == 0 and bad and pos < len(bad):
                bad[pos] = rng.choice(alphabet)
            elif op == 1 and bad and pos < len(bad):
                del bad[pos]
            else:
                bad.insert(pos, rng.choice(alphabet))
        cases.append("".join(bad))
    valid = 0
    for s in cases:
        want = _base64_walk(s)
        assert base64_error(s) == want, (s, want)
        valid += want is None
    assert 0 < valid < len(cases)  # both verdicts were exercised
