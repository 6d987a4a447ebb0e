"""``KubeModel.adopt``: a model that adopts a template holds exactly what the same writes would
have made of it — objects, UIDs drawn from its own seed, resourceVersions, change log, served
kinds — so a simulated fleet can write each cluster's common objects once and stay the same fleet."""

from __future__ import annotations

import pytest

from pytest_mimo.clock import SimClock
from pytest_mimo.fakes.kube import FakeKube
from pytest_mimo.simulation import worldbuild

RID = "/subscriptions/00000001-5ab5-4c1d-8000-00000000f1ee/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c1"


def _state(kube: FakeKube) -> tuple:
    model = kube.model
    changes = [(c.seq, c.rv, c.type, c.gvk, c.key, c.object, c.old) for c in model.history.since_seq(0)]
    return (kube.objects(), model.resource_version, sorted(model.kinds.items()), sorted(model.by_plural.items()),
            changes, model.history.floor, model.history.epoch, sorted(model.crds.served.items()))


@pytest.mark.parametrize("healthy", [True, False])
def test_an_adopted_world_is_the_world_the_same_writes_build(healthy: bool) -> None:
    with SimClock():
        built = FakeKube(seed=42)
        built.add(*worldbuild.cluster_objects(RID, "c1.example.com", {"a": "true"}, acr="arosvc.azurecr.io",
                                              healthy=healthy))
        template = FakeKube(seed=7)
        template.add(*worldbuild.shared_objects(healthy=healthy))
        adopted = FakeKube(seed=42)
        adopted.model.adopt(template.model)
        adopted.add(*worldbuild.own_objects(RID, "c1.example.com", {"a": "true"}, acr="arosvc.azurecr.io"))
    assert _state(adopted) == _state(built)
    uids = {o["metadata"]["uid"] for o in adopted.objects()}
    assert uids.isdisjoint(o["metadata"]["uid"] for o in template.objects()), "the template's UIDs leaked"
    # the CRDs' kinds are served: a custom resource validates against the adopted schema
    with pytest.raises(Exception, match="spec"):
        adopted.add({"apiVersion": "aro.openshift.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "x"},
                     "spec": {"resourceId": 5}})


def test_adopted_objects_are_shared_only_below_their_metadata_and_writes_stay_apart() -> None:
    with SimClock():
        template = FakeKube(seed=1)
        template.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m", "namespace": "default"},
                      "data": {"k": "v"}})
        a, b = FakeKube(seed=2), FakeKube(seed=3)
        a.model.adopt(template.model)
        b.model.adopt(template.model)
        a.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m", "namespace": "default"},
               "data": {"k": "changed"}})
    assert a.get("v1", "ConfigMap", "m", "default")["data"] == {"k": "changed"}
    assert b.get("v1", "ConfigMap", "m", "default")["data"] == {"k": "v"}
    assert template.get("v1", "ConfigMap", "m", "default")["data"] == {"k": "v"}
    assert a.model.resource_version != b.model.resource_version
    uid = {k.get("v1", "ConfigMap", "m", "default")["metadata"]["uid"] for k in (a, b, template)}
    assert len(uid) == 3


def test_a_template_of_other_kinds_is_refused() -> None:
    other = FakeKube(kinds=[("example.com/v1", "Widget", "widgets", True)])
    with pytest.raises(ValueError, match="other kinds"):
        FakeKube().model.adopt(other.model)
