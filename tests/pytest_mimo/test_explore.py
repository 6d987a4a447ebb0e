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
