"""The fake itself: nothing leaves the machine, Python-side access, snapshot/restore, lifecycle."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from mimo.environment import CLOUDS, Environment
from pytest_mimo.fakes.azure import FakeAzure, UnservedRequestError

SUB = "00000000-0000-0000-0000-000000000000"
LB = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"


def test_a_request_to_another_host_raises_at_once_naming_the_url(fake: FakeAzure) -> None:
    with pytest.raises(UnservedRequestError, match=r"GET https://example\.com/some/path\?q=1"):
        requests.get("https://example.com/some/path?q=1")
    with pytest.raises(UnservedRequestError, match=r"http://management\.azure\.com/"):
        requests.get("http://management.azure.com/subscriptions")  # plain HTTP is another host too
    assert fake.requests == []


def test_the_sdk_does_not_retry_an_unserved_request(fake: FakeAzure, vclock: Any) -> None:
    from azure.mgmt.network import NetworkManagementClient

    client = NetworkManagementClient(fake.credential(), SUB, base_url="https://management.example.org")
    with pytest.raises(UnservedRequestError, match="https://management.example.org/subscriptions/"):
        client.load_balancers.get("rg", "lb")
    assert vclock.slept == []  # no back-off: it failed at once


def test_an_unimplemented_route_on_a_served_host_raises_too(fake: FakeAzure, arm_token: str) -> None:
    with pytest.raises(UnservedRequestError, match=r"DELETE .*/resourceGroups/rg\?api-version=2021-04-01"):
        requests.delete(f"https://management.azure.com/subscriptions/{SUB}/resourceGroups/rg?api-version=2021-04-01",
                        headers={"Authorization": f"Bearer {arm_token}"})


def test_put_get_delete_resource_from_python(fake: FakeAzure) -> None:
    stored = fake.put_resource(LB.replace("/rg/", "/new-rg/"), {"location": "westus", "properties": {}})
    assert stored["properties"]["provisioningState"] == "Succeeded"
    assert fake.arm.group("new-rg").location == "westus"  # the group is created implicitly
    assert fake.get_resource(LB.upper().replace("/RG/", "/NEW-RG/"))["name"] == "lb"
    assert list(fake.resources()) == [LB.replace("/rg/", "/new-rg/").lower()]
    assert fake.delete_resource(LB.replace("/rg/", "/new-rg/")) is True
    assert fake.get_resource(LB.replace("/rg/", "/new-rg/")) is None
    with pytest.raises(ValueError, match="is not a resource ID"):
        fake.put_resource("/subscriptions/x/resourceGroups/rg", {})


def test_snapshot_and_restore(fake: FakeAzure, clients: Any, vclock: Any) -> None:
    fake.put_resource(LB, {"location": "eastus"})
    vault = fake.keyvault("eastus-cls")
    vault.set_secret("s", "one")
    snap = fake.snapshot()
    clients.load_balancers_client().begin_delete("rg", "lb").result()
    clients.load_balancers_client().begin_create_or_update("rg", "lb2", {"location": "eastus"}, polling=False)
    vault.set_secret("s", "two")
    fake.keyvault("later").set_secret("x", "y")
    fake.restore(snap)
    assert set(fake.resources()) == {LB.lower()}
    assert vault.get_secret("s") == "one" and len(vault.versions("s")) == 1
    assert "later" not in fake.vaults
    assert clients.load_balancers_client().get("rg", "lb").name == "lb"  # issued tokens still valid
    assert clients.cluster_keyvault().get_secret("s").value == "one"
    vclock.sleep(fake.lro_seconds)
    assert fake.get_resource(LB.replace("/lb", "/lb2")) is None  # the pending operation went too
    # the same seed draws the same etags after a restore
    fake.restore(snap)
    a = fake.put_resource(LB, {"location": "eastus"})["etag"]
    fake.restore(snap)
    assert fake.put_resource(LB, {"location": "eastus"})["etag"] == a


def test_a_snapshot_shares_nothing_mutable_with_the_world(fake: FakeAzure, vclock: Any) -> None:
    """Each part of a snapshot is copied once (the generator's state, a tuple of ints, is kept as it
    is): changing the world after a snapshot, or after a restore from it, leaves the snapshot as it
    was, and the world drawn from a restored generator draws what it drew after the snapshot."""
    import copy

    fake.put_resource(LB, {"location": "eastus", "tags": {"a": "1"}})
    fake.skus.add({"name": "Standard_D4s_v3", "locations": ["eastus"]})
    vault = fake.keyvault("eastus-cls")
    vault.set_secret("s", "one")
    fake.msi.issue("/subscriptions/x/identity", 0.0)
    snap = fake.snapshot()
    before = copy.deepcopy(snap)
    drawn = [fake._new_uuid() for _ in range(3)]
    for _ in range(2):
        fake.arm.resources[LB.lower()]["tags"]["a"] = "changed"
        fake.skus.skus[0]["name"] = "changed"
        vault.set_secret("s", "two")
        fake.msi.issue("/subscriptions/x/identity", 99.0)
        assert snap == before
        fake.restore(snap)
        assert fake.get_resource(LB)["tags"] == {"a": "1"} and fake.skus.skus[0]["name"] == "Standard_D4s_v3"
        assert vault.get_secret("s") == "one" and len(fake.msi.issued) == 1
        assert [fake._new_uuid() for _ in range(3)] == drawn  # the same draws from the restored state
    assert snap["rng"] is not None and isinstance(snap["rng"], tuple)


def test_clients_create_the_environments_vaults_on_every_call(fake: FakeAzure) -> None:
    """The vault URIs' hosts are remembered, the vaults are not: a restore to a world without them
    and the next clients() call create them again."""
    snap = fake.snapshot()
    env = Environment()
    for _ in range(2):
        fake.restore(snap)
        assert "eastus-cls" not in fake.vaults
        fake.clients(env)
        assert "eastus-cls" in fake.vaults


def test_same_seed_same_world(vclock: Any) -> None:
    def run(seed: int) -> dict[str, Any]:
        f = FakeAzure(seed=seed)
        f.put_resource(LB, {"location": "eastus"})
        f.keyvault("v").set_secret("s", "x")
        return {"r": f.resources(), "v": [v.version for v in f.keyvault("v").versions("s")]}

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_lifecycle(vclock: Any) -> None:
    from requests.adapters import HTTPAdapter

    original = HTTPAdapter.send
    fake = FakeAzure()
    assert "active=False" in repr(fake)
    fake.start()
    fake.start()  # idempotent
    assert "active=True" in repr(fake)
    assert HTTPAdapter.send is not original
    fake.stop()
    fake.stop()
    assert HTTPAdapter.send is original  # requests is really unpatched again


def test_bad_constructor_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="subscription_id 'nope' is not a UUID"):
        FakeAzure(subscription_id="nope")
    with pytest.raises(ValueError, match="page_size"):
        FakeAzure(page_size=0)
    with pytest.raises(ValueError, match="lro_seconds"):
        FakeAzure(lro_seconds=-1)


def test_another_cloud_is_served_on_its_own_endpoints(vclock: Any) -> None:
    gov = CLOUDS["AzureUSGovernment"]
    env = Environment(cloud=gov, cluster_keyvault_uri="https://eastus-cls.vault.usgovcloudapi.net/")
    with FakeAzure(cloud=gov) as fake:
        fake.put_resource(LB, {"location": "usgovvirginia"})
        fake.keyvault("eastus-cls").set_secret("s", "v")
        clients = fake.clients(env)
        assert clients.load_balancers_client().get("rg", "lb").name == "lb"
        assert clients.cluster_keyvault().get_secret("s").value == "v"
        hosts = {r.path.split("/")[2] for r in fake.requests}
        assert hosts == {"login.microsoftonline.us", "management.usgovcloudapi.net", "eastus-cls.vault.usgovcloudapi.net"}
        audiences = {t.audience for t in fake.directory.tokens.values()}
        assert audiences == {"https://management.usgovcloudapi.net", "https://vault.usgovcloudapi.net"}
        with pytest.raises(UnservedRequestError):
            requests.get("https://management.azure.com/subscriptions")


def test_several_subscriptions_in_one_fake(fake: FakeAzure, env: Any) -> None:
    other = "33333333-3333-3333-3333-333333333333"
    other_lb = LB.replace(SUB, other)
    with pytest.raises(ValueError, match="add_subscription first"):
        fake.put_resource(other_lb, {"location": "eastus"})
    fake.add_subscription(other)
    assert fake.subscriptions == [SUB, other]
    fake.put_resource(other_lb, {"location": "eastus"})
    mine, theirs = fake.clients(env), fake.clients(env, subscription_id=other)
    assert theirs.load_balancers_client().get("rg", "lb").id == other_lb
    assert [x.name for x in theirs.load_balancers_client().list_all()] == ["lb"]
    assert list(mine.load_balancers_client().list_all()) == []
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError):
        mine.load_balancers_client().get("rg", "lb")
    with pytest.raises(ValueError, match="unknown subscription"):
        fake.clients(env, subscription_id="44444444-4444-4444-4444-444444444444")


def test_only_one_fake_is_active_at_a_time(fake: FakeAzure) -> None:
    with pytest.raises(RuntimeError, match="another FakeAzure is active"):
        FakeAzure().start()
    fake.stop()
    with FakeAzure() as second:
        assert "active=True" in repr(second)


@pytest.mark.parametrize("seed", range(6))
def test_put_resources_stores_what_put_resource_stores(vclock: Any, seed: int) -> None:
    """The bulk load hands no copies back; the world it leaves is put_resource's, resource by resource."""
    import copy
    import random

    from pytest_mimo.simulation import worldbuild

    rng = random.Random(seed)
    bodies: list[dict[str, Any]] = []
    for i in range(rng.randrange(2, 6)):
        rg = f"/subscriptions/{SUB}/resourceGroups/aro-{i}"
        vnet = f"/subscriptions/{SUB}/resourceGroups/vnet-{i}/providers/Microsoft.Network/virtualNetworks/v"
        bodies += worldbuild.master_network(rg, f"infra{i}", f"{vnet}/subnets/master", arch=rng.randrange(2))
        bodies.append({"id": f"{vnet}/subnets/extra", "properties": {"addressPrefix": "10.0.1.0/24"}})
        bodies.append({"id": f"{rg}/providers/Microsoft.Example/widgets/w{i}", "location": "westus",
                       "properties": {"n": [i, {"k": "v"}]}})
    bodies += [copy.deepcopy(b) for b in rng.sample(bodies, 3)]  # puts again over what is there
    one, bulk = FakeAzure(seed=seed), FakeAzure(seed=seed)
    given = copy.deepcopy(bodies)
    answers = [one.put_resource(b["id"], b) for b in bodies]
    assert bulk.put_resources(bodies) is None
    assert bodies == given  # neither path touches what it was given
    assert bulk.resources() == one.resources()
    assert bulk.rng.getstate() == one.rng.getstate()
    assert answers[-1] == one.get_resource(bodies[-1]["id"])
