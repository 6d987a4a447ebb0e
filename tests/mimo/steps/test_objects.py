from __future__ import annotations

import copy
from typing import Any

import pytest

from mimo.kube import is_not_found
from mimo.steps.cluster import objects

CM = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "aro-example", "namespace": "openshift-azure-operator"},
    "data": {"a": "1"},
}


class RacingHelper:
    """The real helper, except that another writer creates the object just before our create."""

    def __init__(self, fake_kube: Any, theirs: dict[str, Any]) -> None:
        self._helper = fake_kube.client_helper()
        self._fake = fake_kube
        self._theirs = theirs
        self.creates = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._helper, name)

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.creates += 1
        self._fake.add(self._theirs)
        return self._helper.create(obj)  # type: ignore[no-any-return]


def _get(fake_kube: Any) -> dict[str, Any]:
    obj = fake_kube.get("v1", "ConfigMap", "aro-example", "openshift-azure-operator")
    assert obj is not None
    return obj  # type: ignore[no-any-return]


def test_ensure_creates_then_changes_nothing(fake_kube: Any) -> None:
    fake_kube.add(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "openshift-azure-operator"}}
    )
    helper = fake_kube.client_helper()
    assert objects.ensure(helper, CM) is True
    rv = _get(fake_kube)["metadata"]["resourceVersion"]
    assert objects.ensure(helper, CM) is False
    assert _get(fake_kube)["metadata"]["resourceVersion"] == rv


def test_ensure_updates_only_the_given_fields(fake_kube: Any) -> None:
    fake_kube.add(
        {**CM, "metadata": {**CM["metadata"], "labels": {"keep": "me"}}, "data": {"a": "0"}}
    )
    assert objects.ensure(fake_kube.client_helper(), CM) is True
    obj = _get(fake_kube)
    assert obj["data"] == {"a": "1"} and obj["metadata"]["labels"] == {"keep": "me"}


def test_ensure_falls_back_to_update_on_already_exists(fake_kube: Any) -> None:
    fake_kube.add(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "openshift-azure-operator"}}
    )
    theirs = copy.deepcopy(CM)
    theirs["data"] = {"a": "theirs"}
    helper = RacingHelper(fake_kube, theirs)
    assert objects.ensure(helper, CM) is True  # type: ignore[arg-type]
    assert helper.creates == 1
    assert _get(fake_kube)["data"] == {"a": "1"}


def test_modify_writes_only_a_change(fake_kube: Any) -> None:
    fake_kube.add(CM)
    helper = fake_kube.client_helper()

    def same(obj: dict[str, Any]) -> None:
        obj["data"]["a"] = "1"

    def bump(obj: dict[str, Any]) -> None:
        obj["data"]["a"] = "2"

    assert (
        objects.modify(helper, "v1", "ConfigMap", "aro-example", same, "openshift-azure-operator")
        is False
    )
    assert (
        objects.modify(helper, "v1", "ConfigMap", "aro-example", bump, "openshift-azure-operator")
        is True
    )
    assert _get(fake_kube)["data"] == {"a": "2"}


def test_modify_rereads_after_a_conflict(fake_kube: Any, mimo_faults: Any) -> None:
    fake_kube.add(CM)
    seen: list[str] = []

    def bump(obj: dict[str, Any]) -> None:
        seen.append(obj["metadata"]["resourceVersion"])
        obj["data"]["a"] = "2"

    mimo_faults.inject("kube", "conflict", match="PUT .*configmaps", times=1)
    assert objects.modify(
        fake_kube.client_helper(),
        "v1",
        "ConfigMap",
        "aro-example",
        bump,
        "openshift-azure-operator",
    )
    assert len(seen) == 2


def test_modify_of_a_missing_object_raises_the_404(fake_kube: Any) -> None:
    with pytest.raises(Exception) as e:
        objects.modify(
            fake_kube.client_helper(), "v1", "ConfigMap", "nope", lambda o: None, "default"
        )
    assert is_not_found(e.value)
    assert (
        objects.get_or_none(fake_kube.client_helper(), "v1", "ConfigMap", "nope", "default") is None
    )


def test_ensure_merged_leaves_the_merge_to_the_caller(fake_kube: Any) -> None:
    fake_kube.add(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "openshift-azure-operator"}}
    )
    helper = fake_kube.client_helper()
    seen: list[dict[str, Any]] = []

    def merge(updated: dict[str, Any]) -> None:
        seen.append(copy.deepcopy(updated))
        updated.setdefault("data", {})["b"] = "2"  # what ``desired`` has is not copied for us

    assert objects.ensure_merged(helper, CM, merge) == "Create"
    assert seen == [] and _get(fake_kube)["data"] == {"a": "1"}
    assert objects.ensure_merged(helper, CM, merge) == "Update"
    assert seen[-1]["data"] == {"a": "1"}  # a copy of the stored object
    assert _get(fake_kube)["data"] == {"a": "1", "b": "2"}
    rv = _get(fake_kube)["metadata"]["resourceVersion"]
    assert objects.ensure_merged(helper, CM, merge) is None
    assert _get(fake_kube)["metadata"]["resourceVersion"] == rv


def test_ensure_merged_merges_again_into_the_object_a_conflict_rereads(
    fake_kube: Any, mimo_faults: Any
) -> None:
    fake_kube.add({**CM, "data": {"a": "0"}})
    seen: list[str] = []

    def merge(updated: dict[str, Any]) -> None:
        seen.append(updated["metadata"]["resourceVersion"])
        updated["data"] = {"a": "1"}

    mimo_faults.inject("kube", "conflict", match="PUT .*configmaps", times=1)
    assert objects.ensure_merged(fake_kube.client_helper(), CM, merge) == "Update"
    assert len(seen) == 2
    assert _get(fake_kube)["data"] == {"a": "1"}
