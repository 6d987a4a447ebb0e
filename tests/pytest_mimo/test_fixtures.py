"""The fake backends' fixtures, the fault injector and the hooks, through pytester."""

import json

import pytest

pytest_plugins = ["pytester"]


def test_fake_kube_fixture_serves_the_production_helper(pytester):
    pytester.makepyfile(
        """
        def test_kube(fake_kube, fake_task_context):
            fake_kube.add({"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator",
                           "metadata": {"name": "kube-apiserver"}, "spec": {}})
            tc = fake_task_context.with_kube(fake_kube)
            co = tc.client_helper().get_one("config.openshift.io/v1", "ClusterOperator", "kube-apiserver")
            assert co["metadata"]["name"] == "kube-apiserver"
            assert fake_kube.url.startswith("http://127.0.0.1:")
            assert [r.status for r in fake_kube.requests if r.verb == "get"] == [200]
        """
    )
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=1)


def test_pytest_mimo_kinds_hook_adds_kinds(pytester):
    pytester.makeconftest(
        """
        def pytest_mimo_kinds():
            return [("machine.openshift.io/v1beta1", "Machine", "machines", True)]
        """
    )
    pytester.makepyfile(
        """
        def test_kind(fake_kube):
            fake_kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "openshift-machine-api"}})
            h = fake_kube.client_helper()
            h.create({"apiVersion": "machine.openshift.io/v1beta1", "kind": "Machine",
                      "metadata": {"name": "m0", "namespace": "openshift-machine-api"}})
            assert fake_kube.get("machine.openshift.io/v1beta1", "Machine", "m0", "openshift-machine-api")
        """
    )
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=1)


def test_lost_response_applies_the_write_then_drops(pytester):
    pytester.makepyfile(
        """
        import pytest
        from mimo.kube import is_already_exists

        CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "default"}}

        def test_lost(fake_kube, mimo_faults):
            fake_kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
            mimo_faults.inject("kube", "lost_response", match="configmaps", times=1)
            h = fake_kube.client_helper()
            with pytest.raises(Exception) as info:
                h.create(dict(CM))
            assert "ApiException" not in type(info.value).__name__
            assert fake_kube.get("v1", "ConfigMap", "x", "default") is not None
            with pytest.raises(Exception) as again:
                h.create(dict(CM))
            assert is_already_exists(again.value)
            assert [e.kind for e in mimo_faults.trace] == ["lost_response"]
            assert [r.fault for r in fake_kube.requests if r.verb == "create"] == ["lost_response", None]
        """
    )
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=1)


def test_azure_sdk_backoff_is_virtual(pytester):
    pytester.makepyfile(
        """
        from datetime import timedelta

        def test_throttled(fake_azure, fake_task_context, mimo_faults, mimo_clock):
            vault = fake_azure.keyvault("eastus-cls")
            vault.set_secret("s", "v")
            tc = fake_task_context.with_azure(fake_azure)
            kv = tc.cluster_keyvault()
            assert kv.get_secret("s").value == "v"   # token and challenge done
            start = mimo_clock.now()
            mimo_faults.inject("azure", "throttle", match="secrets/s", times=3)
            assert kv.get_secret("s").value == "v"   # the SDK's own retries survive 3 throttles
            waited = mimo_clock.now() - start
            assert waited >= timedelta(seconds=3)    # Retry-After honoured, in virtual time
            assert mimo_clock.wall_elapsed < timedelta(seconds=5)
            assert [e.kind for e in mimo_faults.trace] == ["throttle"] * 3
        """
    )
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=1)


def test_mimo_faults_marker_same_seed_same_trace(pytester):
    pytester.makepyfile(
        """
        import json, pytest
        from mimo.kube import KubeHelper

        @pytest.mark.mimo_faults(rate=0.5, kinds=["throttle", "server_error"], seed=11)
        def test_trace(fake_kube, mimo_faults):
            fake_kube.add({"apiVersion": "config.openshift.io/v1", "kind": "ClusterOperator",
                           "metadata": {"name": "kube-apiserver"}, "spec": {}})
            h = fake_kube.client_helper()
            for _ in range(20):
                try:
                    h.get_one("config.openshift.io/v1", "ClusterOperator", "kube-apiserver")
                except Exception:
                    pass
            kinds = [e.kind for e in mimo_faults.trace]
            assert kinds and set(kinds) <= {"throttle", "server_error"}
            print("TRACE", json.dumps(kinds))
        """
    )
    a = pytester.runpytest("-s", "-p", "no:xdist")
    b = pytester.runpytest("-s", "-p", "no:xdist")
    a.assert_outcomes(passed=1)
    ta = [line for line in a.outlines if "TRACE" in line]
    tb = [line for line in b.outlines if "TRACE" in line]
    assert ta and ta == tb


def test_custom_fault_kind_through_hook(pytester):
    pytester.makeconftest(
        """
        from pytest_mimo.faults import FaultKind
        def pytest_mimo_fault_kinds():
            return [FaultKind("apiserver_restart", "kube", plays_as="connection_reset")]
        """
    )
    pytester.makepyfile(
        """
        import pytest
        def test_custom(fake_kube, mimo_faults):
            fake_kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
            # urllib3 retries a dropped connection 3 times by itself: the 4th drop reaches the caller
            mimo_faults.inject("kube", "apiserver_restart", match="namespaces", times=4)
            with pytest.raises(Exception):
                fake_kube.client_helper().get_one("v1", "Namespace", "default")
            assert [e.kind for e in mimo_faults.trace] == ["apiserver_restart"] * 4
        """
    )
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=1)


def test_failure_shows_fault_section_with_seed(pytester):
    pytester.makepyfile(
        """
        def test_fails(fake_kube, mimo_faults):
            fake_kube.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
            mimo_faults.inject("kube", "unavailable", times=1)
            fake_kube.client_helper().get_one("v1", "Namespace", "default")
        """
    )
    result = pytester.runpytest("-p", "no:xdist")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*mimo faults*", "seed: *", "*kube GET */namespaces/default: unavailable [[]rule[]]*"])


def test_step_crash_rule(pytester):
    pytester.makepyfile(
        """
        import pytest
        from mimo import action, run_steps
        from pytest_mimo.faults import SimulatedCrash

        def test_crash(fake_task_context, mimo_faults):
            mimo_faults.inject("step", "crash_after_step", match="first")
            ran = []
            steps = [action(lambda tc: ran.append(1), name="first"), action(lambda tc: ran.append(2), name="second")]
            with pytest.raises(SimulatedCrash):
                run_steps(fake_task_context, steps)
            assert ran == [1]
            assert mimo_faults.trace[0].kind == "crash_after_step"
        """
    )
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=1)


def test_gate_under_xdist_aggregates_on_the_controller(pytester, tmp_path):
    from mimo.tasks import load_tasks

    ids = sorted(load_tasks())
    body = "\n".join(f"@pytest.mark.mimo_scenario({tid!r})\ndef test_s{i}(): pass\n" for i, tid in enumerate(ids[1:]))
    pytester.makepyfile("import pytest\n" + body)
    report = tmp_path / "r.json"
    result = pytester.runpytest_subprocess("-n", "2", "--mimo-gate", f"--mimo-gate-tasks={','.join(ids)}",
                                           f"--mimo-report={report}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"*mimo gate FAILED: tasks without a mimo_scenario test:*{ids[0]}*"])
    data = json.loads(report.read_text())
    assert data["missing"] == [ids[0]]
    assert sum(t["scenarios"] for t in data["tasks"]) == len(ids) - 1
