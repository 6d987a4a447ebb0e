"""Schedule endpoints and a cluster's selector values, against Go's handlers.

``admin_mimo_schedule_put.go`` (201 created / 200 replaced, the static
validator of ``pkg/api/admin/maintenanceschedule_validatestatic.go`` in its
order, ``maintenanceTaskID`` immutable), ``admin_mimo_schedule_get.go``,
``admin_mimo_schedule_list.go``, ``admin_openshiftcluster_mimo_selectors.go``.
"""

from __future__ import annotations

import json

from mimo.const import OPERATOR_FLAGS_UPDATE_ID

from .helpers import AUTH, CLUSTER_URL, SUB, TASK

S_URL = "/admin/maintenanceSchedules"
SID = "5c4b8e1a-0000-4000-8000-00000000a001"


def sched(**kw) -> dict:
    body = {
        "id": SID, "state": "Enabled", "maintenanceTaskID": TASK, "schedule": "Mon *-*-* 00:00",
        "lookForwardCount": 2, "scheduleAcross": "1h",
        "selectors": [{"key": "subscriptionState", "operator": "in", "values": ["Registered"]}],
    }
    body.update(kw)
    return body


def put(client, body) -> object:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.put(S_URL, content=raw, headers={**AUTH, "Content-Type": "application/json"})


def err(code: str, message: str, target: str = "") -> dict:
    inner = {"code": code, "message": message}
    if target:
        inner["target"] = target
    return {"error": inner}


def test_put_new_is_201_then_replace_is_200(client, store):
    r = put(client, sched())
    assert r.status_code == 201, r.text
    assert r.json() == sched()
    r = put(client, sched(schedule="Tue *-*-* 00:00", state="Disabled"))
    assert r.status_code == 200
    assert store.get_schedule(SID).schedule == "Tue *-*-* 00:00"
    assert store.get_schedule(SID).state == "Disabled"


def test_put_without_an_id_creates_one(client, store):
    body = sched()
    del body["id"]
    r = put(client, body)
    assert r.status_code == 201
    assert [s.id for s in store.list_schedules()] == [r.json()["id"]]


def test_changing_the_task_of_a_schedule_is_property_change_not_allowed(client, store):
    assert put(client, sched()).status_code == 201
    r = put(client, sched(maintenanceTaskID=OPERATOR_FLAGS_UPDATE_ID))
    assert (r.status_code, r.json()) == (
        400, err("PropertyChangeNotAllowed", "Changing property 'maintenanceTaskID' is not allowed.", "maintenanceTaskID")
    )
    assert store.get_schedule(SID).maintenance_task_id == TASK


def test_static_validation_in_go_order_writes_nothing(client, store):
    cases = [
        (sched(maintenanceTaskID=""), "maintenanceTaskID", "Must be provided"),
        (sched(lookForwardCount=-1), "LookForwardCount", "Must be above 0"),
        (sched(schedule=""), "schedule", "Must be provided"),
        (sched(scheduleAcross=""), "scheduleAcross", "Must be provided"),
        (sched(scheduleAcross="5"), "scheduleAcross", 'Must be a valid time.Duration: missing unit in duration "5"'),
        (sched(scheduleAcross="5d"), "scheduleAcross",
         'Must be a valid time.Duration: unknown unit "d" in duration "5d"'),
        (sched(scheduleAcross="abc"), "scheduleAcross", 'Must be a valid time.Duration: invalid duration "abc"'),
        (sched(selectors=[]), "selectors", "Must be provided"),
        (sched(selectors=[{"key": "resourceID", "operator": "like", "value": "x"}]), "selectors[0].operator",
         "Must be one of ['eq', 'in', 'notin']"),
        (sched(selectors=[{"key": "resourceID", "operator": "in"}]), "selectors[0].values",
         "Must be provided for operator type 'in'"),
        (sched(selectors=[{"key": "resourceID", "operator": "notin", "values": ["a"], "value": "b"}]),
         "selectors[0].value", "Must not be provided for operator type 'notin'"),
        (sched(selectors=[{"key": "resourceID", "operator": "eq"}]), "selectors[0].value",
         "Must be provided for operator type 'eq'"),
        (sched(selectors=[{"key": "resourceID", "operator": "eq", "value": "a", "values": ["b"]}]),
         "selectors[0].values", "Must not be provided for operator type 'eq'"),
    ]
    for body, target, message in cases:
        r = put(client, body)
        assert (r.status_code, r.json()) == (400, err("InvalidParameter", message, target)), body
    assert store.list_schedules() == []


def test_a_calendar_that_does_not_parse_is_invalid_parameter_schedule(client, store):
    r = put(client, sched(schedule="Someday *-*-* 00:00"))
    assert r.status_code == 400
    assert (r.json()["error"]["code"], r.json()["error"]["target"]) == ("InvalidParameter", "schedule")
    assert store.list_schedules() == []


def test_ours_unknown_selector_key_and_unregistered_task_are_refused(client, store):
    r = put(client, sched(selectors=[{"key": "colour", "operator": "eq", "value": "blue"}]))
    assert r.status_code == 400 and r.json()["error"]["target"] == "selectors[0].key", r.json()
    r = put(client, sched(maintenanceTaskID="00000000-0000-4000-8000-000000000999"))
    assert r.status_code == 400 and r.json()["error"]["target"] == "maintenanceTaskID"
    r = put(client, sched(id="not-a-uuid"))
    assert r.status_code == 400 and r.json()["error"]["target"] == "id"
    assert store.list_schedules() == []


def test_a_null_selector_is_a_500_as_the_go_nil_pointer_is(client, store):
    r = put(client, sched(selectors=[None]))
    assert (r.status_code, r.json()) == (500, err("InternalServerError", "Internal server error."))
    assert store.list_schedules() == []


def test_a_wrong_type_in_a_selector_names_the_nested_go_field(client, store):
    r = put(client, sched(selectors=[{"key": 5, "operator": "eq", "value": "x"}]))
    assert r.json() == err(
        "InvalidRequestContent",
        "The request content could not be deserialized: json: cannot unmarshal number into Go struct field "
        "MaintenanceScheduleSelector.selectors.key of type string",
    )


def test_get_and_list_schedules(client, store):
    assert client.get(f"{S_URL}/{SID}", headers=AUTH).status_code == 404
    r = client.get(f"{S_URL}/{SID}", headers=AUTH)
    assert r.json()["error"]["message"].startswith(f"schedule '{SID}' not found: ")
    ids = []
    for i in range(3):
        sid = f"5c4b8e1a-0000-4000-8000-00000000b00{i}"
        assert put(client, sched(id=sid)).status_code == 201
        ids.append(sid)
    assert client.get(f"{S_URL}/{ids[1]}", headers=AUTH).json() == sched(id=ids[1])
    first = client.get(f"{S_URL}?limit=2", headers=AUTH).json()
    assert [s["id"] for s in first["value"]] == ids[:2]
    second = client.get(first["nextLink"], headers=AUTH).json()
    assert [s["id"] for s in second["value"]] == ids[2:] and "nextLink" not in second


def test_selectors_of_a_cluster(client, store):
    r = client.get(CLUSTER_URL + "/selectors", headers=AUTH)
    assert r.status_code == 200
    values = r.json()
    assert values["subscriptionID"] == SUB and values["subscriptionState"] == "Registered"
    # json.Marshal of a map: compact, keys sorted
    assert r.text == json.dumps(dict(sorted(values.items())), separators=(",", ":")) + "\n"


def test_selectors_of_an_unknown_cluster_or_subscription(client, store):
    r = client.get(CLUSTER_URL.replace("/c1", "/zz") + "/selectors", headers=AUTH)
    assert (r.status_code, r.json()) == (
        404, err("ResourceNotFound", "The Resource 'openshiftclusters/zz' under resource group 'rg' was not found.")
    )
    other = "22222222-2222-3333-4444-555555555555"
    from .helpers import put_cluster

    rid = put_cluster(store, "c9")
    doc = store.get_cluster(rid)
    from mimo.api import OpenShiftClusterDocument

    store.delete_cluster(rid)
    store.put_cluster(OpenShiftClusterDocument(id=doc.id, resource_id=rid.replace(SUB, other)))
    r = client.get(CLUSTER_URL.replace(SUB, other).replace("/c1", "/c9") + "/selectors", headers=AUTH)
    assert (r.status_code, r.json()) == (404, err("ResourceNotFound", f"The subscription ID '{other}' was not found."))
