"""The plugin driven the way pytest tests its own plugins: through pytester."""

import json

import pytest

pytest_plugins = ["pytester"]


def test_header_shows_seed_and_settings(pytester):
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--mimo-seed=42", "--mimo-replays=3", "--mimo-fault-rate=0.1")
    result.stdout.fnmatch_lines(["mimo: seed=42 replays=3 fault-rate=0.1 gate=off"])
    assert result.ret == 0


def test_random_seed_is_printed(pytester):
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--mimo-seed=random")
    result.stdout.fnmatch_lines(["mimo: seed=* (random) replays=5 fault-rate=0.2 gate=off"])


def test_bad_options_are_usage_errors(pytester):
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--mimo-seed=abc")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--mimo-seed: 'abc' is not an integer or 'random'*"])
    result = pytester.runpytest("--mimo-fault-rate=2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_ini_options(pytester):
    pytester.makeini("[pytest]\nmimo_seed = 7\nmimo_replays = 2\nmimo_clock_start = 2026-06-01T12:00:00Z\n")
    pytester.makepyfile(
        """
        from datetime import datetime, timezone
        def test_clock(mimo_clock):
            assert mimo_clock.now() == datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
        """
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["mimo: seed=7 replays=2 *"])
    result.assert_outcomes(passed=1)


def test_markers_registered_for_strict_markers(pytester):
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.mimo_clock("2026-03-02T09:00:00Z")
        @pytest.mark.mimo_faults(rate=0.5, kinds=["throttle"])
        @pytest.mark.mimo_scenario("9b741734-6505-447f-8510-85eb0ae561a2")
        def test_x(): pass
        """
    )
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.mimo_clock(start)*", "@pytest.mark.mimo_faults*", "@pytest.mark.mimo_scenario*"])


def test_mimo_clock_fixture_and_marker(pytester):
    pytester.makepyfile(
        """
        import time
        from datetime import datetime, timedelta, timezone
        import pytest

        def test_default(mimo_clock):
            assert mimo_clock.now() == datetime(2026, 1, 5, tzinfo=timezone.utc)
            time.sleep(3600)
            assert mimo_clock.elapsed == timedelta(hours=1)
            assert mimo_clock.wall_elapsed < timedelta(seconds=1)

        @pytest.mark.mimo_clock("2026-03-02T09:00:00Z")
        def test_marked(mimo_clock):
            assert datetime.now(timezone.utc) == datetime(2026, 3, 2, 9, tzinfo=timezone.utc)

        def test_after_no_travel():
            assert datetime.now(timezone.utc).year >= 2026
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_fake_task_context_defaults_and_not_wired_errors(pytester):
    pytester.makepyfile(
        """
        import pytest
        from mimo import TerminalError, get_task_context

        def test_defaults(fake_task_context):
            tc = get_task_context(fake_task_context)
            assert tc.get_subscription_document().state == "Registered"
            assert tc.get_openshift_cluster_document().resource_id.startswith("/subscriptions/")
            assert tc.environment().region == "eastus"
            assert (tc.deadline - tc.now()).total_seconds() == 3600

        @pytest.mark.parametrize("member, call", [
            ("client_helper", "with_client_helper(helper) or with_kube(fake_kube)"),
            ("load_balancers_client", "with_azure(fake_azure)"),
            ("cluster_keyvault", "with_azure(fake_azure)"),
            ("cluster_msi_keyvault", "with_azure(fake_azure)"),
            ("msi_dataplane", "with_azure(fake_azure)"),
            ("tokens_client", "with_azure(fake_azure)"),
        ])
        def test_not_wired(fake_task_context, member, call):
            with pytest.raises(TerminalError) as info:
                getattr(fake_task_context, member)()
            assert member in str(info.value)
            assert call in str(info.value)

        def test_with_features_and_result(fake_task_context):
            tc = fake_task_context.with_features("DisableSignedCertificates")
            assert tc is fake_task_context
            assert tc.environment().feature_is_set("DisableSignedCertificates")
            tc.set_result_message("done")
            assert tc.result_message == "done"

        def test_patch_goes_through_a_store(fake_task_context):
            def flag(doc):
                doc.properties.operator_flags["x"] = "y"
            doc = fake_task_context.patch_openshift_cluster_document(flag)
            assert doc.properties.operator_flags["x"] == "y"
            stored = fake_task_context.store.get_cluster(doc.resource_id)
            assert stored.properties.operator_flags["x"] == "y"
            assert fake_task_context.get_openshift_cluster_properties().operator_flags["x"] == "y"

        def test_make_task_context(make_task_context, mimo_clock):
            from mimo.environment import Environment
            tc = make_task_context(environment=Environment(region="westeurope", domain_suffix="westeurope.aroapp.io"))
            assert tc.environment().region == "westeurope"
        """
    )
    pytester.runpytest().assert_outcomes(passed=10)


def test_gate_fails_naming_missing_tasks(pytester, monkeypatch):
    import mimo.tasks.registry as registry
    from mimo.hookspecs import hookimpl

    def my_task(tc, manifest, cluster):
        pass

    class Plugin:
        @hookimpl
        def mimo_register_tasks(self):
            return {"aaaaaaaa-0000-4000-8000-0000000000aa": my_task}

    original = registry.load_tasks
    monkeypatch.setattr(
        registry, "load_tasks", lambda *a, **kw: original(*a, plugins=[Plugin()], entry_points=False)
    )
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--mimo-gate", "--mimo-gate-tasks=aaaaaaaa-0000-4000-8000-0000000000aa")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*mimo gate FAILED: tasks without a mimo_scenario test:*my_task (aaaaaaaa-0000-4000-8000-0000000000aa)*"])


def test_gate_passes_when_every_task_has_a_scenario_and_writes_report(pytester, tmp_path):
    from mimo.tasks import load_tasks

    ids = sorted(load_tasks())
    body = "\n".join(
        f"@pytest.mark.mimo_scenario({tid!r})\ndef test_s{i}(): pass\n" for i, tid in enumerate(ids)
    )
    pytester.makepyfile("import pytest\n" + body + "\ndef test_plain(): pass\n")
    report = tmp_path / "report.json"
    result = pytester.runpytest("--mimo-gate", f"--mimo-gate-tasks={','.join(ids)}", f"--mimo-report={report}")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*mimo gate: replay coverage*", f"*mimo gate passed: every checked task ({len(ids)})*"])
    table = result.stdout.str().split("mimo gate: replay coverage", 1)[1].split("mimo gate passed", 1)[0]
    assert max(len(line) for line in table.splitlines()) <= 100
    data = json.loads(report.read_text())
    assert data["missing"] == [] and data["checked"] == ids
    assert {t["task"] for t in data["tasks"]} == set(ids)
    assert all(t["scenarios"] == 1 for t in data["tasks"])


def test_mimo_scenario_needs_one_id(pytester):
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.mimo_scenario()
        def test_x(): pass
        """
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_mimo_faults_marker_validates(pytester):
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.mimo_faults(kinds=["meteor"])
        def test_x(mimo_faults): pass
        """
    )
    result = pytester.runpytest()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*unknown fault kind 'meteor'*"])


def test_mimo_faults_inject_rejects_unknown_target_and_kind(pytester):
    pytester.makepyfile(
        """
        import pytest
        def test_x(mimo_faults):
            with pytest.raises(ValueError, match="unknown target 'dns'"):
                mimo_faults.inject("dns", "throttle")
            with pytest.raises(ValueError, match="'lro_failed' is not a kube fault kind"):
                mimo_faults.inject("kube", "lro_failed")
            assert mimo_faults.rules == []  # nothing refused was kept
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_patch_of_a_deleted_cluster_document_raises_like_production(pytester):
    pytester.makepyfile(
        """
        import pytest
        from mimo.store.base import StoreNotFound

        def test_gone(fake_task_context):
            rid = fake_task_context.get_openshift_cluster_document().resource_id
            fake_task_context.store.delete_cluster(rid)
            with pytest.raises(StoreNotFound, match="not found"):
                fake_task_context.patch_openshift_cluster_document(lambda d: None)
        """
    )
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=1)


def _register_from(monkeypatch, module_path):
    """Register the mimo_register_tasks of a module file, as an installed plugin would be."""
    import importlib.util

    import mimo.tasks.registry as registry

    spec = importlib.util.spec_from_file_location("gate_probe_tasks", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    original = registry.load_tasks
    monkeypatch.setattr(registry, "load_tasks", lambda *a, **kw: original(*a, plugins=[module], entry_points=False))


TASK_MODULE = """
from mimo.hookspecs import hookimpl

def my_task(tc, manifest, cluster):
    pass

@hookimpl
def mimo_register_tasks():
    return {"bbbbbbbb-0000-4000-8000-0000000000bb": my_task}
"""


def test_the_gate_checks_the_tasks_of_the_packages_under_test(pytester, monkeypatch, tmp_path):
    """A task defined below the session's rootdir is checked; the built-ins (defined elsewhere,
    as they are for a task author who installed pymimo) are not."""
    path = pytester.path / "mytasks.py"
    path.write_text(TASK_MODULE)
    _register_from(monkeypatch, path)
    pytester.makepyfile(test_a="def test_x(): pass")
    report = tmp_path / "r.json"
    result = pytester.runpytest("--mimo-gate", f"--mimo-report={report}", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*mimo gate FAILED: tasks without a mimo_scenario test: my_task (bbbbbbbb-*"])
    data = json.loads(report.read_text())
    assert data["checked"] == data["missing"] == ["bbbbbbbb-0000-4000-8000-0000000000bb"]
    pytester.makepyfile(test_a="import pytest\n@pytest.mark.mimo_scenario('bbbbbbbb-0000-4000-8000-0000000000bb')\n"
                               "def test_x(): pass\n")
    result = pytester.runpytest("--mimo-gate", "-p", "no:xdist")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*mimo gate passed: every checked task (1) has a mimo_scenario test*"])


def test_an_unknown_gate_task_id_is_a_usage_error(pytester):
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--mimo-gate", "--mimo-gate-tasks=cccccccc-0000-4000-8000-0000000000cc")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--mimo-gate-tasks: cccccccc-0000-4000-8000-0000000000cc: not a registered task ID*"])


def test_the_report_holds_every_sites_outcome_and_the_table_fits_100_columns():
    from pytest_mimo.gate import Coverage

    cov = Coverage({"t1": "A_VERY_LONG_TASK_NAME_THAT_GOES_ON_AND_ON_AND_ON", "t2": "other"}, checked=["t1"])
    cov.add_scenario("t1", "tests/test_a.py::test_a[replay1]")
    base = {"task": "t1", "scenario": "s", "pair_ids": ["GET /a#1 throttle", "PUT /b#1 reset", "PUT /c#1 crash"],
            "faults": {f"kind{i}": i for i in range(30)}}
    cov.add_replay("t1", {**base, "site_id": "GET /a#1 throttle", "site_hit": True})
    cov.add_replay("t1", {**base, "site_id": "PUT /b#1 reset", "site_hit": True}, passed=False)
    cov.add_replay("t1", {**base, "site_id": "PUT /c#1 crash", "site_hit": False})
    (task,) = cov.to_json()["tasks"]
    assert task["sites"] == [
        {"site": "s|GET /a#1 throttle", "replays": 1, "failed": 0, "outcome": "passed"},
        {"site": "s|PUT /b#1 reset", "replays": 1, "failed": 1, "outcome": "failed"},
        {"site": "s|PUT /c#1 crash", "replays": 0, "failed": 0, "outcome": "not tried"},
    ]
    assert cov.missing() == [] and cov.to_json()["checked"] == ["t1"]
    lines = cov.render()
    assert len(lines) == 3 and all(len(line) <= 100 for line in lines)
    assert lines[2].endswith("…") and "2/3" in lines[2]
