"""``--mimo-explore=exhaustive``: one pytest item per fault site, each replaying exactly that fault,
and the gate that wants every site tried. Driven through pytester, as pytest tests its plugins."""

import json
import re
from pathlib import Path

import pytest

from pytest_mimo.explore import site_token
from pytest_mimo.faults import FaultSite

pytest_plugins = ["pytester"]

PLANTED = Path(__file__).with_name("planted_tasks.py").read_text()
TASK_ID = "eeeeeeee-0000-4000-8000-0000000000ee"
SITE_ID = re.compile(r"\[(site\d{4}-[^\]]+)\]")


def scenario(pytester, task="p.three_step_task", *, mark=True):
    """One mimo_replay test of a planted task, marked as the scenario of TASK_ID."""
    pytester.makepyfile(planted_tasks=PLANTED)
    pytester.makepyfile(
        test_scenario=f"""
        import pytest
        import planted_tasks as p

        {'@pytest.mark.mimo_scenario(' + repr(TASK_ID) + ')' if mark else ''}
        def test_task(mimo_world, mimo_replay):
            p.seed_world(mimo_world)
            mimo_replay({task})
        """
    )


@pytest.fixture
def registered(monkeypatch):
    """TASK_ID registered (as a task package's plugin would), for the gate's --mimo-gate-tasks."""
    import mimo.tasks.registry as registry
    from mimo.hookspecs import hookimpl

    def my_task(tc, manifest, cluster):
        pass

    class Plugin:
        @hookimpl
        def mimo_register_tasks(self):
            return {TASK_ID: my_task}

    original = registry.load_tasks
    monkeypatch.setattr(registry, "load_tasks", lambda *a, **kw: original(*a, plugins=[Plugin()], entry_points=False))


def collected(result):
    return [line for line in result.outlines if "::test_task[" in line]


def test_exhaustive_makes_one_readable_item_per_site_and_random_stays_the_default(pytester):
    scenario(pytester)
    default = pytester.runpytest("--co", "-q", "-p", "no:xdist")
    assert collected(default) == [f"test_scenario.py::test_task[replay{i}]" for i in range(6)]

    result = pytester.runpytest("--co", "-q", "-p", "no:xdist", "--mimo-explore=exhaustive")
    ids = collected(result)
    assert ids[0] == "test_scenario.py::test_task[replay0]"
    sites = [SITE_ID.search(i).group(1) for i in ids[1:]]
    assert len(sites) > 20
    # the index, the request (target, method, kind of path, object), its occurrence and the fault kind
    assert "site0000-kube-GET-clusteroperators-kube-apiserver-n1-throttle" in sites
    assert any(re.fullmatch(r"site\d{4}-azure-GET-eastus-cls-pull-secret-n1-server_error", s) for s in sites)
    assert any(re.fullmatch(r"site\d{4}-azure-POST-token-n1-token_error", s) for s in sites)
    assert any(re.fullmatch(r"site\d{4}-kube-POST-secrets-openshift-config-n1-lost_response", s) for s in sites)
    assert any(s.endswith("-step-1-action.copy_secret-crash_after_step") for s in sites)
    assert [int(s[4:8]) for s in sites] == list(range(len(sites)))
    # the same collection again: same IDs in the same order (what xdist requires of its workers)
    again = pytester.runpytest("--co", "-q", "-p", "no:xdist", "--mimo-explore=exhaustive")
    assert collected(again) == ids


def test_each_site_item_injects_exactly_its_site_and_the_report_holds_every_outcome(pytester, registered, tmp_path):
    scenario(pytester)
    report = tmp_path / "r.json"
    result = pytester.runpytest("-p", "no:xdist", "--mimo-explore=exhaustive", "--mimo-gate",
                                f"--mimo-gate-tasks={TASK_ID}", f"--mimo-report={report}")
    assert result.ret == 0, result.stdout.str()
    n = len([line for line in result.outlines if "PASSED" in line]) or result.parseoutcomes()["passed"]
    data = json.loads(report.read_text())
    (task,) = [t for t in data["tasks"] if t["task"] == TASK_ID]
    assert task["replays"] == n
    assert task["sites_existing"] == task["sites_tried"] == n - 1  # all but the clean replay0
    assert [s["outcome"] for s in task["sites"]] == ["passed"] * (n - 1)
    assert all(s["replays"] == 1 for s in task["sites"])  # each exactly once
    result.stdout.fnmatch_lines([f"*mimo gate passed: every checked task (1) has a mimo_scenario test; all {n - 1} "
                                 "fault sites tried*"])
    # no background faults: a site item's faults are its site (and the burst it comes as)
    assert task["faults"]["throttle"] < 3 * (n - 1)


def test_the_exhaustive_gate_fails_naming_the_sites_no_item_tried(pytester, registered):
    scenario(pytester)
    result = pytester.runpytest("-p", "no:xdist", "--mimo-explore=exhaustive", "--mimo-gate",
                                f"--mimo-gate-tasks={TASK_ID}", "-k", "not site0001 and not site0003")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*mimo gate FAILED: exhaustive exploration left 2 fault site(s) untried:*",
        "*- my_task: test_scenario.py::test_task|server_error on kube GET get "
        "clusteroperators.config.openshift.io//kube-apiserver (occurrence 1)*",
    ])
    # the same deselection in random mode: the gate asks for scenarios only
    random = pytester.runpytest("-p", "no:xdist", "--mimo-gate", f"--mimo-gate-tasks={TASK_ID}", "--mimo-replays=2")
    assert random.ret == 0


def test_a_failing_site_fails_alone_naming_itself_and_its_replay_command(pytester):
    """A retry on 409 that re-sends its stale read (planted bug l) fails at the conflict site
    only: every other site's item passes."""
    scenario(pytester, "p.one_step(p.set_run_stale_retry)")
    result = pytester.runpytest("-p", "no:xdist", "--mimo-explore=exhaustive", "-rf")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    failed = [line for line in result.outlines if line.startswith("FAILED")]
    assert len(failed) == 1, failed
    assert re.match(r"FAILED test_scenario.py::test_task\[site\d{4}-kube-PUT-configmaps-openshift-config-runs-n1-"
                    r"conflict\]", failed[0]), failed
    assert result.parseoutcomes()["passed"] > 10
    out = result.stdout.str()
    assert "targeted site: conflict on kube PUT update" in out
    assert re.search(r"replay this case: pytest 'test_scenario.py::test_task\[site\d{4}-kube-PUT-configmaps-"
                     r"openshift-config-runs-n1-conflict\]' -p no:xdist --mimo-seed=0 --mimo-explore=exhaustive", out)


def test_a_test_that_fails_before_its_replay_keeps_its_one_item(pytester):
    pytester.makepyfile(
        """
        def test_broken(mimo_world, mimo_replay):
            raise RuntimeError("world builder broke")
        """
    )
    result = pytester.runpytest("-p", "no:xdist", "--mimo-explore=exhaustive")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_broken[[]replay0[]]*", "*world builder broke*"])


def test_exhaustive_items_spread_over_xdist_workers(pytester):
    scenario(pytester)
    result = pytester.runpytest_subprocess("-n", "2", "--mimo-explore=exhaustive", "-q")
    assert result.ret == 0, result.stdout.str()
    passed = result.parseoutcomes()["passed"]
    assert passed > 20


def test_site_tokens_are_readable_and_safe_in_a_node_id():
    kube = FaultSite("kube", "conflict", "PUT", "update", "secrets/openshift-config/a b", 2)
    assert site_token(3, kube) == "site0003-kube-PUT-secrets-openshift-config-a-b-n2-conflict"
    arm = FaultSite("azure", "lro_failed", "PUT", "create",
                    "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/loadbalancers/lb", 1)
    assert site_token(12, arm) == "site0012-azure-PUT-loadbalancers-lb-n1-lro_failed"
    step = FaultSite("step", "crash_after_step", resource="action.rotate", step_index=4)
    assert site_token(0, step) == "site0000-step-4-action.rotate-crash_after_step"
    long = FaultSite("kube", "throttle", "GET", "get", "x/" + "n" * 100, 1)
    assert "::" not in site_token(1, long) and len(site_token(1, long)) < 80


# -- crashes at a write -----------------------------------------------------------------------------


def _planted():
    import importlib.util

    spec = importlib.util.spec_from_file_location("planted_tasks", Path(__file__).with_name("planted_tasks.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _crash_sites(world, task):
    """The crash sites (at a write) of ``task``'s baseline in ``world``, and the world as it was."""
    from pytest_mimo.explore import exhaustive_sites
    from pytest_mimo.faultkinds import CRASH_WRITE_KINDS
    from pytest_mimo.replay import Replayer

    snap = world.snapshot()
    base = Replayer(world, faulted=False).baseline(task)
    world.restore(snap)
    return [s for s in exhaustive_sites(base.requests, base.steps) if s.kind in CRASH_WRITE_KINDS], snap


def test_a_crash_before_a_write_applies_nothing_and_one_after_applies_it_then_stops_the_attempt(mimo_world):
    """The buggy twin takes "stage-a exists" for "the last run did both": which crash sites break
    it tells whether the write was applied (after) or not (before), and that nothing of the dying
    attempt ran past the crash (a crash after writing stage-b leaves both, as the baseline)."""
    from pytest_mimo.replay import Replayer

    p = _planted()
    p.seed_world(mimo_world)
    task = p.one_step(p.stage_both_buggy)
    sites, snap = _crash_sites(mimo_world, task)
    # two POSTs of a ConfigMap in openshift-config (the create's path names no object): n1 and n2
    assert [(s.method, s.occurrence, s.kind) for s in sites] == [
        ("POST", 1, "crash_before_write"), ("POST", 1, "crash_after_write"),
        ("POST", 2, "crash_before_write"), ("POST", 2, "crash_after_write"),
    ]
    verdicts = {}
    for site in sites:
        mimo_world.restore(snap)
        out = Replayer(mimo_world, rate=0.0, site=site).replay(task)
        assert [e.kind for e in out.trace] == [site.kind] and out.site_hit
        first = out.run.attempts[0]
        assert first.crashed and first.step == "action.stage_both_buggy", out.report()
        assert out.run.attempts[1].error is None and out.state == "Completed"
        verdicts[(site.occurrence, site.kind)] = out.ok
        if not out.ok:
            assert any("kube.v1/ConfigMap/openshift-config/stage-b" in d for d in out.diff), out.diff
    assert verdicts == {
        (1, "crash_before_write"): True,  # nothing applied: the next attempt does both
        (1, "crash_after_write"): False,  # stage-a applied, the process gone: the next skips stage-b
        (2, "crash_before_write"): False,  # stage-a there, stage-b never sent
        (2, "crash_after_write"): True,  # both applied
    }


def test_crashes_at_azure_and_store_writes_stop_the_attempt_in_the_tasks_thread(mimo_world):
    """An Azure request and the cluster document patch run in the task's thread: the crash is
    raised there (SimulatedCrash), before the write or after it; the correct tasks survive."""
    from pytest_mimo.replay import Replayer

    p = _planted()
    p.seed_world(mimo_world)
    for task, target in ((p.one_step(p.tag_lb_if_missing), "azure"), (p.one_step(p.set_flag), "store")):
        sites, snap = _crash_sites(mimo_world, task)
        assert {s.kind for s in sites} == {"crash_before_write", "crash_after_write"}
        assert {s.target for s in sites} == {target}
        for site in sites:
            mimo_world.restore(snap)
            out = Replayer(mimo_world, rate=0.0, site=site).replay(task)
            assert out.ok, out.report()
            assert out.run.attempts[0].crashed and [e.kind for e in out.trace] == [site.kind]
        mimo_world.restore(snap)


def test_random_replays_never_draw_the_crash_kinds_so_old_seeds_replay_as_before(mimo_world):
    """They are exhaustive-only (pytest_mimo.faultkinds explore_only): the sites random replays
    pick from, and the kinds the background draws, are those they were before."""
    from pytest_mimo.fakes.base import FakeRequest
    from pytest_mimo.faults import applicable_kinds, sites_from

    post = FakeRequest("kube", "POST", "/api/v1/namespaces/x/configmaps", "create", "configmaps/x/", True)
    assert "crash_after_write" not in applicable_kinds(post)
    assert applicable_kinds(post, explore_only=True)[-2:] == ("crash_before_write", "crash_after_write")
    assert not {s.kind for s in sites_from([post], [])} & {"crash_before_write", "crash_after_write"}


def test_a_bug_between_two_writes_escapes_25_random_replays_and_the_exhaustive_gate_catches_it(pytester, registered):
    """Planted bug (o): only a process dying between the two creates breaks it — every transient
    fault is retried inside the step — so no seeded random replay reaches it (hit rate 0 of 25:
    random replays target and draw no crash at a write, and their crashes fall between steps);
    exhaustive exploration fails exactly its two sites, and its correct twin passes them all."""
    scenario(pytester, "p.one_step(p.stage_both_buggy)")
    random = pytester.runpytest("-p", "no:xdist", "--mimo-replays=25", "--mimo-gate", f"--mimo-gate-tasks={TASK_ID}")
    assert random.ret == 0, random.stdout.str()
    random.assert_outcomes(passed=26)

    result = pytester.runpytest("-p", "no:xdist", "--mimo-explore=exhaustive", "--mimo-gate",
                                f"--mimo-gate-tasks={TASK_ID}", "-rf")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    failed = sorted(line.split("::", 1)[1].split(" ", 1)[0] for line in result.outlines if line.startswith("FAILED"))
    assert [re.sub(r"site\d{4}-", "", f) for f in failed] == [
        "test_task[kube-POST-configmaps-openshift-config-n1-crash_after_write]",
        "test_task[kube-POST-configmaps-openshift-config-n2-crash_before_write]",
    ]
    result.stdout.fnmatch_lines(["*targeted site: crash_after_write on kube POST create*(occurrence 1)*"])

    scenario(pytester, "p.one_step(p.stage_both)")
    fixed = pytester.runpytest("-p", "no:xdist", "--mimo-explore=exhaustive", "--mimo-gate", f"--mimo-gate-tasks={TASK_ID}")
    assert fixed.ret == 0, fixed.stdout.str()
    fixed.stdout.fnmatch_lines(["*mimo gate passed*fault sites tried*"])
