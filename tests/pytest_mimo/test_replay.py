"""Replays catch planted bugs, pass correct tasks, and reproduce from their printed command."""

import re
import shlex
import time
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PLANTED = Path(__file__).with_name("planted_tasks.py").read_text()


def suite(pytester, *tests):
    """A test module with one mimo_replay test per (name, task expression)."""
    pytester.makepyfile(planted_tasks=PLANTED)
    body = ["import planted_tasks as p", ""]
    for name, expr in tests:
        body += [
            f"def test_{name}(mimo_world, mimo_replay):",
            "    p.seed_world(mimo_world)",
            f"    mimo_replay({expr})",
            "",
        ]
    pytester.makepyfile(test_scenario="\n".join(body))


def failures(result):
    return [line for line in result.outlines if line.startswith("FAILED")]


def test_a_create_without_already_exists_is_caught_after_lost_response(pytester):
    suite(pytester, ("buggy", "p.one_step(p.create_marker_buggy)"))
    result = pytester.runpytest("--mimo-replays=14", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert "targeted site: lost_response on kube POST create" in out
    assert "final state RetriesExceeded" in out
    assert "differs from the baseline's Completed" in out
    assert "replay this case: pytest" in out


def test_b_503_called_terminal_is_named(pytester):
    suite(pytester, ("buggy", "p.one_step(p.check_apiserver_strict)"))
    result = pytester.runpytest("--mimo-replays=7", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert "an injected transient fault turned terminal: attempt 1, step action.check_apiserver_strict" in out
    assert "mimo.errors.TerminalError" in out


def test_c_raw_api_exception_escaping_is_named(pytester):
    suite(pytester, ("buggy", "p.one_step(p.check_apiserver_raw)"))
    result = pytester.runpytest("--mimo-replays=5", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*step action.check_apiserver_raw let kubernetes.dynamic.exceptions.* escape unclassified*"])


def test_d_not_idempotent_is_caught_even_on_the_clean_replay(pytester):
    suite(pytester, ("buggy", "p.one_step(p.append_run)"))
    result = pytester.runpytest("--mimo-replays=0", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*not idempotent: one more clean run changed the world*data.runs*"])


def test_e_real_sleep_past_deadline_is_stopped_at_the_deadline(pytester):
    suite(pytester, ("buggy", "p.one_step(p.wait_too_long)"))
    result = pytester.runpytest("--mimo-replays=0", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*baseline: attempt 1 ran past its 60-minute deadline in step action.wait_too_long (stopped at 01:00:00*",
        "*baseline: attempt 1, step action.wait_too_long: time.sleep(7200) called at *planted_tasks.py:* in wait_too_long*",
    ])


def test_f_infinite_wait_fails_fast_at_the_deadline(pytester):
    """A readiness loop without a timeout (time.sleep in a loop, etcd never settles) used to hang
    the suite: virtual time ran on for ever. Every attempt now stops at its deadline."""
    suite(pytester, ("buggy", "p.one_step(p.wait_etcd_forever)"))
    t0 = time.perf_counter()
    result = pytester.runpytest("--mimo-replays=0", "-p", "no:xdist")
    wall = time.perf_counter() - t0
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*baseline: attempt 1 ran past its 60-minute deadline in step action.wait_etcd_forever*",
        "*time.sleep(30) called at *planted_tasks.py:* in wait_etcd_forever*",
    ])
    replay_wall = float(re.search(r"wall: ([0-9.]+)s", result.stdout.str()).group(1))
    assert replay_wall < 5.0, f"the infinite wait's replay took {replay_wall:.1f}s of wall time"
    assert wall < 30.0, f"the whole session took {wall:.1f}s"


def test_g_time_sleep_in_a_step_is_a_violation_naming_the_call_site(pytester):
    suite(pytester, ("buggy", "p.one_step(p.settle_with_time_sleep)"))
    result = pytester.runpytest("--mimo-replays=0", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*attempt 1, step action.settle_with_time_sleep: time.sleep(30) called at *planted_tasks.py:* "
        "in settle_with_time_sleep: a step waits with tc.sleep() or a condition*",
    ])


def test_h_a_second_run_that_fails_is_caught_on_the_clean_replay(pytester):
    suite(pytester, ("buggy", "p.one_step(p.create_marker_once_only)"))
    result = pytester.runpytest("--mimo-replays=0", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*idempotence run: one more clean run ended Failed (*) where the baseline ended Completed*",
    ])


def test_i_unconditional_put_is_caught_on_the_clean_replay(pytester):
    """An ARM PUT with the same body is still an operation on the resource (a load balancer is
    reprogrammed): the idempotence run may send no Azure write at all."""
    suite(pytester, ("buggy", "p.one_step(p.tag_lb_always)"))
    result = pytester.runpytest("--mimo-replays=0", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*not idempotent: one more clean run sent 1 write(s) that change something*"
        "azure PUT https://management.azure.com/subscriptions/*/loadBalancers/planted-internal?api-version=*"
        "(attempt 1, step action.tag_lb_always)*",
    ])


def test_j_catching_only_http_errors_is_caught_by_a_connection_reset_burst(pytester):
    """A dropped connection is azure.core's ServiceResponseError, not an HttpResponseError; the
    SDK's RetryPolicy retries it retry_read=3 times, so the fault comes 4 times in a row."""
    suite(pytester, ("buggy", "p.one_step(p.read_lb_http_errors_only)"))
    result = pytester.runpytest("--mimo-replays=25", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*step action.read_lb_http_errors_only let azure.core.exceptions.ServiceResponseError:*escape unclassified*",
    ])


def test_l_a_conflict_retry_that_resends_its_stale_read_loses_the_other_writers_change(pytester):
    """The conflict fault is another writer changing the object first: a retry that refreshes
    only the resourceVersion overwrites that change, and the world diff shows it."""
    suite(pytester, ("buggy", "p.one_step(p.set_run_stale_retry)"))
    result = pytester.runpytest("--mimo-replays=25", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*final world differs from the baseline's*kube.v1/ConfigMap/openshift-config/runs.metadata.annotations."
        'pytest-mimo.io/concurrent-writer: "*" → "<absent>"*',
    ])


def test_m_a_lost_update_on_the_cluster_document_is_caught(pytester):
    """concurrent_write on the store: another writer patches the document between the patch's
    read and its conditional write; a mutator that writes back a stale copy loses that change."""
    suite(pytester, ("buggy", "p.one_step(p.set_flag_from_stale_read)"))
    result = pytester.runpytest("--mimo-replays=25", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*final world differs from the baseline's*cluster.openShiftCluster.properties.maintenanceState: "
        '"Planned" → "<absent>"*',
    ])


def test_n_a_host_paused_past_its_lease_that_writes_when_it_resumes_is_caught(pytester):
    """pause_past_lease: the attempt freezes after a step past its lease, a second host runs the
    manifest, then the first resumes. The runtime's fencing (check_lease before every step raises
    LeaseLost) stops a task that runs its steps through run_steps; a clean-up in a ``finally``
    still writes, and that is a violation naming both attempts."""
    suite(pytester, ("buggy", "p.cleanup_in_finally"))
    result = pytester.runpytest("--mimo-replays=25", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*faulted run: attempt 1 (paused after step #* past its lease while attempt 2 ran on another host), "
        "then sent kube DELETE */configmaps/mimo-lock*: a host that lost its lease may not write*",
    ])


def test_n_the_paused_attempt_of_a_correct_task_ends_with_lease_lost_and_writes_nothing(mimo_world):
    from pytest_mimo.faults import FaultSite
    from pytest_mimo.replay import Replayer

    _p = _planted()
    _p.seed_world(mimo_world)
    site = FaultSite("step", "pause_past_lease", resource="action.check_apiserver", step_index=0)
    out = Replayer(mimo_world, seed=4, rate=0.0, site=site).replay(_p.cleanup_as_a_step)
    assert out.ok, out.report()
    assert [e.kind for e in out.trace] == ["pause_past_lease"]
    first, second = out.run.attempts
    assert (first.attempt, type(first.error).__name__, first.step) == (1, "LeaseLost", "action.check_apiserver")
    assert (second.attempt, second.error) == (2, None)
    assert out.state == "Completed" and out.run.late_writes == []


def _planted():
    import importlib.util

    spec = importlib.util.spec_from_file_location("planted_tasks", Path(__file__).with_name("planted_tasks.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_scenarios_own_assertion_failure_carries_the_replay_header(pytester):
    """Issue #13: a scenario's own assert failing after the replay names the task, seed, site,
    attempts with their steps, fault trace and the replay command, as a violation does."""
    pytester.makepyfile(planted_tasks=PLANTED)
    pytester.makepyfile(test_own="""
        import planted_tasks as p

        def test_own(mimo_world, mimo_replay):
            p.seed_world(mimo_world)
            out = mimo_replay(p.three_step_task)
            assert out.attempts == 99, "the scenario expected 99 attempts"
    """)
    result = pytester.runpytest("--mimo-replays=2", "-p", "no:xdist")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([
        "*mimo replay of task *: the scenario's own check failed after the replay",
        "*seed: *",
        "*targeted site: *",
        "*violations: none from the harness",
        "*attempts:",
        "*#1 *step=*",
        "*fault trace (*",
        "*replay this case: pytest 'test_own.py::test_own[[]replay2[]]' -p no:xdist --mimo-seed=0 --mimo-replays=2*",
        "*the scenario expected 99 attempts*",
    ])


def test_k_wrong_write_order_is_caught_by_an_invariant(pytester):
    suite(pytester, ("buggy", "p.one_step(p.point_then_create)"))
    result = pytester.runpytest("--mimo-replays=0", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*baseline: invariant serving_certificates_exist broken after kube update config.openshift.io/v1/APIServer "
        "cluster (attempt 1, step action.point_then_create): the API server names missing Secret(s)*",
    ])


def test_invariants_on_the_marker_and_in_the_test_module_are_checked(pytester):
    pytester.makepyfile(planted_tasks=PLANTED)
    pytester.makepyfile(test_inv="""
        import pytest
        import planted_tasks as p
        from pytest_mimo import mimo_invariant

        seen = []

        @mimo_invariant
        def module_level(world):
            seen.append("module")

        def never_two_runs(world):
            cm = world.kube.get("v1", "ConfigMap", "runs", "openshift-config")
            assert cm["data"]["runs"] != "x", "runs is x"

        @pytest.mark.mimo_scenario("00000000-0000-4000-8000-000000000001", invariants=[never_two_runs])
        def test_set_run(mimo_world, mimo_replay):
            p.seed_world(mimo_world)
            mimo_replay(p.one_step(p.set_run))

        def test_module_invariant_ran():
            assert seen
    """)
    result = pytester.runpytest("--mimo-replays=0", "-p", "no:xdist")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*baseline: invariant never_two_runs broken after kube update v1/ConfigMap openshift-config/runs "
        "(attempt 1, step action.set_run): runs is x*",
    ])


def test_a_failed_faulted_run_adds_no_idempotence_line(pytester):
    """A 503 called terminal stops the faulted run before its write, so its world lacks that write;
    the idempotence run then starts from the baseline's world (not the damaged one), so the
    report does not also call the task 'not idempotent'."""
    suite(pytester, ("buggy", "p.two_steps(p.check_apiserver_strict, p.set_run)"))
    result = pytester.runpytest("--mimo-replays=10", "-p", "no:xdist")
    out = result.stdout.str()
    assert "an injected transient fault turned terminal" in out
    assert "final world differs from the baseline's" in out
    assert "not idempotent" not in out
    assert "idempotence run" not in out


def test_a_busy_loop_is_stopped_by_the_wall_budget(pytester):
    pytester.makepyfile(planted_tasks=PLANTED)
    pytester.makepyfile(test_spin="""
        import planted_tasks as p

        def spin(tc):
            while True:  # no sleep, no request: only the watchdog can stop it
                pass

        def test_spin(mimo_world, mimo_replay):
            p.seed_world(mimo_world)
            mimo_replay(p.one_step(spin))
    """)
    t0 = time.perf_counter()
    result = pytester.runpytest("--mimo-replays=0", "--mimo-wall-budget=1", "-p", "no:xdist")
    # the replay itself stops within the budget plus the watchdog's second; the session around it
    # (imports, collection) is slow on a loaded machine, so it only gets a loose bound
    replay_wall = float(re.search(r"wall: ([0-9.]+)s", result.stdout.str()).group(1))
    assert replay_wall < 5.0, f"the spinning replay took {replay_wall:.1f}s of wall time"
    assert time.perf_counter() - t0 < 60
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*baseline: the replay used more than its wall-clock budget of 1s of real time (attempt 1, step action.spin*",
    ])


def test_an_inject_rule_that_never_fires_fails_its_test(pytester):
    pytester.makepyfile("""
        def test_silent(fake_kube, mimo_faults):
            mimo_faults.inject("kube", "conflict", match="no-such-object", times=1)
            fake_kube.client_helper().list("v1", "ConfigMap", "default")
    """)
    result = pytester.runpytest("-p", "no:xdist")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*mimo_faults: rule inject('kube', 'conflict', match='no-such-object', times=1) never fired*",
    ])


def test_correct_versions_pass_50_seeded_replays(pytester):
    suite(
        pytester,
        ("create", "p.one_step(p.create_marker)"),
        ("check", "p.one_step(p.check_apiserver)"),
        ("set_run", "p.one_step(p.set_run)"),
        ("wait", "p.one_step(p.wait_briefly)"),
        ("three_steps", "p.three_step_task"),
        ("etcd_bounded", "p.wait_etcd_bounded"),
        ("tc_sleep", "p.one_step(p.settle_with_tc_sleep)"),
    )
    result = pytester.runpytest("--mimo-replays=50", "--mimo-seed=1", "-p", "no:xdist")
    assert failures(result) == []
    result.assert_outcomes(passed=7 * 51)


def test_correct_twins_of_the_new_classes_pass_25_seeded_replays(pytester):
    """A CI sample; bench/planted_twins.py runs each twin over 1,000 seeds."""
    suite(
        pytester,
        ("tag_if_missing", "p.one_step(p.tag_lb_if_missing)"),
        ("create_then_point", "p.one_step(p.create_then_point)"),
        ("read_lb", "p.one_step(p.read_lb)"),
        ("set_flag", "p.one_step(p.set_flag)"),
        ("cleanup_as_a_step", "p.cleanup_as_a_step"),
    )
    result = pytester.runpytest("--mimo-replays=25", "--mimo-seed=2", "-p", "no:xdist")
    assert failures(result) == []
    result.assert_outcomes(passed=5 * 26)


def test_printed_command_reproduces_the_same_trace(pytester):
    suite(pytester, ("buggy", "p.one_step(p.create_marker_buggy)"))
    first = pytester.runpytest("--mimo-replays=14", "--mimo-seed=5", "-p", "no:xdist")
    out = first.stdout.str()
    commands = re.findall(r"replay this case: (pytest .+)", out)
    assert commands, out
    cmd = shlex.split(commands[0])
    assert cmd[0] == "pytest"
    again = pytester.runpytest(*cmd[1:])
    assert again.ret == pytest.ExitCode.TESTS_FAILED

    def trace_of(text, nodeid):
        block = text.split(nodeid, 1)[1] if nodeid in text else text
        part = block.split("fault trace", 1)[1].split("replay this case", 1)[0]
        return [line.strip() for line in part.splitlines()[1:] if line.strip() and not line.strip().startswith("world diff")]

    nodeid = cmd[1]
    assert trace_of(again.stdout.str(), nodeid.split("::")[-1]) == trace_of(out, nodeid.split("::")[-1])


def test_gate_table_counts_replays_faults_and_sites(pytester, tmp_path):
    suite(pytester, ("three", "p.three_step_task"))
    report = tmp_path / "r.json"
    result = pytester.runpytest("--mimo-replays=6", f"--mimo-report={report}", "-p", "no:xdist")
    assert result.ret == 0
    import json

    data = json.loads(report.read_text())
    row = next(t for t in data["tasks"] if t["replays"])
    assert row["replays"] == 7
    assert row["sites_existing"] > 6
    assert 1 <= row["sites_tried"] <= 6
    assert sum(row["faults"].values()) >= 6
    # the kinds column comes from the one table: 6 replays leave some of them untried
    from pytest_mimo.faults import TARGETS

    assert row["kinds_untried"], row
    assert all(k.split(".", 1)[1] in TARGETS[k.split(".", 1)[0]] for k in row["kinds_untried"])
    assert "kinds not injected" in result.stdout.str()


def test_outcome_hook_is_called(pytester):
    suite(pytester, ("check", "p.one_step(p.check_apiserver)"))
    pytester.makeconftest(
        """
        seen = []
        def pytest_mimo_replay_outcome(item, outcome):
            seen.append((item.name, outcome.seed, outcome.state))
        def pytest_sessionfinish(session):
            print("OUTCOMES", len(seen), sorted({s for _, _, s in seen}))
        """
    )
    result = pytester.runpytest("--mimo-replays=3", "-s", "-p", "no:xdist")
    assert "OUTCOMES 4 ['Completed']" in result.stdout.str()


def test_xdist_gives_the_same_outcomes(pytester):
    suite(
        pytester,
        ("buggy", "p.one_step(p.create_marker_buggy)"),
        ("ok", "p.one_step(p.create_marker)"),
    )
    serial = pytester.runpytest_subprocess("--mimo-replays=10", "--mimo-seed=3", "-p", "no:xdist", "-rf")
    parallel = pytester.runpytest_subprocess("--mimo-replays=10", "--mimo-seed=3", "-n", "2", "-rf")

    def failed_ids(result):
        return sorted(re.findall(r"FAILED (\S+)", result.stdout.str()))

    assert failed_ids(serial) == failed_ids(parallel)
    assert failed_ids(serial), "the buggy task must fail somewhere"
    assert serial.parseoutcomes()["passed"] == parallel.parseoutcomes()["passed"]
