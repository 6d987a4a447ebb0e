"""Issue #17, "Why": every bad input the fuzzing found, as a plain regression test.

Each case runs the console script in process (``mimo.cli.main``, as ``mimo`` runs) against a seeded
store and checks the three promises: no traceback, one ``mimo: error: <what> <why>`` line with exit
code 2, and the store's bytes unchanged. The rules the refusals follow are in ``mimo.inputs``
(and the README's "Input limits").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .console import NOOP_ID, PLUGIN_DIR, RID, SCHEDULE_ID, run_mimo, seed_store, store_bytes
from .material import kubeconfig_text


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.chdir(tmp_path)
    return {"MIMO_PLUGINS": "mimo_test_tasks", "MIMO_TEST_DIR": str(tmp_path), "MIMO_STORE": None}


@pytest.fixture
def db(tmp_path) -> Path:
    p = tmp_path / "mimo.db"
    seed_store(p)
    return p


@pytest.fixture
def refuse(env, db):
    """Run ``mimo --store DB ARGS``; assert it is refused (one line, exit 2, store unchanged); the line."""

    def go(*args: str, extra_env: dict[str, str] | None = None) -> str:
        before = store_bytes(db)
        out = run_mimo(["--store", str(db), *args], env={**env, **(extra_env or {})})
        line = out.refused()
        assert out.stdout == "", out.stdout
        assert store_bytes(db) == before, f"store changed by a refused {args}"
        return line

    return go


def _file(tmp_path: Path, name: str, data: bytes | str) -> str:
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(p)


SCHEDULE = {"maintenanceTaskID": NOOP_ID, "schedule": "Mon *-*-* 00:00",
            "selectors": [{"key": "resourceID", "operator": "eq", "value": RID.lower()}]}
CLUSTER_DOC = {"id": "55555555-5555-4555-8555-555555555555", "key": RID.lower(), "openShiftCluster": {"id": RID}}


# -- tracebacks ----------------------------------------------------------------------------------


def test_documents_with_invalid_utf8_are_refused(refuse, tmp_path):
    bad = json.dumps(SCHEDULE).encode().replace(b"Mon", b"M\xffn")
    assert "is not valid UTF-8 (byte 0xff" in refuse("schedules", "put", _file(tmp_path, "s.json", bad))
    bad = json.dumps(CLUSTER_DOC).encode()[:-1] + b', "\xc3": 1}'
    assert "is not valid UTF-8" in refuse("clusters", "add", _file(tmp_path, "c.json", bad))
    toml = _file(tmp_path, "env.toml", b'region = "east\xe9us"\n')
    assert "is not valid UTF-8" in refuse("env", toml)
    assert "is not valid UTF-8" in refuse("--env", toml, "selectors", RID)


def test_documents_nested_100000_deep_are_refused(refuse, tmp_path):
    deep_json = "[" * 100_000 + "]" * 100_000
    assert "nests deeper than 64 levels" in refuse("schedules", "put", _file(tmp_path, "s.json", deep_json))
    doc = json.dumps(CLUSTER_DOC)[:-1] + ', "x": ' + deep_json + "}"
    assert "nests deeper than 64 levels" in refuse("clusters", "add", _file(tmp_path, "c.json", doc))
    deep_toml = _file(tmp_path, "env.toml", "features = " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert "nests deeper than 64 levels" in refuse("env", deep_toml)
    assert "nests deeper than 64 levels" in refuse("--env", deep_toml, "selectors", RID)
    dotted = _file(tmp_path, "dotted.toml", ".".join(["a"] * 5_000) + " = 1\n")
    assert "nests deeper than 64 levels" in refuse("env", dotted)


def test_numbers_in_other_digits_or_too_long_are_refused(refuse):
    create = ("manifests", "create", "--cluster", RID, "--task", NOOP_ID)
    assert "'²' is not a time" in refuse(*create, "--run-after", "²")  # "²".isdigit() is True, int("²") fails
    # past the int-string conversion limit (4,300 digits): refused as an argument that long
    assert "--run-after: is 5,000 characters long (at most 4,096)" in refuse(*create, "--run-after", "9" * 5_000)
    assert "--run-after: is 4,000 characters long (at most 64)" in refuse(*create, "--run-after", "9" * 4_000)
    assert "--priority': '" + "9" * 40 + "' does not fit in 64 bits" in refuse(*create, "--priority", "9" * 40)
    assert "'²' is not an integer (ASCII digits 0-9)" in refuse(*create, "--priority", "²")


def test_durations_too_long_are_refused(refuse, tmp_path):
    create = ("manifests", "create", "--cluster", RID, "--task", NOOP_ID)
    assert "--run-after: invalid duration '99999999999999h': out of range" in refuse(
        *create, "--run-after", "+99999999999999h")
    assert "--run-after: 8785h is longer than the maximum 8784h0m0s" in refuse(*create, "--run-after", "+8785h")
    for across, why in (("99999999999999h", "out of range"), ("1" + "0" * 400 + "s", "out of range"),
                        ("745h", "745h is longer than the maximum 744h0m0s")):
        line = refuse("schedules", "put", _file(tmp_path, "s.json", json.dumps({**SCHEDULE, "scheduleAcross": across})))
        assert line.startswith("mimo: error: scheduleAcross: ") and why in line, line
    for count, why in ((10**12, "1000000000000 is above the maximum 100"), (0, "must be an integer >= 1")):
        line = refuse("schedules", "put", _file(tmp_path, "s.json", json.dumps({**SCHEDULE, "lookForwardCount": count})))
        assert line.startswith("mimo: error: lookForwardCount: ") and why in line, line


def test_numbers_past_64_bits_are_refused(refuse):
    create = ("manifests", "create", "--cluster", RID, "--task", NOOP_ID)
    huge = "99999999999999999999"
    assert f"'--priority': '{huge}' does not fit in 64 bits" in refuse(*create, "--priority", huge)
    assert f"--run-after: '{huge}' does not fit in 64 bits" in refuse(*create, "--run-after", huge)
    assert f"--run-before: '{huge}' does not fit in 64 bits" in refuse(*create, "--run-before", huge)
    assert "--run-after: 253402300800 is above the maximum 253402300799" in refuse(
        *create, "--run-after", "253402300800")
    # runBefore defaults to now + 7 days (Go _putAdminMaintManifestCreate), so a far runAfter needs a runBefore
    assert "--run-before: the default, now + 7 days, is before --run-after 9999-12-31T23:59:59Z" in refuse(
        *create, "--run-after", "253402300799")


# -- written although wrong ----------------------------------------------------------------------


@pytest.mark.parametrize(("url", "why"), [
    ("http://", "has no host"),
    ("http://[::1", "is not a URL: Invalid IPv6 URL"),
    ("http://a b", "contains a space"),
    ("http://x:99999", "is not a URL: Port out of range 0-65535"),
    ("http://x:0", "port 0 is not in 1-65535"),
    ("https://" + "a" * 70_000 + ".example.com", "is 70,020 characters long (at most 4,096)"),
    ("https://" + "a" * 3_000 + ".example.com", "is 3,020 characters long (at most 2,048)"),
    ("https://user:pw@api.demo:6443", "carries credentials"),
    ("https://api..demo", "is not a host name or IP address"),
    ("https://api.demo:6443/#x", "has a fragment"),
])
def test_api_urls_that_are_not_urls_are_refused(refuse, tmp_path, url, why):
    token = _file(tmp_path, "token", "tok-SECRET\n")
    line = refuse("clusters", "add", "--resource-id", RID.replace("demo", "d2"), "--api-url", url,
                  "--token-file", token)
    assert line.startswith("mimo: error: --api-url: ") and why in line, line


@pytest.mark.parametrize(("content", "why"), [
    ("clusters: [\n", "not valid YAML"),
    ("{{{{", "not valid YAML"),
    ("just a string\n", "is not a kubeconfig"),
    ("apiVersion: v1\nkind: Config\n", "current-context: is not set"),
    ("kind: Pod\n", "kind: 'Pod' is not Config"),
    (kubeconfig_text().replace("current-context: demo", "current-context: other"), "'other' is not one of the contexts"),
    (kubeconfig_text().replace("    cluster: demo\n", "    cluster: gone\n"), "cluster 'gone' is not defined"),
    (kubeconfig_text().replace("    user: admin\n", "    user: nobody\n"), "user 'nobody' is not defined"),
    # client-go clientcmd validateContext: "user was not specified for context" (MIMO_FUZZ_SEED=2904516253)
    (kubeconfig_text().replace("    user: admin\n", ""), "names no user"),
    (kubeconfig_text("http://a b"), "contains a space"),
    (kubeconfig_text().replace("insecure-skip-tls-verify: true", "insecure-skip-tls-verify: 'yes'"),
     "insecure-skip-tls-verify: must be true or false"),
    (kubeconfig_text() + "clusters: []\n", "not valid YAML"),  # a key given twice
    ("a: &x [1]\nb: *x\n", "aliases are refused"),
    ("[" * 100_000, "nests deeper than 64 levels"),
])
def test_kubeconfigs_that_are_not_kubeconfigs_are_refused(refuse, tmp_path, content, why):
    kc = _file(tmp_path, "kubeconfig", content)
    line = refuse("clusters", "add", "--resource-id", RID.replace("demo", "d2"), "--kubeconfig", kc)
    assert "--kubeconfig" in line and why in line, line


def test_a_valid_kubeconfig_is_accepted(env, db, tmp_path):
    kc = _file(tmp_path, "kubeconfig", kubeconfig_text())
    out = run_mimo(["--store", str(db), "clusters", "add", "--resource-id", RID.replace("demo", "d2"),
                    "--kubeconfig", kc], env=env)
    assert out.code == 0, out.stderr
    assert "access: kubeconfig" in out.stdout


# -- accepted and silently broken ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "1e999", "0", "0.5", "86401", "١٠"])
def test_lease_seconds_must_be_a_finite_sensible_number(refuse, value):
    line = refuse("actuator", "--once", "--lease-seconds", value)
    assert "Invalid value for '--lease-seconds'" in line, line


@pytest.mark.parametrize("value", ["nan", "inf", "0", "0.001", "١"])
def test_poll_interval_must_be_a_finite_sensible_number(refuse, value):
    assert "Invalid value for '--poll-interval'" in refuse("actuator", "--once", "--poll-interval", value)
    assert "Invalid value for '--poll-interval'" in refuse("scheduler", "--once", "--poll-interval", value)


def test_arabic_indic_digits_are_not_unix_time(refuse):
    line = refuse("manifests", "create", "--cluster", RID, "--task", NOOP_ID, "--run-after", "١٢٣")
    assert "--run-after: '١٢٣' is not a time" in line


def test_read_only_commands_create_no_store(env, tmp_path):
    for args in (["clusters", "list"], ["manifests", "list"], ["schedules", "list"], ["manifests", "show", NOOP_ID],
                 ["clusters", "show", RID], ["schedules", "show", SCHEDULE_ID], ["selectors", RID],
                 ["manifests", "cancel", "--schedule", SCHEDULE_ID], ["manifests", "delete", NOOP_ID],
                 ["manifests", "cancel", NOOP_ID], ["manifests", "create", "--cluster", RID, "--task", NOOP_ID]):
        out = run_mimo(args, env=env)  # the default store, ./mimo.db
        assert out.crash is None, out.crash
        assert out.code in (0, 2), (args, out.stderr)
        assert not list(tmp_path.glob("mimo.db*")), f"{args} created a store"
    out = run_mimo(["clusters", "list", "--json"], env=env)
    assert (out.code, json.loads(out.stdout)) == (0, [])


def test_read_only_commands_write_nothing_into_an_empty_file(env, tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    out = run_mimo(["--store", str(empty), "schedules", "list", "--json"], env=env)
    assert (out.code, out.stdout.strip(), empty.read_bytes()) == (0, "[]", b"")
    notdb = _file(tmp_path, "notdb", "hello, this is not SQLite" * 10)
    line = run_mimo(["--store", notdb, "clusters", "list"], env=env).refused()
    assert "cannot open: file is not a database" in line


# -- text that is not text -----------------------------------------------------------------------


def test_arguments_that_are_not_utf8_are_named(refuse):
    # Python hands undecodable argv bytes over as lone surrogates; SQLite would fail to encode them
    line = refuse("actuator", "--once", "--owner", "bad\udcffowner")
    assert line.startswith("mimo: error: --owner: is not valid UTF-8"), line
    line = refuse("clusters", "add", "--resource-id=/subscriptions/\udc80")
    assert line.startswith("mimo: error: --resource-id: is not valid UTF-8"), line
    line = refuse("clusters", "add", "--resource-id", RID, "--tenant-id", "a\x00b")
    assert line.startswith("mimo: error: --tenant-id: contains the control character '\\x00'"), line


def test_environment_variables_that_are_not_utf8_are_named(refuse):
    line = refuse("env", extra_env={"MIMO_REGION": "east\udcffus"})
    assert line.startswith("mimo: error: MIMO_REGION: is not valid UTF-8"), line
    line = refuse("tasks", extra_env={"MIMO_PLUGINS": "x\udcff"})
    assert line.startswith("mimo: error: MIMO_PLUGINS: is not valid UTF-8"), line


def test_environment_toml_values_are_checked(refuse, tmp_path):
    assert "does not fit in 64 bits" in refuse("env", _file(tmp_path, "e.toml", "region = 99999999999999999999\n"))
    assert "nan and inf are refused" in refuse("env", _file(tmp_path, "e.toml", "region = nan\n"))
    assert "'features': must be a list of names" in refuse("env", _file(tmp_path, "e.toml", "features = [[1]]\n"))
    assert "'region': 'eastus\\n' is not an Azure region" in refuse(
        "env", _file(tmp_path, "e.toml", 'region = "eastus\\n"\n'))
    assert "a number has thousands of digits (it does not fit in 64 bits)" in refuse(
        "env", _file(tmp_path, "e.toml", "region = " + "9" * 5000 + "\n"))
    assert "not valid TOML" in refuse("env", _file(tmp_path, "e.toml", "region = [\n"))
    assert "environment: must be a table" in refuse("env", _file(tmp_path, "e.toml", "environment = 1\n"))
    assert "/dev/null: is not a regular file" in refuse("env", "/dev/null")


def test_files_that_are_not_regular_files_are_never_read(refuse, tmp_path):
    assert "/dev/zero: is not a regular file" in refuse("schedules", "put", "/dev/zero")
    assert "is a directory" in refuse("schedules", "put", str(tmp_path))
    big = _file(tmp_path, "big.json", b" " * (2 * 1024 * 1024 + 1))
    assert "is 2,097,153 bytes (at most 2,097,152)" in refuse("schedules", "put", big)


def test_json_documents_refuse_nan_duplicate_keys_and_huge_numbers(refuse, tmp_path):
    text = json.dumps(SCHEDULE)[:-1]
    for tail, why in ((', "lookForwardCount": NaN}', "NaN is not a JSON value"),
                      (', "lookForwardCount": 1e999}', "is out of range"),
                      (', "lookForwardCount": ' + "9" * 5000 + "}", "does not fit in 64 bits"),
                      (', "schedule": "x"}', "the key 'schedule' is given twice")):
        assert why in refuse("schedules", "put", _file(tmp_path, "s.json", text + tail))
