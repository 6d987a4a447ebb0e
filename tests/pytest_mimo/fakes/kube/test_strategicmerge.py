"""Strategic merge patch as the API server applies it.

The pure cases follow apimachinery ``pkg/util/strategicpatch/patch_test.go``: its ``MergeItem``
test struct is rebuilt below as a schema node, and each case names the test case whose
current object, patch (``ThreeWay`` / ``TwoWay``) and expected result it takes; the expected
lists are compared in order, as that file compares its raw cases (byte for byte). The
wire cases use the real schemas of the built-in kinds (kubernetes-validate) and the
status codes of ``interpretStrategicMergePatchError`` (apiserver ``handlers/patch.go``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from pytest_mimo.fakes.kube import FakeKube
from pytest_mimo.fakes.kube.schemas import Node
from pytest_mimo.fakes.kube.strategicmerge import (
    StrategicPatchError,
    go_format,
    strategic_merge_patch,
)

from .conftest import Wire
from .test_server import assert_status

SMP = "application/strategic-merge-patch+json"


def _list(items: Node, strategy: str = "", merge_key: str | None = None) -> Node:
    node = Node("list")
    node.items, node.strategy, node.merge_key = items, strategy, merge_key
    return node


def merge_item_schema() -> Node:
    """``MergeItem`` / ``RetainKeysMergeItem`` of patch_test.go, with their struct tags."""
    string, integer = Node("string"), Node("integer")
    simple_map = Node("map")
    simple_map.values = string
    item = Node("struct")
    item.struct = "MergeItem"
    retain = Node("struct")
    retain.struct = "RetainKeysMergeItem"
    raw = Node("any")
    raw.go = "runtime.RawExtension"
    item.fields = {
        "name": string,
        "value": string,
        "other": string,
        "mergingList": _list(item, "merge", "name"),
        "nonMergingList": _list(item),
        "mergingIntList": _list(integer, "merge"),
        "nonMergingIntList": _list(integer),
        # *MergeItem with patchStrategy merge, used as a list by the test cases
        "mergeItemPtr": _list(item, "merge", "name"),
        "simpleMap": simple_map,
        "replacingItem": raw,
        "retainKeysMap": retain,
        "retainKeysMergingList": _list(item, "merge,retainKeys", "name"),
    }
    item.field_strategies = {"replacingItem": "replace", "retainKeysMap": "retainKeys"}
    retain.fields = {
        "name": string,
        "value": string,
        "other": string,
        "simpleMap": simple_map,
        "mergingIntList": _list(integer, "merge"),
        "mergingList": _list(item, "merge", "name"),
        "nonMergingList": _list(item),
    }
    return item


SCHEMA = merge_item_schema()

# (patch_test.go description, current, patch, expected result), in the file's YAML
CASES: list[tuple[str, str, str, str]] = [
    (
        "nested patch merge with empty list (ThreeWay)",
        "name: hi\nmergingList:\n- name: hello2\n",
        "$setElementOrder/mergingList:\n- name: hello\n- name: doesntexist\n"
        "mergingList:\n- name: hello\n",
        "name: hi\nmergingList:\n- name: hello\n- name: hello2\n",
    ),
    (
        "nested patch merge with empty list (TwoWay)",
        "name: hi\n",
        "mergingList:\n- name: hello\n- $patch: delete\n  name: doesntexist\n",
        "name: hi\nmergingList:\n- name: hello\n",
    ),
    (
        "delete items in lists of scalars",
        "mergingIntList: [1, 2, 3, 4]\n",
        "$setElementOrder/mergingIntList: [1, 2]\n$deleteFromPrimitiveList/mergingIntList: [3]\n",
        "mergingIntList: [1, 2, 4]\n",
    ),
    (
        "delete all duplicate items in lists of scalars",
        "mergingIntList: [1, 2, 3, 3, 4]\n",
        "$setElementOrder/mergingIntList: [1, 2]\n$deleteFromPrimitiveList/mergingIntList: [3]\n",
        "mergingIntList: [1, 2, 4]\n",
    ),
    (
        "add and delete items in lists of scalars (TwoWay)",
        "mergingIntList: [1, 2, 3]\n",
        "$setElementOrder/mergingIntList: [1, 2, 4]\n"
        "$deleteFromPrimitiveList/mergingIntList: [3]\nmergingIntList: [4]\n",
        "mergingIntList: [1, 2, 4]\n",
    ),
    (
        "merge lists of maps",
        "mergingList:\n- {name: 1, other: a}\n- {name: 2, value: 2, other: b}\n",
        "$setElementOrder/mergingList:\n- name: 4\n- name: 1\n- name: 2\n- name: 3\n"
        "mergingList:\n- {name: 4, value: 4}\n- {name: 3, value: 3}\n",
        "mergingList:\n- {name: 4, value: 4}\n- {name: 1, other: a}\n"
        "- {name: 2, value: 2, other: b}\n- {name: 3, value: 3}\n",
    ),
    (
        "set elements order in a list",
        "mergingList:\n- {name: 1, other: a}\n- {name: 3, value: 3}\n- {name: 4, value: 4}\n"
        "- {name: 2, value: 2}\n",
        "$setElementOrder/mergingList:\n- name: 4\n- name: 2\n- name: 3\n- name: 1\n",
        "mergingList:\n- {name: 4, value: 4}\n- {name: 2, value: 2}\n- {name: 3, value: 3}\n"
        "- {name: 1, other: a}\n",
    ),
    (
        "set elements order in a list with server-only items",
        "mergingList:\n- {name: 1, other: a}\n- {name: 3, value: 3}\n- {name: 4, value: 4}\n"
        "- {name: 2, value: 2}\n- {name: 9}\n",
        "$setElementOrder/mergingList:\n- name: 4\n- name: 2\n- name: 3\n- name: 1\n",
        "mergingList:\n- {name: 4, value: 4}\n- {name: 2, value: 2}\n- {name: 3, value: 3}\n"
        "- {name: 1, other: a}\n- {name: 9}\n",
    ),
    (
        "set elements order in a list with server-only items 2",
        "mergingList:\n- {name: 1, other: a}\n- {name: 2, value: 2}\n- {name: 9}\n"
        "- {name: 3, value: 3}\n- {name: 4, value: 4}\n",
        "$setElementOrder/mergingList:\n- name: 2\n- name: 1\n- name: 4\n- name: 3\n",
        "mergingList:\n- {name: 2, value: 2}\n- {name: 1, other: a}\n- {name: 9}\n"
        "- {name: 4, value: 4}\n- {name: 3, value: 3}\n",
    ),
    (
        "set elements order in a list with server-only items 3",
        "mergingList:\n- {name: 1, other: a}\n- {name: 2, value: 2}\n- {name: 7}\n- {name: 9}\n"
        "- {name: 8}\n- {name: 3, value: 3}\n- {name: 4, value: 4}\n",
        "$setElementOrder/mergingList:\n- name: 2\n- name: 1\n- name: 4\n- name: 3\n",
        "mergingList:\n- {name: 2, value: 2}\n- {name: 1, other: a}\n- {name: 7}\n- {name: 9}\n"
        "- {name: 8}\n- {name: 4, value: 4}\n- {name: 3, value: 3}\n",
    ),
    (
        "behavior of set element order for a merging list with duplicate",
        "mergingList:\n- name: 1\n- {name: 2, value: dup1}\n- name: 3\n- {name: 2, value: dup2}\n"
        "- name: 4\n",
        "$setElementOrder/mergingList:\n- name: 2\n- name: 1\n- name: 4\n- name: 3\n- name: 2\n",
        "mergingList:\n- {name: 2, value: dup1}\n- {name: 2, value: dup2}\n- name: 1\n- name: 4\n"
        "- name: 3\n",
    ),
    (
        "retainKeys map should clear defaulted field",
        "retainKeysMap: {value: foo}\n",
        "retainKeysMap:\n  $retainKeys: [other]\n  other: bar\n",
        "retainKeysMap: {other: bar}\n",
    ),
    (
        "retainKeys map should clear defaulted field with conflict (discriminated union)",
        "retainKeysMap: {name: type1, value: foo}\n",
        "retainKeysMap:\n  $retainKeys: [name, other]\n  name: type2\n  other: bar\n",
        "retainKeysMap: {name: type2, other: bar}\n",
    ),
    (
        "retainKeys list of maps clears a field",
        "retainKeysMergingList:\n- name: bar\n- {name: foo, value: a, other: x}\n",
        "$setElementOrder/retainKeysMergingList:\n  - name: bar\n  - name: foo\n"
        "retainKeysMergingList:\n- $retainKeys: [name, value]\n  name: foo\n",
        "retainKeysMergingList:\n- name: bar\n- {name: foo, value: a}\n",
    ),
    (
        "delete and reorder in one list, reorder in another",
        "mergingList:\n- {name: a, value: a}\n- {name: b, value: b}\n"
        "mergeItemPtr:\n- {name: c, value: c}\n- {name: d, value: d}\n",
        "$setElementOrder/mergingList:\n- name: b\n$setElementOrder/mergeItemPtr:\n- name: d\n"
        "- name: c\nmergingList:\n- $patch: delete\n  name: a\n",
        "mergingList:\n- {name: b, value: b}\nmergeItemPtr:\n- {name: d, value: d}\n"
        "- {name: c, value: c}\n",
    ),
    (
        "$deleteFromPrimitiveList of nonexistent item in primitive list should not add the item",
        "mergingIntList: [1, 2]\n",
        "$deleteFromPrimitiveList/mergingIntList: [3]\n",
        "mergingIntList: [1, 2]\n",
    ),
    (
        "$deleteFromPrimitiveList on nonexistent primitive list should not add the primitive list",
        "foo: [bar]\n",
        "$deleteFromPrimitiveList/mergingIntList: [3]\n",
        "foo: [bar]\n",
    ),
    (
        "$deleteFromPrimitiveList should delete item from a list without merge patch strategy",
        "nonMergingIntList: [1, 2, 3]\n",
        "$deleteFromPrimitiveList/nonMergingIntList: [2]\n",
        "nonMergingIntList: [1, 3]\n",
    ),
    (
        "$setElementOrder contains item that is not present in the list to be merged",
        "mergingList:\n- name: 1\n- name: 3\n",
        "$setElementOrder/mergingList:\n- name: 3\n- name: 2\n- name: 1\n"
        "mergingList:\n- {name: 3, value: 3}\n- {name: 1, value: 1}\n",
        "mergingList:\n- {name: 3, value: 3}\n- {name: 1, value: 1}\n",
    ),
]


@pytest.mark.parametrize(
    ("current", "patch", "result"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_apimachinery_cases(current: str, patch: str, result: str) -> None:
    cur, pat = yaml.safe_load(current), yaml.safe_load(patch)
    before = json.dumps([cur, pat])
    assert strategic_merge_patch(cur, pat, SCHEMA) == yaml.safe_load(result)
    assert json.dumps([cur, pat]) == before  # the inputs are left alone


@pytest.mark.parametrize(
    ("current", "patch", "code", "text"),
    [
        # customStrategicMergePatchRawTestCases
        (
            "mergingList:\n- {name: 1, value: a}\n",
            "mergingList:\n- value: b\n",
            500,
            "map: map[value:b] does not contain declared merge key: name",
        ),
        (
            "mergingList:\n- name: 1\n- name: 3\n- name: 2\n",
            "$setElementOrder/mergingList:\n- name: 1\n- name: 2\n- name: 3\n"
            "mergingList:\n- {name: 3, value: 3}\n- {name: 1, value: 1}\n",
            500,
            "doesn't match",
        ),
        (
            "mergingIntList: [1, 3, 2]\n",
            "$setElementOrder/mergingIntList: [1, 2, 3]\nmergingIntList: [3, 1]\n",
            500,
            "doesn't match",
        ),
        # mergepatch.ErrBadPatchFormatForRetainKeys: a key the list does not name; not a list
        (
            "retainKeysMap: {name: a}\n",
            "retainKeysMap:\n  $retainKeys: [name]\n  other: b\n",
            400,
            "invalid patch format of retainKeys",
        ),
        (
            "retainKeysMap: {name: a}\n",
            "retainKeysMap:\n  $retainKeys: name\n",
            400,
            "invalid patch format of retainKeys",
        ),
        # extractKey: a directive prefix without "/<field>"
        (
            "mergingIntList: [1]\n",
            "$deleteFromPrimitiveList: [1]\n",
            400,
            "invalid patch format of primitive list",
        ),
        (
            "mergingIntList: [1]\n",
            "$setElementOrder: [1]\n",
            400,
            "invalid patch format of setElementOrder list",
        ),
        # mergeSliceWithSpecialElements / handleDirectiveInMergeMap
        (
            "mergingList:\n- name: 1\n",
            "mergingList:\n- {$patch: merge, name: 1}\n",
            500,
            "merging lists cannot yet be specified in the patch",
        ),
        (
            "mergingList:\n- name: 1\n",
            "mergingList:\n- {$patch: nope, name: 1}\n",
            500,
            "unknown patch type: nope in map: map[$patch:nope name:1]",
        ),
        (
            "simpleMap: {a: b}\n",
            "simpleMap: {$patch: merge}\n",
            500,
            "unknown patch type: merge in map: map[$patch:merge]",
        ),
        # sliceElementType: ErrNoListOfLists (422), mixed element types
        (
            "mergingIntList: []\n",
            "mergingIntList: [[1]]\n",
            422,
            "lists of lists are not supported",
        ),
        (
            "mergingIntList: [1]\n",
            "mergingIntList: [a]\n",
            500,
            "list element types are not identical: [[1] [a]]",
        ),
        # PatchMetaFromStruct: a field the struct does not have
        (
            "bogus: {a: 1}\n",
            "bogus: {a: 2}\n",
            500,
            'unable to find api field in struct MergeItem for the json field "bogus"',
        ),
        (
            "simpleMap: {a: {b: 1}}\n",
            "simpleMap: {a: {b: 2}}\n",
            500,
            "merging an object in json but data type is not struct, instead is: map",
        ),
    ],
)
def test_refused_patches(current: str, patch: str, code: int, text: str) -> None:
    with pytest.raises(StrategicPatchError) as err:
        strategic_merge_patch(yaml.safe_load(current), yaml.safe_load(patch), SCHEMA)
    assert err.value.code == code
    assert text in err.value.message


def test_directives_in_maps_and_lists() -> None:
    """patch.go mergeMap/mergeSlice: null deletes, ``$patch: replace`` / ``delete`` in a map and
    in a list, a list without merge strategy is replaced, a new key loses its directives."""
    cur = {
        "name": "x",
        "simpleMap": {"a": "1", "b": "2"},
        "mergingList": [{"name": "1", "value": "a"}, {"name": "2", "value": "b"}],
        "nonMergingList": [{"name": "1"}, {"name": "2"}],
        "retainKeysMap": {"name": "n", "value": "v"},
    }
    out = strategic_merge_patch(
        cur,
        {
            "name": None,
            "simpleMap": {"$patch": "replace", "c": "3"},
            "mergingList": [{"$patch": "replace"}, {"name": "3"}],
            "nonMergingList": [{"name": "3"}],
            "retainKeysMap": {"$patch": "delete"},
            "other": {"$patch": "delete", "x": 1},
            "mergeItemPtr": [
                {"name": "p", "value": None, "$patch": "delete"},
                {"name": "q", "other": None},
            ],
        },
        SCHEMA,
    )
    assert out == {
        "simpleMap": {"c": "3"},
        "mergingList": [{"name": "3"}],
        "nonMergingList": [{"name": "3"}],
        "retainKeysMap": {},
        "mergeItemPtr": [{"name": "q"}],
    }
    # a replacing strategy (patchStrategy:"replace") takes the patch as given
    assert strategic_merge_patch(
        {"replacingItem": {"a": 1, "b": 2}}, {"replacingItem": {"a": 3}}, SCHEMA
    ) == {"replacingItem": {"a": 3}}


def test_go_format() -> None:
    """The ``%v`` rendering the Go errors carry."""
    assert go_format({"b": [1, 2.5, None], "a": True}) == "map[a:true b:[1 2.5 <nil>]]"
    assert go_format(3.0) == "3"


# -- the real schemas, over the wire -----------------------------------------------------------


DEPLOYMENTS = "/apis/apps/v1/namespaces/ns/deployments"


def deployment(containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns", "finalizers": ["a.io/x", "a.io/y"]},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers},
            },
            **spec,
        },
    }


def test_official_client_patch_merges_containers_by_name(kube: FakeKube) -> None:
    """The typed client sends a dict body as a strategic merge patch (kubernetes/client/rest.py);
    PodSpec.containers merges by ``name`` (patchMergeKey in the 1.37 schema), Container.env by
    ``name``, ports by ``containerPort``: a patch naming one container keeps the others."""
    kube.add(
        deployment(
            [
                {
                    "name": "app",
                    "image": "app:1",
                    "env": [{"name": "A", "value": "1"}],
                    "ports": [{"containerPort": 80}],
                },
                {"name": "sidecar", "image": "side:1"},
            ]
        )
    )
    from kubernetes import client

    apps = client.AppsV1Api(kube.api_client())
    got = apps.patch_namespaced_deployment(
        "web",
        "ns",
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "app",
                                "image": "app:2",
                                "env": [{"name": "B", "value": "2"}],
                                "ports": [{"containerPort": 8443}],
                            }
                        ]
                    }
                }
            }
        },
    )
    containers = got.spec.template.spec.containers
    assert [(c.name, c.image) for c in containers] == [("app", "app:2"), ("sidecar", "side:1")]
    assert [e.name for e in containers[0].env] == ["B", "A"]  # new items first (mergeSortedSlice)
    assert [p.container_port for p in containers[0].ports] == [8443, 80]
    stored = kube.get("apps/v1", "Deployment", "web", "ns")
    assert stored is not None
    assert "$setElementOrder/containers" not in json.dumps(stored)


def test_directives_on_a_deployment(kube: FakeKube, wire: Wire) -> None:
    """``$patch: delete`` of a container, ``$deleteFromPrimitiveList/finalizers`` (ObjectMeta
    finalizers: patchStrategy merge, no key), ``$retainKeys`` on DeploymentSpec.strategy
    (patchStrategy retainKeys) and ``$setElementOrder/containers``, as kubectl apply sends them."""
    kube.add(
        deployment(
            [
                {"name": "a", "image": "a:1"},
                {"name": "b", "image": "b:1"},
                {"name": "c", "image": "c:1"},
            ],
            strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
        )
    )
    patch = {
        "metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/x"], "finalizers": ["a.io/z"]},
        "spec": {
            "strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None},
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
                    "containers": [{"name": "b", "$patch": "delete"}],
                }
            },
        },
    }
    code, body, _ = wire("PATCH", f"{DEPLOYMENTS}/web", patch, ctype=SMP)
    assert code == 200, body
    assert body["metadata"]["finalizers"] == ["a.io/z", "a.io/y"]
    assert body["spec"]["strategy"] == {"type": "Recreate"}
    assert [c["name"] for c in body["spec"]["template"]["spec"]["containers"]] == ["c", "a"]
    # $patch: replace on the list: exactly the patch's containers
    code, body, _ = wire(
        "PATCH",
        f"{DEPLOYMENTS}/web",
        {
            "spec": {
                "template": {
                    "spec": {"containers": [{"$patch": "replace"}, {"name": "d", "image": "d:1"}]}
                }
            }
        },
        ctype=SMP,
    )
    assert code == 200, body
    assert [(c["name"], c["image"]) for c in body["spec"]["template"]["spec"]["containers"]] == [
        ("d", "d:1")
    ]


def test_refusals_on_the_wire(kube: FakeKube, wire: Wire) -> None:
    """interpretStrategicMergePatchError: a bad directive is 400 BadRequest; any other merge
    error is no APIStatus, so ErrorToAPIStatus makes it a 500 with no reason; a CRD's patch is
    415 (the CRD handler offers json-patch, merge-patch and apply-patch only)."""
    kube.add(deployment([{"name": "a", "image": "a:1"}], strategy={"type": "Recreate"}))
    code, body, _ = wire(
        "PATCH", f"{DEPLOYMENTS}/web", {"spec": {"strategy": {"$retainKeys": "type"}}}, ctype=SMP
    )
    assert_status(body, 400, "BadRequest")
    assert body["message"] == "invalid patch format of retainKeys"
    code, body, _ = wire(
        "PATCH",
        f"{DEPLOYMENTS}/web",
        {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}},
        ctype=SMP,
    )
    assert code == 500 and "reason" not in body, body
    assert body["message"] == "map: map[image:x] does not contain declared merge key: name"
    code, body, _ = wire(
        "PATCH",
        "/apis/config.openshift.io/v1/clusteroperators/x",
        {"spec": {}},
        ctype=SMP,
    )
    assert_status(body, 415, "UnsupportedMediaType")
    assert body["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )
