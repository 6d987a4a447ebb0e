"""The manifest endpoints, against Go's handlers in Azure/ARO-RP ``pkg/frontend``.

Each test names the Go file whose behaviour it pins. Bodies are compared
whole: status, the CloudError body and what the store holds afterwards.
"""

from __future__ import annotations

import json

from mimo.api import MaintenanceManifest, ManifestState

from .helpers import AUTH, CLUSTER_URL, NOW, RID, TASK, put_cluster

M_URL = CLUSTER_URL + "/maintenanceManifests"


def err(code: str, message: str, target: str = "") -> dict:
    body = {"code": code, "message": message}
    if target:
        body["target"] = target
    return {"error": body}


def put_json(client, url, body, **kw):
    return client.put(url, content=json.dumps(body), headers={**AUTH, "Content-Type": "application/json"}, **kw)


# -- create: admin_mimo_manifest_create.go ---------------------------------------------------------


def test_create_answers_201_with_go_defaults_and_stores_it(client, store):
    r = put_json(client, M_URL, {"maintenanceTaskID": TASK, "priority": 3})
    assert r.status_code == 201
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    # runAfter defaults to now, runBefore to now + 7 days; clusterResourceID is left out (clusterNamespaced)
    assert body == {
        "id": body["id"], "state": "Pending", "maintenanceTaskID": TASK, "priority": 3,
        "runAfter": NOW, "runBefore": NOW + 7 * 24 * 3600,
    }
    # written with MarshalIndent's four-space indent and reply's newline
    assert r.text == json.dumps(body, indent=4) + "\n"
    stored = store.get_manifest(body["id"])
    assert (stored.cluster_resource_id, stored.state, stored.priority, stored.run_after) == (RID, "Pending", 3, NOW)


def test_create_ignores_the_id_and_state_it_is_sent(client, store):
    # Go overwrites ext.ID with a new UUID and ext.State with Pending
    r = put_json(client, M_URL, {"id": "aaaaaaaa-0000-4000-8000-000000000000", "state": "Completed",
                                 "maintenanceTaskID": TASK})
    assert r.status_code == 201
    assert r.json()["id"] != "aaaaaaaa-0000-4000-8000-000000000000"
    assert store.get_manifest(r.json()["id"]).state == "Pending"


def test_create_on_a_cluster_being_deleted_is_404_and_writes_nothing(client, store):
    put_cluster(store, "gone", state="Deleting")
    r = put_json(client, M_URL.replace("/c1/", "/gone/"), {"maintenanceTaskID": TASK})
    assert (r.status_code, r.json()) == (404, err("NotFound", "cluster being deleted"))
    assert store.list_manifests() == []


def test_create_on_an_unknown_cluster_is_404(client, store):
    r = put_json(client, M_URL.replace("/c1/", "/nope/"), {"maintenanceTaskID": TASK})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "NotFound"
    assert r.json()["error"]["message"].startswith("cluster not found: ")
    assert store.list_manifests() == []


def test_create_without_a_task_is_invalid_parameter(client, store):
    r = put_json(client, M_URL, {"priority": 1})
    assert (r.status_code, r.json()) == (400, err("InvalidParameter", "Must be provided", "maintenanceTaskID"))
    assert store.list_manifests() == []


def test_create_with_an_empty_or_invalid_body_is_invalid_request_content(client, store):
    for raw in (b"", b"{", b"{'a': 1}", b"NaN", b'{"runAfter": Infinity}'):
        r = client.put(M_URL, content=raw, headers={**AUTH, "Content-Type": "application/json"})
        assert (r.status_code, r.json()) == (
            400, err("InvalidRequestContent", "The request content was invalid and could not be deserialized.")
        ), raw
    assert store.list_manifests() == []


def test_create_with_a_wrong_type_names_the_go_field_and_type(client, store):
    cases = {
        f'{{"runAfter": "soon", "maintenanceTaskID": "{TASK}"}}':
            "json: cannot unmarshal string into Go struct field MaintenanceManifest.runAfter of type int64",
        '{"priority": 1.5}':
            "json: cannot unmarshal number 1.5 into Go struct field MaintenanceManifest.priority of type int",
        '{"maintenanceTaskID": 7}':
            "json: cannot unmarshal number into Go struct field MaintenanceManifest.maintenanceTaskID of type admin.MIMOTaskID",
        "[]": "json: cannot unmarshal array into Go value of type admin.MaintenanceManifest",
    }
    for raw, why in cases.items():
        r = client.put(M_URL, content=raw, headers={**AUTH, "Content-Type": "application/json"})
        assert (r.status_code, r.json()) == (
            400, err("InvalidRequestContent", "The request content could not be deserialized: " + why)
        ), raw
    assert store.list_manifests() == []


def test_create_matches_keys_case_insensitively_and_ignores_unknown_ones(client, store):
    # encoding/json: "RUNAFTER" fills RunAfter; "colour" is ignored
    r = put_json(client, M_URL, {"MaintenanceTaskId": TASK, "RUNAFTER": NOW + 60, "colour": "blue"})
    assert r.status_code == 201, r.text
    assert r.json()["runAfter"] == NOW + 60


def test_create_refuses_what_our_store_refuses_naming_the_field(client, store):
    # ours (stricter than Go): IDs are UUIDs, runBefore not before runAfter, the task registered
    cases = [
        ({"maintenanceTaskID": "not-a-uuid"}, "maintenanceTaskID"),
        ({"maintenanceTaskID": TASK, "runAfter": NOW + 100, "runBefore": NOW + 10}, "runBefore"),
        ({"maintenanceTaskID": TASK, "createdBySchedule": "x"}, "createdBySchedule"),
        ({"maintenanceTaskID": "00000000-0000-4000-8000-000000000999"}, "maintenanceTaskID"),
    ]
    for body, target in cases:
        r = put_json(client, M_URL, body)
        assert r.status_code == 400, body
        assert (r.json()["error"]["code"], r.json()["error"]["target"]) == ("InvalidParameter", target), r.json()
    assert store.list_manifests() == []


def test_create_with_another_content_type_is_415(client, store):
    # middleware/body.go
    r = client.put(M_URL, content=b"x=1", headers={**AUTH, "Content-Type": "text/plain"})
    assert (r.status_code, r.json()) == (
        415,
        err("UnsupportedMediaType", "The content media type 'text/plain' is not supported. Only 'application/json' is supported."),
    )
    assert store.list_manifests() == []


def test_a_body_over_one_mib_is_invalid_resource(client, store):
    r = client.put(M_URL, content=b" " * (1048576 + 1), headers={**AUTH, "Content-Type": "application/json"})
    assert (r.status_code, r.json()) == (400, err("InvalidResource", "The resource definition is invalid."))


# -- get / delete / cancel -------------------------------------------------------------------------


def _manifest(store, rid=RID, state=ManifestState.PENDING, run_after=NOW - 10, **kw) -> MaintenanceManifest:
    m = MaintenanceManifest(cluster_resource_id=rid, maintenance_task_id=TASK, run_after=run_after,
                            run_before=run_after + 3600, state=state, **kw)
    return store.create_manifest(m)


def test_get_returns_the_manifest_without_its_cluster(client, store):
    m = _manifest(store, status_text="hello")
    r = client.get(f"{M_URL}/{m.id}", headers=AUTH)
    assert r.status_code == 200
    assert r.json() == {"id": m.id, "state": "Pending", "statusText": "hello", "maintenanceTaskID": TASK,
                        "runAfter": m.run_after, "runBefore": m.run_before}


def test_get_of_a_manifest_of_another_cluster_is_404(client, store):
    # Go partitions manifests by cluster: the same ID under another cluster is not found
    other = put_cluster(store, "c2")
    m = _manifest(store, rid=other)
    r = client.get(f"{M_URL}/{m.id}", headers=AUTH)
    assert r.status_code == 404 and r.json()["error"]["code"] == "NotFound"
    assert r.json()["error"]["message"].startswith("manifest not found: ")


def test_cancel_pending_answers_the_cancelled_manifest(client, store):
    m = _manifest(store)
    r = client.post(f"{M_URL}/{m.id}/cancel", headers=AUTH)
    assert r.status_code == 200
    assert r.json()["state"] == "Cancelled"
    assert store.get_manifest(m.id).state == "Cancelled"


def test_cancel_in_another_state_is_406_and_changes_nothing(client, store):
    # admin_mimo_manifest_cancel.go: StatusNotAcceptable, PropertyChangeNotAllowed
    m = _manifest(store, state=ManifestState.COMPLETED)
    r = client.post(f"{M_URL}/{m.id}/cancel", headers=AUTH)
    assert (r.status_code, r.json()) == (
        406, err("PropertyChangeNotAllowed", "cannot cancel task in state Completed")
    )
    assert store.get_manifest(m.id).state == "Completed"


def test_delete_answers_an_empty_object_even_for_a_cluster_gone(client, store):
    # admin_mimo_manifest_delete.go: no cluster check (a deleted cluster may still have manifests)
    m = _manifest(store)
    store.delete_cluster(RID)
    r = client.delete(f"{M_URL}/{m.id}", headers=AUTH)
    assert (r.status_code, r.text) == (200, "{}\n")
    assert store.list_manifests() == []
    r = client.delete(f"{M_URL}/{m.id}", headers=AUTH)
    assert r.status_code == 404


# -- lists: admin_mimo_manifest_list.go, admin_mimo_manifest_queued.go --------------------------------


def test_list_pages_with_limit_and_skip_token_until_the_last_page(client, store):
    made = sorted((_manifest(store, run_after=NOW - 100 + i) for i in range(7)), key=lambda m: m.run_after)
    seen: list[str] = []
    url = f"{M_URL}?limit=3"
    pages = 0
    while url:
        r = client.get(url, headers=AUTH)
        assert r.status_code == 200, r.text
        body = r.json()
        assert all("clusterResourceID" not in x for x in body["value"])
        seen += [x["id"] for x in body["value"]]
        url = body.get("nextLink", "")
        pages += 1
        assert pages <= 3
    assert seen == [m.id for m in made]
    assert pages == 3


def test_next_link_is_built_on_the_referer(client, store):
    for i in range(3):
        _manifest(store, run_after=NOW - i)
    r = client.get(f"{M_URL}?limit=2", headers={**AUTH, "Referer": "https://arm.example/admin/x?limit=2&b=1"})
    link = r.json()["nextLink"]
    assert link.startswith("https://arm.example/admin/x?%24skipToken=")
    assert link.endswith("&b=1&limit=2")  # url.Values.Encode: keys sorted


def test_limit_that_is_not_an_integer_means_100(client, store):
    for i in range(12):
        _manifest(store, run_after=NOW - i)
    r = client.get(f"{M_URL}?limit=many", headers=AUTH)
    assert len(r.json()["value"]) == 12 and "nextLink" not in r.json()


def test_a_skip_token_that_does_not_open_is_500_as_in_go(client, store):
    # parseSkipToken's error is not a CloudError: adminReply answers it as InternalServerError
    for token in ("not base64!", "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8="):
        r = client.get(f"{M_URL}?$skipToken={token}", headers=AUTH)
        assert r.status_code == 500 and r.json()["error"]["code"] == "InternalServerError", r.text


def test_queued_lists_pending_manifests_with_a_free_lease_with_their_cluster(client, store, clock):
    other = put_cluster(store, "c2")
    a = _manifest(store)
    b = _manifest(store, rid=other, run_after=NOW + 500)  # not yet runnable: still queued (Go ignores runAfter)
    _manifest(store, state=ManifestState.COMPLETED)
    leased = _manifest(store, run_after=NOW - 50)
    assert store.lease_manifest(leased.id, "me", NOW + 60, NOW) is not None
    r = client.get("/admin/maintenanceManifests/queued", headers=AUTH)
    assert r.status_code == 200
    got = {x["id"]: x["clusterResourceID"] for x in r.json()["value"]}
    assert got == {a.id: RID, b.id: other}


def test_cancel_by_schedule_cancels_its_future_pending_manifests(client, store):
    sid = "99999999-0000-4000-8000-000000000001"
    future = [_manifest(store, run_after=NOW + 100 * (i + 1), created_by_schedule=sid) for i in range(3)]
    past = _manifest(store, run_after=NOW - 5, created_by_schedule=sid)
    other = _manifest(store, run_after=NOW + 100)
    r = client.post(f"/admin/maintenancemanifests/cancel?scheduleID={sid}", headers=AUTH)
    assert (r.status_code, r.json()) == (200, {"cancelled": 3, "errors": 0})
    assert [store.get_manifest(m.id).state for m in future] == ["Cancelled"] * 3
    assert store.get_manifest(past.id).state == "Pending"  # GetFutureTasksForScheduleID: runAfter > now only
    assert store.get_manifest(other.id).state == "Pending"


def test_cancel_by_schedule_without_the_parameter_is_400(client, store):
    r = client.post("/admin/maintenancemanifests/cancel", headers=AUTH)
    assert (r.status_code, r.json()) == (400, err("InvalidParameter", "Parameter is missing", "scheduleID"))
