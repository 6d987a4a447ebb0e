"""The command line in process (click's CliRunner): a new user's path, and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mimo.cli import cli
from mimo.store import SqliteStore

from .material import ca_pem, kubeconfig_text

PLUGIN_DIR = Path(__file__).parent / "plugins"
NOOP_ID = "00000000-0000-4000-8000-00000000a001"
FAIL_ID = "00000000-0000-4000-8000-00000000a004"
SUB = "11111111-1111-1111-1111-111111111111"
RID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.RedHatOpenShift/openShiftClusters/demo"
RID_LOW = RID.lower()
TLS = "9b741734-6505-447f-8510-85eb0ae561a2"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.delenv("MIMO_STORE", raising=False)
    return {"MIMO_PLUGINS": "mimo_test_tasks", "MIMO_TEST_DIR": str(tmp_path)}


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "mimo.db")


@pytest.fixture
def run(env, db):
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(cli, ["--store", db, *args], env=env, catch_exceptions=False)
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return result

    return invoke


def dump(db: str) -> dict:
    s = SqliteStore(db)
    try:
        return {
            "clusters": [c.to_dict() for c in s.list_clusters()],
            "access": [repr(s.get_cluster_access(c.resource_id)) for c in s.list_clusters()],
            "subscriptions": [x.to_dict() for x in s.list_subscriptions()],
            "manifests": [m.to_dict() for m in s.list_manifests()],
            "schedules": [x.to_dict() for x in s.list_schedules()],
        }
    finally:
        s.close()


def test_new_user_path(run, tmp_path, db):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(kubeconfig_text())
    out = run("clusters", "add", "--resource-id", RID, "--kubeconfig", str(kubeconfig)).stdout
    assert f"cluster {RID_LOW} registered" in out and "access: kubeconfig" in out

    listed = json.loads(run("clusters", "list", "--json").stdout)
    assert [c["resourceID"] for c in listed] == [RID_LOW]
    assert listed[0]["subscriptionState"] == "Registered"

    mid = run("manifests", "create", "--cluster", RID, "--task", NOOP_ID, "--priority", "3").stdout.strip()
    fid = run("manifests", "create", "--cluster", RID, "--task", FAIL_ID).stdout.strip()
    table = run("manifests", "list").stdout
    assert "Pending" in table and "2 manifests" in table
    pending = json.loads(run("manifests", "list", "--json", "--state", "Pending").stdout)
    assert {m["id"] for m in pending} == {mid, fid}

    out = run("actuator", "--once", "--log-level", "ERROR").stdout
    assert "1 cluster pass(es), 0 error(s)" in out

    shown = json.loads(run("manifests", "show", mid, "--json").stdout)
    assert (shown["state"], shown["statusText"], shown["dequeues"], shown["leaseOwner"]) == (
        "Completed", "nothing to do", 1, "",
    )
    failed = json.loads(run("manifests", "show", fid, "--json").stdout)
    assert (failed["state"], failed["statusText"]) == ("Failed", "failing on purpose")
    assert "Completed" in run("manifests", "show", mid).stdout

    info = json.loads(run("clusters", "show", RID, "--json").stdout)
    assert info["manifests"] == {"Completed": 1, "Failed": 1}
    assert info["access"]["kubeconfig"] == str(kubeconfig)
    assert "Completed: 1" in run("clusters", "show", RID).stdout


def test_cluster_from_document_file_with_azure_settings_hides_the_secret(run, tmp_path, db):
    doc = {
        "id": "22222222-2222-2222-2222-222222222222",
        "key": RID_LOW,
        "openShiftCluster": {
            "id": RID,
            "properties": {
                "clusterProfile": {"domain": "demo", "resourceGroupId": "", "version": "4.15.0"},
                "registryProfiles": [{"name": "arosvc.azurecr.io", "username": "u", "password": "pw-HUNTER2"}],
            },
        },
    }
    f = tmp_path / "cluster.json"
    f.write_text(json.dumps(doc))
    token, ca, secret = tmp_path / "token", tmp_path / "ca.crt", tmp_path / "secret"
    token.write_text("tok-SECRET\n")
    ca.write_text(ca_pem())
    secret.write_text("sp-HUNTER2\n")
    out = run(
        "clusters", "add", str(f), "--api-url", "https://api.demo:6443", "--token-file", str(token),
        "--ca-file", str(ca), "--azure-credential", "client_secret",
        "--azure-tenant-id", "33333333-3333-3333-3333-333333333333",
        "--azure-client-id", "44444444-4444-4444-4444-444444444444",
        "--azure-client-secret-file", str(secret), "--json",
    ).stdout
    shown = run("clusters", "show", RID).stdout + run("clusters", "show", RID, "--json").stdout
    listed = run("clusters", "list").stdout
    for text in (out, shown, listed):
        assert "HUNTER2" not in text and "tok-SECRET" not in text
    assert json.loads(out)["access"]["azure"]["clientSecret"] == "***"
    # the store keeps what the production context needs
    s = SqliteStore(db)
    acc = s.get_cluster_access(RID)
    assert acc.azure["clientSecret"] == "sp-HUNTER2" and acc.token_file == str(token)
    assert s.get_cluster(RID).properties.registry_profiles[0].password.reveal() == "pw-HUNTER2"
    s.close()


def test_selectors_and_schedules(run, tmp_path):
    run("clusters", "add", "--resource-id", RID, "--subscription-state", "Warned")
    values = json.loads(run("selectors", RID, "--json").stdout)
    assert values["subscriptionState"] == "Warned" and values["resourceID"] == RID_LOW
    sched = {
        "id": "55555555-5555-5555-5555-555555555555",
        "maintenanceTaskID": NOOP_ID,
        "schedule": "Mon *-*-* 00:00",
        "lookForwardCount": 2,
        "scheduleAcross": "1h",
        "selectors": [{"key": "resourceID", "operator": "eq", "value": RID_LOW}],
    }
    f = tmp_path / "s.json"
    f.write_text(json.dumps(sched))
    assert run("schedules", "put", str(f)).stdout.strip() == sched["id"]
    assert json.loads(run("schedules", "list", "--json").stdout)[0]["schedule"] == "Mon *-*-* 00:00"
    out = run("scheduler", "--once", "--log-level", "ERROR").stdout
    assert "created 2" in out
    made = json.loads(run("manifests", "list", "--schedule", sched["id"], "--json").stdout)
    assert len(made) == 2 and all(m["state"] == "Pending" for m in made)
    assert json.loads(run("schedules", "show", sched["id"], "--json").stdout)["manifests"] == {"Pending": 2}
    out = run("manifests", "cancel", "--schedule", sched["id"]).stdout
    assert "cancelled 2 manifest(s)" in out
    assert {m["state"] for m in json.loads(run("manifests", "list", "--json").stdout)} == {"Cancelled"}


def test_cancel_and_delete(run):
    run("clusters", "add", "--resource-id", RID)
    mid = run("manifests", "create", "--cluster", RID, "--task", "TLS_CERT_ROTATION_ID").stdout.strip()
    assert json.loads(run("manifests", "show", mid, "--json").stdout)["maintenanceTaskID"] == TLS
    assert f"cancelled manifest {mid}" in run("manifests", "cancel", mid).stdout
    r = run("manifests", "cancel", mid, code=2)
    assert r.stderr.strip() == f"mimo: error: MANIFEST: cannot cancel manifest {mid} in state Cancelled (only Pending)"
    assert f"deleted manifest {mid}" in run("manifests", "delete", mid).stdout
    assert run("manifests", "list", "--json").stdout.strip() == "[]"


def test_times_accept_relative_and_rfc3339(run):
    run("clusters", "add", "--resource-id", RID)
    out = run(
        "manifests", "create", "--cluster", RID, "--task", NOOP_ID,
        "--run-after", "2030-01-01T00:00:00Z", "--run-before", "1893456060", "--json",
    ).stdout
    m = json.loads(out)
    assert (m["runAfter"], m["runBefore"]) == (1893456000, 1893456060)
    m2 = json.loads(run("manifests", "create", "--cluster", RID, "--task", NOOP_ID, "--run-after", "+1h", "--json").stdout)
    # Go _putAdminMaintManifestCreate (pkg/frontend/admin_mimo_manifest_create.go): an unset
    # runBefore is now + 7 days, whatever runAfter is
    assert m2["runBefore"] - m2["runAfter"] == 7 * 24 * 3600 - 3600


def test_tasks_lists_plugin_tasks(run):
    rows = json.loads(run("tasks", "--json").stdout)
    ids = {r["id"] for r in rows}
    assert NOOP_ID in ids and TLS in ids


# -- bad input: one line on stderr, exit 2, nothing written ----------------------------------

UNREGISTERED = "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg/providers/Microsoft.RedHatOpenShift/openShiftClusters/other"

BAD_SCHEDULES = {
    "calendar": ({"schedule": "Mon *-*-* 00:07"}, "schedule: "),
    "selectors": ({"selectors": [{"key": "resourceID", "operator": "in", "value": "x"}]}, "selectors[0]"),
    "empty selectors": ({"selectors": []}, "selectors"),
    "unknown task": ({"maintenanceTaskID": "12345678-1234-4234-8234-123456789abc"}, "maintenanceTaskID: "),
    "bad id": ({"id": "nope"}, "id: 'nope' is not a UUID"),
}


def _bad_cases(tmp_path: Path) -> list[tuple[str, list[str], str]]:
    cases = [
        ("unknown task ID", ["manifests", "create", "--cluster", RID, "--task", "12345678-1234-4234-8234-123456789abc"],
         "--task: 12345678-1234-4234-8234-123456789abc is not a registered task"),
        ("task not a UUID", ["manifests", "create", "--cluster", RID, "--task", "rotate-certs"],
         "--task: 'rotate-certs' is not a UUID"),
        ("malformed manifest UUID", ["manifests", "show", "not-a-uuid"], "MANIFEST: 'not-a-uuid' is not a UUID"),
        ("malformed --id", ["manifests", "create", "--cluster", RID, "--task", NOOP_ID, "--id", "123"],
         "--id: '123' is not a UUID"),
        ("malformed resource ID", ["manifests", "create", "--cluster", "/subscriptions/x/demo", "--task", NOOP_ID],
         "--cluster: '/subscriptions/x/demo' is not an OpenShift cluster resource ID"),
        ("malformed resource ID on add", ["clusters", "add", "--resource-id", "demo"],
         "--resource-id: 'demo' is not an OpenShift cluster resource ID"),
        ("runBefore before runAfter",
         ["manifests", "create", "--cluster", RID, "--task", NOOP_ID, "--run-after", "2030-01-02T00:00:00Z",
          "--run-before", "2030-01-01T00:00:00Z"],
         "--run-before: 2030-01-01T00:00:00Z is before --run-after 2030-01-02T00:00:00Z"),
        ("bad time", ["manifests", "create", "--cluster", RID, "--task", NOOP_ID, "--run-after", "tomorrow"],
         "--run-after: 'tomorrow' is not a time"),
        ("unknown cluster", ["manifests", "create", "--cluster", UNREGISTERED, "--task", NOOP_ID],
         "--cluster: cluster /subscriptions/99999999-9999-9999-9999-999999999999/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/other is not registered"),
        ("unknown cluster for selectors", ["selectors", UNREGISTERED], "CLUSTER: cluster '/subscriptions/9999"),
        ("unknown manifest", ["manifests", "show", "12345678-1234-4234-8234-123456789abc"],
         "MANIFEST: manifest '12345678-1234-4234-8234-123456789abc' not found"),
        ("missing kubeconfig", ["clusters", "add", "--resource-id", RID.replace("demo", "d2"), "--kubeconfig", str(tmp_path / "nope")],
         "--kubeconfig: "),
        ("token file without URL", ["clusters", "add", "--resource-id", RID.replace("demo", "d2"), "--token-file", str(tmp_path / "tok")],
         "--api-url and --token-file: give both"),
        ("kubeconfig and token", ["clusters", "add", "--resource-id", RID.replace("demo", "d2"), "--kubeconfig", str(tmp_path / "tok"),
                                  "--api-url", "https://x", "--token-file", str(tmp_path / "tok")],
         "give either --kubeconfig or --api-url with --token-file, not both"),
        ("api url not http", ["clusters", "add", "--resource-id", RID.replace("demo", "d2"), "--api-url", "ftp://x",
                              "--token-file", str(tmp_path / "tok")],
         "--api-url: 'ftp://x' is not an https/http URL"),
        ("bad azure settings", ["clusters", "add", "--resource-id", RID.replace("demo", "d2"), "--azure-credential", "client_secret"],
         "azure credential field 'tenant_id': required"),
        ("cancel needs one target", ["manifests", "cancel"], "give a MANIFEST ID or --schedule ID"),
    ]
    (tmp_path / "tok").write_text("t")
    base = {
        "id": "55555555-5555-5555-5555-555555555555",
        "maintenanceTaskID": NOOP_ID,
        "schedule": "Mon *-*-* 00:00",
        "selectors": [{"key": "resourceID", "operator": "eq", "value": RID_LOW}],
    }
    for name, (change, expect) in BAD_SCHEDULES.items():
        f = tmp_path / f"sched-{name.replace(' ', '-')}.json"
        f.write_text(json.dumps({**base, **change}))
        cases.append((f"schedule: {name}", ["schedules", "put", str(f)], expect))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    cases.append(("schedule: not JSON", ["schedules", "put", str(broken)], "not valid JSON"))
    cases.append(("cluster document: not JSON", ["clusters", "add", str(broken)], "not valid JSON"))
    return cases


def test_bad_input_is_refused_with_one_line_and_nothing_written(run, tmp_path, db):
    run("clusters", "add", "--resource-id", RID)
    run("manifests", "create", "--cluster", RID, "--task", NOOP_ID)
    before = dump(db)
    cases = _bad_cases(tmp_path)
    for name, args, expect in cases:
        r = run(*args, code=2)
        lines = r.stderr.splitlines()
        assert len(lines) == 1, (name, r.stderr)
        assert lines[0].startswith("mimo: error: "), (name, lines[0])
        assert expect in lines[0], (name, lines[0])
        assert r.stdout == "", (name, r.stdout)
        assert dump(db) == before, name
    assert len(cases) >= 20


def test_bad_plugin_module_is_one_line(env, db):
    r = CliRunner().invoke(cli, ["--store", db, "tasks"], env={**env, "MIMO_PLUGINS": "no_such_module_xyz"})
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        "mimo: error: MIMO_PLUGINS: cannot import plugin module 'no_such_module_xyz': "
        "ModuleNotFoundError: No module named 'no_such_module_xyz'"
    )


def test_store_in_missing_directory(env, tmp_path):
    r = CliRunner().invoke(cli, ["--store", str(tmp_path / "nope" / "m.db"), "manifests", "list"], env=env)
    assert r.exit_code == 2 and "--store: directory" in r.stderr


def test_store_from_environment_variable(env, tmp_path):
    db = str(tmp_path / "from-env.db")
    r = CliRunner().invoke(cli, ["clusters", "add", "--resource-id", RID], env={**env, "MIMO_STORE": db})
    assert r.exit_code == 0, r.stderr
    assert [c.resource_id for c in SqliteStore(db).list_clusters()] == [RID_LOW]
