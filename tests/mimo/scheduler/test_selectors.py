from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mimo.api import OpenShiftClusterDocument, Selector, SubscriptionDocument
from mimo.environment import Environment
from mimo.scheduler.selectors import (
    KEYS,
    SelectorError,
    UnknownSelectorKey,
    cluster_selector_values,
    is_managed_domain,
    matches,
    validate,
)

SUB = "11111111-1111-1111-1111-111111111111"


def S(key: str, operator: str, value: str | None = None, values: list[str] | None = None) -> Selector:
    return Selector(key=key, operator=operator, value=value, values=values)


VALUES = {
    "resourceID": "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/rg/providers/"
    "microsoft.redhatopenshift/openshiftclusters/c1",
    "subscriptionID": SUB,
    "subscriptionState": "Registered",
    "authenticationType": "ServicePrincipal",
    "architectureVersion": "1",
    "provisioningState": "Succeeded",
    "outboundType": "Loadbalancer",
    "APIServerVisibility": "Public",
    "isManagedDomain": "true",
}


# -- validate ---------------------------------------------------------------------------------------


def test_valid_selectors_pass() -> None:
    validate([S("subscriptionState", "eq", "Registered")])
    validate([S("provisioningState", "in", values=["Succeeded", "Updating"]), S("outboundType", "notin", values=["x"])])
    validate([{"key": "isManagedDomain", "operator": "eq", "value": "true"}])
    validate([S("subscriptionState", "eq", "")])  # an empty value is a value


@pytest.mark.parametrize(
    ("selectors", "message"),
    [
        ([], "selectors: must not be empty"),
        ([S("subscriptionState", "eq")], "selectors[0] (key 'subscriptionState'): operator 'eq' needs 'value'"),
        (
            [S("subscriptionState", "eq", "a"), S("resourceID", "eq", "x", ["y"])],
            "selectors[1] (key 'resourceID'): operator 'eq' forbids 'values'",
        ),
        ([S("outboundType", "in")], "selectors[0] (key 'outboundType'): operator 'in' needs a non-empty 'values' list"),
        ([S("outboundType", "in", values=[])], "selectors[0] (key 'outboundType'): operator 'in' needs a non-empty"),
        ([S("outboundType", "notin", values=[])], "selectors[0] (key 'outboundType'): operator 'notin' needs a non-empty"),
        ([S("outboundType", "in", "x", ["x"])], "selectors[0] (key 'outboundType'): operator 'in' forbids 'value'"),
        ([S("outboundType", "notin", "x")], "selectors[0] (key 'outboundType'): operator 'notin' forbids 'value'"),
        ([S("outboundType", "ne", "x")], "selectors[0] (key 'outboundType'): unknown operator 'ne'"),
        ([S("outboundType", "EQ", "x")], "selectors[0] (key 'outboundType'): unknown operator 'EQ'"),
        (
            [S("outboundType", "eq", "x"), S("region", "eq", "eastus")],
            "selectors[1] (key 'region'): unknown key; known keys: resourceID,",
        ),
        ([S("resourceid", "eq", "x")], "selectors[0] (key 'resourceid'): unknown key"),
        ([S("", "eq", "x")], "selectors[0]: key: missing"),
        ([{"key": "outboundType", "operator": "eq", "value": 5}], "selectors[0] (key 'outboundType'): value: must be a string"),
        ([{"key": "outboundType", "operator": "in", "values": "abc"}], "selectors[0] (key 'outboundType'): values: must be a list"),
        (["resourceID=x"], "selectors[0]: must be a selector object, not str"),
        ("resourceID", "selectors: must be a list of selectors, not str"),
    ],
)
def test_bad_selectors_refused_naming_index_and_key(selectors: Any, message: str) -> None:
    with pytest.raises(SelectorError) as ei:
        validate(selectors)
    assert isinstance(ei.value, ValueError)
    assert str(ei.value).startswith(message), str(ei.value)


# -- matches ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selectors", "want"),
    [
        ([S("subscriptionState", "eq", "Registered")], True),
        ([S("subscriptionState", "eq", "registered")], False),  # case-sensitive
        ([S("subscriptionState", "eq", "Registered ")], False),  # exact
        ([S("provisioningState", "in", values=["Updating", "Succeeded"])], True),
        ([S("provisioningState", "in", values=["Updating"])], False),
        ([S("provisioningState", "notin", values=["Updating"])], True),
        ([S("provisioningState", "notin", values=["Updating", "Succeeded"])], False),
        ([S("isManagedDomain", "eq", "true"), S("architectureVersion", "eq", "1")], True),
        ([S("isManagedDomain", "eq", "true"), S("architectureVersion", "eq", "0")], False),  # AND
        ([S("architectureVersion", "eq", "0"), S("isManagedDomain", "eq", "true")], False),
        ([], False),  # an empty list matches nothing
    ],
)
def test_matches(selectors: list[Selector], want: bool) -> None:
    assert matches(VALUES, selectors) is want


def test_unknown_key_raises_even_after_a_failing_selector() -> None:
    # the answer does not depend on the order: the bad key is reported, not silently skipped
    with pytest.raises(UnknownSelectorKey, match=r"selectors\[1\] \(key 'region'\): unknown key"):
        matches(VALUES, [S("subscriptionState", "eq", "Suspended"), S("region", "eq", "eastus")])


def test_bad_operator_at_match_time_raises() -> None:
    with pytest.raises(SelectorError, match=r"selectors\[0\] \(key 'outboundType'\): unknown operator 'like'"):
        matches(VALUES, [S("outboundType", "like", "Load%")])


# -- cluster values -------------------------------------------------------------------------------


def test_cluster_selector_values(make_cluster: Callable[..., OpenShiftClusterDocument], sub_a: SubscriptionDocument) -> None:
    c = make_cluster("MyCluster", outbound_type="UserDefinedRouting", provisioning_state="AdminUpdating", architecture_version=0)
    c.properties.apiserver_profile.visibility = "Private"
    vals = cluster_selector_values(c, sub_a, domain_suffix="eastus.aroapp.io")
    assert set(vals) == set(KEYS)
    assert vals == {
        "resourceID": f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/mycluster",
        "subscriptionID": SUB,
        "subscriptionState": "Registered",
        "authenticationType": "ServicePrincipal",
        # Go ToSelectorData (pkg/mimo/scheduler/selectors.go): fmt.Sprintf("%d", ArchitectureVersion); V1 is 0
        "architectureVersion": "0",
        "bucketID": "0",
        "provisioningState": "AdminUpdating",
        "outboundType": "UserDefinedRouting",
        "APIServerVisibility": "Private",
        "isManagedDomain": "true",
    }


def test_workload_identity_and_subscription_state(make_cluster: Callable[..., OpenShiftClusterDocument]) -> None:
    c = make_cluster("wi", platform_workload_identity_profile={"cloud-controller-manager": {}})
    vals = cluster_selector_values(c, SubscriptionDocument(id=SUB, state="Suspended"))
    assert vals["authenticationType"] == "WorkloadIdentity"
    assert vals["subscriptionState"] == "Suspended"


@pytest.mark.parametrize(
    ("domain", "managed"),
    [
        # Go TestIsManagedDomain (pkg/util/dns/manageddomains_test.go)
        ("custom.domain.io", "false"),
        ("foo.location.aroapp.io", "true"),
        ("foo.aroapp.azure.us", "true"),
        # Go IsManagedDomain is a case-sensitive suffix test: any region, any depth, "" is not managed
        ("mycluster.eastus.aroapp.io", "true"),
        ("mycluster.westus.aroapp.io", "true"),
        ("a.b.eastus.aroapp.io", "true"),
        ("MyCluster.EastUS.AroApp.IO", "false"),
        ("apps.example.com", "false"),
        ("", "false"),
        # ours: a short domain (Go's frontend expands it to a managed one before storing)
        ("mycluster", "true"),
    ],
)
def test_is_managed_domain(make_cluster: Callable[..., OpenShiftClusterDocument], sub_a: SubscriptionDocument, domain: str, managed: str) -> None:
    c = make_cluster("c", domain=domain)
    assert cluster_selector_values(c, sub_a, domain_suffix="eastus.aroapp.io")["isManagedDomain"] == managed
    assert is_managed_domain(domain, "eastus.aroapp.io") is (managed == "true")


def test_domain_suffix_defaults_to_the_environment(make_cluster: Callable[..., OpenShiftClusterDocument], sub_a: SubscriptionDocument) -> None:
    # ours: a domain under the environment's suffix counts too (a sovereign or test cloud)
    c = make_cluster("c", domain="c.example.net")
    assert cluster_selector_values(c, sub_a, domain_suffix="example.net")["isManagedDomain"] == "true"
    assert cluster_selector_values(c, sub_a, domain_suffix="other.example.net")["isManagedDomain"] == "false"
    suffix = Environment().domain_suffix
    assert cluster_selector_values(make_cluster("d", domain=f"d.{suffix}"), sub_a)["isManagedDomain"] == "true"


# -- issue #8: every key, from the documents, through each operator -----------------------------------


def test_every_known_key_is_accepted_with_each_operator() -> None:
    for key in KEYS:
        validate([S(key, "eq", "x")])
        validate([S(key, "in", values=["x", "y"])])
        validate([S(key, "notin", values=["x"])])
    validate([S(key, "eq", "x") for key in KEYS])  # all of them at once (AND)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        # the shapes a JSON schedule file can carry
        ({"key": "outboundType", "operator": "eq"}, "selectors[0] (key 'outboundType'): operator 'eq' needs 'value'"),
        ({"key": "outboundType", "operator": "eq", "value": "a", "values": ["a"]},
         "selectors[0] (key 'outboundType'): operator 'eq' forbids 'values'"),
        ({"key": "outboundType", "operator": "in"}, "selectors[0] (key 'outboundType'): operator 'in' needs a non-empty 'values'"),
        ({"key": "outboundType", "operator": "in", "values": []},
         "selectors[0] (key 'outboundType'): operator 'in' needs a non-empty 'values'"),
        ({"key": "outboundType", "operator": "notin", "value": "a"},
         "selectors[0] (key 'outboundType'): operator 'notin' forbids 'value'"),
        ({"key": "outboundType", "operator": "notin", "value": "a", "values": ["b"]},
         "selectors[0] (key 'outboundType'): operator 'notin' forbids 'value'"),
        ({"key": "OutboundType", "operator": "eq", "value": "a"}, "selectors[0] (key 'OutboundType'): unknown key"),
        ({"key": "outboundType", "operator": "neq", "value": "a"}, "selectors[0] (key 'outboundType'): unknown operator 'neq'"),
        ({"key": "outboundType", "value": "a"}, "selectors[0] (key 'outboundType'): unknown operator ''"),
        ({"operator": "eq", "value": "a"}, "selectors[0]: key: missing"),
        ({"key": "outboundType", "operator": "eq", "value": "a", "extra": 1},
         "selectors[0] (key 'outboundType'): extra: unknown field"),
    ],
)
def test_bad_json_selectors_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(SelectorError) as ei:
        validate([raw])
    assert str(ei.value).startswith(message), str(ei.value)


def test_the_first_bad_selector_is_the_one_named() -> None:
    good = S("subscriptionState", "eq", "Registered")
    with pytest.raises(SelectorError) as ei:
        validate([good, good, S("outboundType", "in"), S("region", "eq", "x")])
    assert (ei.value.index, ei.value.key) == (2, "outboundType")


@pytest.fixture
def doc_values(make_cluster: Callable[..., OpenShiftClusterDocument]) -> dict[str, str]:
    c = make_cluster(
        "Prod-East", outbound_type="UserDefinedRouting", provisioning_state="Succeeded", architecture_version=1,
        platform_workload_identity_profile={"cloud-controller-manager": {}}, domain="prod-east.eastus.aroapp.io",
    )
    c.properties.apiserver_profile.visibility = "Private"
    return cluster_selector_values(c, SubscriptionDocument(id=SUB, state="Warned"), domain_suffix="eastus.aroapp.io")


RID_LOWER = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/prod-east"


def test_values_from_the_documents(doc_values: dict[str, str]) -> None:
    assert doc_values == {
        "resourceID": RID_LOWER,
        "subscriptionID": SUB,
        "subscriptionState": "Warned",
        "authenticationType": "WorkloadIdentity",
        "architectureVersion": "1",
        "bucketID": "0",
        "provisioningState": "Succeeded",
        "outboundType": "UserDefinedRouting",
        "APIServerVisibility": "Private",
        "isManagedDomain": "true",
    }


@pytest.mark.parametrize(
    ("key", "same", "other"),
    [
        ("resourceID", RID_LOWER, RID_LOWER.replace("prod-east", "Prod-East")),  # the value is lower-cased; comparison is not
        ("subscriptionID", SUB, SUB.replace("1", "2")),
        ("subscriptionState", "Warned", "warned"),
        ("authenticationType", "WorkloadIdentity", "ServicePrincipal"),
        ("architectureVersion", "1", "0"),
        ("provisioningState", "Succeeded", "Failed"),
        ("outboundType", "UserDefinedRouting", "Loadbalancer"),
        ("APIServerVisibility", "Private", "Public"),
        ("isManagedDomain", "true", "True"),
    ],
)
def test_each_key_through_each_operator(doc_values: dict[str, str], key: str, same: str, other: str) -> None:
    assert matches(doc_values, [S(key, "eq", same)]) is True
    assert matches(doc_values, [S(key, "eq", other)]) is False
    assert matches(doc_values, [S(key, "in", values=[other, same])]) is True
    assert matches(doc_values, [S(key, "in", values=[other])]) is False
    assert matches(doc_values, [S(key, "notin", values=[other])]) is True
    assert matches(doc_values, [S(key, "notin", values=[same, other])]) is False
    # AND with a selector that holds, and with one that does not
    assert matches(doc_values, [S(key, "eq", same), S("subscriptionState", "eq", "Warned")]) is True
    assert matches(doc_values, [S(key, "eq", same), S("subscriptionState", "eq", "Registered")]) is False


def test_validated_selectors_never_raise_when_matched(doc_values: dict[str, str]) -> None:
    sels = [S("provisioningState", "in", values=["Succeeded"]), S("isManagedDomain", "eq", "true"),
            S("outboundType", "notin", values=["Loadbalancer"])]
    validate(sels)
    assert matches(doc_values, sels) is True
    assert matches(doc_values, [s.to_dict() for s in sels]) is True  # the JSON form means the same
