"""PostgresStore specifics, on a real PostgreSQL server (the ``pg_url`` fixture): versioned
migrations, concurrent hosts, secrets kept out of text, transient errors retried.

The common contract is in test_store_contract.py; these are what only a database server has.
"""

from __future__ import annotations

import json
import threading

import psycopg
import pytest

from mimo.api import MaintenanceManifest, OpenShiftClusterDocument
from mimo.store import StoreError, open_store
from mimo.store.postgres import SCHEMA_VERSION, PostgresStore, redact_url

SUB = "11111111-1111-1111-1111-111111111111"
RID = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.redhatopenshift/openshiftclusters/c1"
TASK = "9b741734-6505-447f-8510-85eb0ae561a2"
NOW = 1_800_000_000


def manifest(**kw) -> MaintenanceManifest:
    kw.setdefault("now", NOW)
    return MaintenanceManifest.new(RID, TASK, **kw)


def test_schema_is_created_versioned_and_a_newer_one_refused(pg_url):
    s = PostgresStore(pg_url)
    assert s.schema_version() == SCHEMA_VERSION
    s.close()
    PostgresStore(pg_url).close()  # opening again migrates nothing and changes nothing
    with psycopg.connect(pg_url, autocommit=True) as c:
        assert c.execute("SELECT version FROM mimo_schema_migrations ORDER BY version").fetchall() == [
            (v,) for v in range(1, SCHEMA_VERSION + 1)
        ]
        c.execute("INSERT INTO mimo_schema_migrations (version, description) VALUES (%s, 'from the future')",
                  (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}; this mimo knows up to {SCHEMA_VERSION}"):
        PostgresStore(pg_url)


def test_hosts_opening_a_new_database_at_once_migrate_it_once(pg_url):
    errors: list[BaseException] = []
    stores: list[PostgresStore] = []

    def open_one() -> None:
        try:
            stores.append(PostgresStore(pg_url, pool_size=1))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with psycopg.connect(pg_url) as c:
        assert c.execute("SELECT COUNT(*) FROM mimo_schema_migrations").fetchone() == (SCHEMA_VERSION,)
    for s in stores:
        s.close()


def test_the_password_never_shows(pg_server):
    url = pg_server.url().replace("mimo@", "mimo:hunter2@")
    assert redact_url(url) == url.replace("hunter2", "***")
    assert "hunter2" not in redact_url("postgresql://h/db?password=hunter2&sslmode=require")
    s = PostgresStore(url)  # trust auth on loopback: the password is not checked, only carried
    assert "hunter2" not in repr(s)
    s.close()
    bad = url.rsplit("/", 1)[0] + "/no_such_db"
    with pytest.raises(StoreError) as info:
        PostgresStore(bad)
    assert "no_such_db" in str(info.value) and "hunter2" not in str(info.value)


def test_open_store_takes_a_postgresql_url(pg_url):
    s = open_store(pg_url)
    assert isinstance(s, PostgresStore)
    s.close()
    with pytest.raises(ValueError, match="not a postgresql:// URL"):
        PostgresStore("mysql://x/y")


def _terminate_other_backends(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as c:
        row = c.execute(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


def test_connections_killed_by_the_server_are_retried(pg_url):
    """pg_terminate_backend drops every pooled connection: the next calls reconnect and succeed,
    each write exactly once."""
    s = PostgresStore(pg_url, pool_size=2)
    s.put_cluster(OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=RID))
    m = s.create_manifest(manifest())
    assert _terminate_other_backends(pg_url) >= 1
    leased = s.lease_manifest(m.id, "a", NOW + 60, NOW)
    assert leased is not None and leased.dequeues == 1
    assert _terminate_other_backends(pg_url) >= 1
    assert s.finish_manifest(m.id, "a", "Completed", "ok", generation=1)
    got = s.get_manifest(m.id)
    assert (got.state, got.dequeues) == ("Completed", 1)
    s.close()


class LostAck(PostgresStore):
    """The first try of each write commits, then its connection dies before the answer arrives
    (the case a retry must not turn into a second write or a 'someone else did it')."""

    def _attempt(self, what, fn):  # type: ignore[no-untyped-def]
        if what == "read":
            return super()._attempt(what, fn)
        calls = {"n": 0}

        def first_commits_then_breaks(conn, attempt):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            out = fn(conn, attempt)
            if calls["n"] == 1:
                conn.close()
                raise psycopg.OperationalError("server closed the connection unexpectedly")
            return out

        return super()._attempt(what, first_commits_then_breaks)


def test_a_write_whose_answer_was_lost_is_not_done_twice(pg_url):
    s = LostAck(pg_url)
    s.put_cluster(OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=RID))
    m = s.create_manifest(manifest())  # committed by the first try: the retry recognises its own row
    leased = s.lease_manifest(m.id, "a", NOW + 60, NOW)
    assert leased is not None and leased.dequeues == 1  # not 2, not None
    assert s.renew_lease(m.id, "a", NOW + 90, generation=1)
    assert s.finish_manifest(m.id, "a", "Completed", "ok", generation=1)
    got = s.get_manifest(m.id)
    assert (got.state, got.dequeues, got.lease_owner) == ("Completed", 1, "")

    def bump(doc):
        doc.properties.operator_flags["n"] = str(int(doc.properties.operator_flags.get("n", "0")) + 1)

    assert s.patch_cluster(RID, bump).properties.operator_flags == {"n": "1"}
    assert s.get_cluster(RID).properties.operator_flags == {"n": "1"}  # the mutator applied once
    fresh = manifest(run_after=NOW + 5)
    created = s.cancel_and_create([], "x", [fresh])
    assert created is not None and [c.id for c in created] == [fresh.id]
    replacement = manifest(run_after=NOW + 6)
    created = s.cancel_and_create([fresh.id], "edited", [replacement])
    assert created is not None and [c.id for c in created] == [replacement.id]
    assert s.get_manifest(fresh.id).state == "Cancelled"
    assert s.cancel_manifest(replacement.id)  # committed by the first try: the retry sees our state
    assert s.get_manifest(replacement.id).state == "Cancelled"
    s.close()


class Serialization(PostgresStore):
    """The first try of every operation meets a serialization failure."""

    failures = 0

    def _attempt(self, what, fn):  # type: ignore[no-untyped-def]
        state = {"first": True}

        def fail_first(conn, attempt):  # type: ignore[no-untyped-def]
            if state["first"]:
                state["first"] = False
                type(self).failures += 1
                raise psycopg.errors.SerializationFailure("could not serialize access due to concurrent update")
            return fn(conn, attempt)

        return super()._attempt(what, fail_first)


def test_serialization_failures_are_retried(pg_url):
    s = Serialization(pg_url)
    m = s.create_manifest(manifest())
    assert s.lease_manifest(m.id, "a", NOW + 60, NOW) is not None
    assert Serialization.failures >= 2
    s.close()


def test_a_closed_store_says_so(pg_url):
    s = PostgresStore(pg_url, retry_attempts=2, connect_timeout=2)
    s.close()
    with pytest.raises(StoreError, match="is closed"):
        s.get_manifest("x")


def test_the_cli_takes_a_postgresql_url_and_never_prints_its_password(pg_server, pg_url):
    from click.testing import CliRunner

    from mimo.cli import cli

    runner = CliRunner()
    ok = runner.invoke(cli, ["--store", pg_url, "manifests", "list", "--json"], catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output) == []
    secret = pg_server.url("no_such_db").replace("mimo@", "mimo:hunter2@")
    bad = runner.invoke(cli, ["manifests", "list"], env={"MIMO_STORE": secret}, catch_exceptions=False)
    assert bad.exit_code == 2
    assert "no_such_db" in bad.output and "hunter2" not in bad.output
    assert bad.output.startswith("mimo: error: ") and bad.output.count("\n") == 1
