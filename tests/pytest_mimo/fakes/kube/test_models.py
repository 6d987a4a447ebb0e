"""The fake's pure parts: merge/JSON patch, label selectors, model rules without HTTP."""

from __future__ import annotations

import pytest

from pytest_mimo.fakes.kube.labels import SelectorError, parse_selector
from pytest_mimo.fakes.kube.models import ApiError, KubeModel
from pytest_mimo.fakes.kube.patching import PatchError, json_patch, merge_patch


def test_merge_patch_rfc7386_examples() -> None:
    assert merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert merge_patch({"a": "b"}, {"a": None}) == {}
    assert merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert merge_patch([1, 2], {"a": "b", "c": None}) == {"a": "b"}
    assert merge_patch({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}) == {"a": {"b": "d"}}
    src = {"a": {"b": 1}}
    merge_patch(src, {"a": {"b": 2}})
    assert src == {"a": {"b": 1}}  # input untouched


def test_json_patch_operations() -> None:
    doc = {"a": {"b": [1, 2]}, "c": "x"}
    out = json_patch(
        doc,
        [
            {"op": "add", "path": "/a/b/1", "value": 9},
            {"op": "move", "from": "/c", "path": "/d"},
            {"op": "copy", "from": "/d", "path": "/e"},
            {"op": "replace", "path": "/a/b/0", "value": 0},
            {"op": "test", "path": "/e", "value": "x"},
            {"op": "add", "path": "/k~1l", "value": 1},
        ],
    )
    assert out == {"a": {"b": [0, 9, 2]}, "d": "x", "e": "x", "k/l": 1}
    assert doc == {"a": {"b": [1, 2]}, "c": "x"}
    for bad in (
        [{"op": "remove", "path": "/zz"}],
        [{"op": "test", "path": "/c", "value": "y"}],
        [{"op": "add", "path": "/no/such", "value": 1}],
        [{"op": "jump", "path": "/c"}],
        [{"op": "add", "path": "/c"}],
        {"op": "add"},
    ):
        with pytest.raises(PatchError):
            json_patch(doc, bad)


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("", {}, True),
        ("a=b", {"a": "b"}, True),
        ("a==b", {"a": "c"}, False),
        ("a!=b", {}, True),
        ("a", {"a": ""}, True),
        ("!a", {"a": "x"}, False),
        ("a in (x, y),b notin (z)", {"a": "y", "b": "w"}, True),
        ("a in (x, y),b notin (z)", {"a": "y", "b": "z"}, False),
        ("app.kubernetes.io/name=mimo", {"app.kubernetes.io/name": "mimo"}, True),
    ],
)
def test_label_selectors(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_selector(selector)(labels) is expected


@pytest.mark.parametrize("bad", ["a in b", "=x", "a=(b", "!a in (x)"])
def test_bad_label_selectors(bad: str) -> None:
    with pytest.raises(SelectorError):
        parse_selector(bad)


def test_model_errors_are_status_objects() -> None:
    m = KubeModel()
    co = m.kind("config.openshift.io/v1", "ClusterOperator")
    with pytest.raises(ApiError) as ei:
        m.get(co, None, "x")
    assert ei.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'clusteroperators.config.openshift.io "x" not found',
        "reason": "NotFound",
        "details": {"name": "x", "group": "config.openshift.io", "kind": "clusteroperators"},
        "code": 404,
    }
    with pytest.raises(KeyError, match="not registered"):
        m.kind("v1", "Widget")
    with pytest.raises(ValueError, match="namespaced"):
        m.put({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})
    with pytest.raises(ValueError, match="apiVersion and kind"):
        m.put({"metadata": {"name": "s"}})


def test_resource_version_moves_only_on_real_changes() -> None:
    m = KubeModel()
    m.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}})
    ic = m.kind("operator.openshift.io/v1", "IngressController")
    created = m.create(ic, "ns", {"metadata": {"name": "a"}, "spec": {"replicas": 1}})
    rv = created["metadata"]["resourceVersion"]
    same = m.update(ic, "ns", "a", {**created})
    assert same["metadata"]["resourceVersion"] == rv
    changed = m.update(ic, "ns", "a", {**created, "spec": {"replicas": 2}})
    assert (
        int(changed["metadata"]["resourceVersion"]) > int(rv)
        and changed["metadata"]["generation"] == 2
    )
    with pytest.raises(ApiError) as ei:
        m.update(ic, "ns", "a", {**created, "spec": {"replicas": 3}})
    assert ei.value.reason == "Conflict"
