"""Varied worlds, fault combinations and shrinking (issue #15 items 2-4).

The five world-corner bugs of issue #15 are planted in planted_tasks.py, each with a correct twin
and a world builder whose variation points reach the corner. Each bug must be caught within 25
replays, each twin must pass them; a failure prints its variant and a shrunk case whose printed
command replays exactly it.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from pytest_mimo.cases import ReplayCase, load_case
from pytest_mimo.faults import ScheduledFault
from pytest_mimo.shrink import ddmin, shrink_case
from pytest_mimo.variants import Variant, option, world_builder

pytest_plugins = ["pytester"]

PLANTED = Path(__file__).with_name("planted_tasks.py").read_text()


def world_suite(pytester, *tests):
    """One mimo_replay test per (name, task expression, world builder expression)."""
    pytester.makepyfile(planted_tasks=PLANTED)
    body = ["import planted_tasks as p", ""]
    for name, expr, world in tests:
        body += [f"def test_{name}(mimo_world, mimo_replay):", f"    mimo_replay({expr}, world={world})", ""]
    pytester.makepyfile(test_worlds="\n".join(body))


def failed_replays(result) -> list[int]:
    return sorted(int(m) for m in re.findall(r"^FAILED \S+\[replay(\d+)\]", result.stdout.str(), flags=re.M))


# -- the five corners: each bug caught within 25 replays, with the variant printed ------------------


_ALL_TRANSIENT, _DEGRADED = "p.check_apiserver_all_transient", "p.check_apiserver_degraded_required"
#: id: (bug, twin, world builder, variant printed, violation printed)
CORNERS = {
    "a-404-treated-as-transient": (_ALL_TRANSIENT, "p.check_apiserver_settled", "p.world_clusteroperator",
                                   "clusteroperator=missing", "baseline ended RetriesExceeded (* where the world "
                                   "variant clusteroperator=missing expects Failed"),
    "b-missing-condition": (_DEGRADED, "p.check_apiserver_settled", "p.world_clusteroperator", "degraded=absent",
                            "*step action.check_apiserver_degraded_required let builtins.KeyError: 'Degraded' escape "
                            "unclassified*"),
    "c-empty-flags": ("p.copy_flags_nonempty_only", "p.copy_flags", "p.world_flags", "operator_flags=empty",
                      "baseline ended RetriesExceeded (* where the world builder world_flags expects Completed"),
    "d-case-sensitive-id": ("p.check_lb_is_ours_case_sensitive", "p.check_lb_is_ours", "p.world_lb_ids", "lb_id_case=*",
                            "baseline ended Failed (*is not the cluster's* where the world builder world_lb_ids "
                            "expects Completed"),
    "e-first-registry-profile": ("p.check_first_registry_token", "p.check_region_registry_token", "p.world_registry",
                                 "registry_profiles=other_first", "baseline ended Failed (*arointsvcold.azurecr.io is "
                                 "expired) where the world builder world_registry expects Completed"),
}


@pytest.mark.parametrize("corner", list(CORNERS))
def test_a_world_corner_bug_is_caught_within_25_replays_and_its_twin_passes(pytester, corner):
    bug, twin, builder, variant, violation = CORNERS[corner]
    world_suite(pytester, ("bug", f"p.one_step({bug})", builder), ("twin", f"p.one_step({twin})", builder))
    # in-process: tests/conftest.py rebinds what pytester's sys.modules restore leaves stale
    # (tests/test_pytester_isolation.py), which once broke later TLS replays in this process
    result = pytester.runpytest("--mimo-replays=25", "-p", "no:xdist")
    failed = failed_replays(result)
    assert failed and failed[0] <= 25, result.stdout.str()[-3000:]
    assert all(line.startswith("FAILED test_worlds.py::test_bug[") for line in result.outlines if line.startswith("FAILED"))
    result.assert_outcomes(passed=26 + 26 - len(failed), failed=len(failed))
    result.stdout.fnmatch_lines([f"*world variant: *{variant}*", f"*{violation}*"])
    # the default world (replay 0) is the one the bug was written against: it passes there
    assert 0 not in failed


def test_the_failure_prints_a_minimal_case_whose_command_replays_exactly_it(pytester):
    """(a) fails on its variant alone: the shrinker drops every fault and every other varied point;
    the printed command replays the saved case (and only it) and fails the same way."""
    world_suite(pytester, ("bug", "p.one_step(p.check_apiserver_all_transient)", "p.world_clusteroperator"))
    first = pytester.runpytest("--mimo-replays=6", "-p", "no:xdist")
    out = first.stdout.str()
    first.stdout.fnmatch_lines([
        "*minimal failing case (shrunk in * replay(s): * → 0 fault(s), * → 1 varied point(s)): "
        "world variant clusteroperator=missing; 0 fault(s)*",
    ])
    # the failure reports only: under CI=true pytest's short summary repeats each whole message
    reports = out.split("short test summary info")[0]
    commands = re.findall(r"replay the minimal case: (pytest .+)", reports)
    assert len(commands) == 1, out  # only the first failure of a scenario is shrunk
    cmd = shlex.split(commands[0])
    assert cmd[0] == "pytest" and cmd[1] == "test_worlds.py::test_bug[replay-case]"
    case_arg = next(a for a in cmd if a.startswith("--mimo-replay-case="))
    path = pytester.path / case_arg.split("=", 1)[1]
    assert path.parent == pytester.path / ".mimo" / "cases"
    case = load_case(path)
    assert (case.variant, case.faults) == ({"clusteroperator": "missing"}, ())
    again = pytester.runpytest(*cmd[1:])
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines([
        "*world variant: clusteroperator=missing*",
        "*where the world variant clusteroperator=missing expects Failed*",
    ])
    assert "fault trace (0)" in again.stdout.str()


def test_a_fault_schedule_shrinks_to_the_one_fault_that_matters(pytester):
    """A task that calls every API error terminal fails only when a fault makes its one GET fail:
    of the faulted run's whole schedule the shrinker keeps one such fault, and its case replays."""
    world_suite(pytester, ("buggy", "p.one_step(p.check_apiserver_strict)", "p.world_flags"))
    first = pytester.runpytest("--mimo-replays=10", "-p", "no:xdist")
    out = first.stdout.str()
    assert "minimal failing case" in out, out[-3000:]
    m = re.search(r"minimal failing case \(shrunk in \d+ replay\(s\): (\d+) → (\d+) fault\(s\)", out)
    assert m and int(m.group(2)) == 1, out
    cmd = shlex.split(re.search(r"replay the minimal case: (pytest .+)", out).group(1))
    case = load_case(pytester.path / next(a for a in cmd if a.startswith("--mimo-replay-case=")).split("=", 1)[1])
    (fault,) = case.faults
    assert (fault.target, fault.verb, fault.resource) == ("kube", "get", "clusteroperators.config.openshift.io//kube-apiserver")
    assert case.variant == {}
    again = pytester.runpytest(*cmd[1:])
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines([
        "*targeted site: -",
        "*an injected transient fault turned terminal*",
        "*fault trace (1):*",
        f"*kube GET */clusteroperators/kube-apiserver: {fault.kind} [[]script[]]*",
    ])


def test_shrinking_can_be_turned_off(pytester):
    world_suite(pytester, ("bug", "p.one_step(p.check_apiserver_all_transient)", "p.world_clusteroperator"))
    result = pytester.runpytest("--mimo-replays=6", "--mimo-shrink=0", "-p", "no:xdist")
    assert failed_replays(result)
    assert "minimal failing case" not in result.stdout.str()


def test_a_bad_replay_case_is_one_clear_usage_error(pytester):
    pytester.makepyfile(test_x="def test_x(mimo_replay):\n    pass\n")
    bad = pytester.path / "bad.json"
    bad.write_text(json.dumps({"mimo_replay_case": 1, "scenario": "test_x.py::test_x", "task": "t",
                               "faults": [{"attempt": "one"}]}))
    result = pytester.runpytest(f"--mimo-replay-case={bad}", "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--mimo-replay-case *bad.json: scheduled fault: field 'attempt' must be int, not 'one'*"])
    missing = pytester.runpytest("--mimo-replay-case=nope.json", "-p", "no:xdist")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["*--mimo-replay-case nope.json: cannot read it: No such file or directory*"])


def test_a_case_of_another_scenario_fails_naming_both(pytester):
    world_suite(pytester, ("twin", "p.one_step(p.copy_flags)", "p.world_flags"))
    case = ReplayCase("test_worlds.py::test_other", "t", {}, ())
    path = case.save(pytester.path)
    result = pytester.runpytest(f"--mimo-replay-case={path}", "-p", "no:xdist")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*--mimo-replay-case: the case is of scenario test_worlds.py::test_other, not of test_worlds.py::test_twin*"
    ])


# -- variants: deterministic, by name ------------------------------------------------------------


def _builder():
    seen = []

    @world_builder(expect="Completed")
    def build(world, v):
        seen.append((v.choose("a", {"one": 1, "two": 2, "three": 3}),
                     v.choose("b", [option("x", "x"), option("y", "y", expect="Failed")]),
                     v.present("c")))

    return build, seen


def test_a_variant_is_drawn_from_the_seed_alone_and_the_clean_one_takes_defaults():
    build, seen = _builder()
    assert build(None).to_dict() == {"a": "one", "b": "x", "c": "present"}
    draws = [build(None, Variant(seed=s)).to_dict() for s in range(40)]
    assert draws == [build(None, Variant(seed=s)).to_dict() for s in range(40)]
    for point, names in (("a", {"one", "two", "three"}), ("b", {"x", "y"}), ("c", {"present", "missing"})):
        assert {d[point] for d in draws} == names  # every option is reached in 40 seeds
    v = build(None, Variant(fixed={"b": "y"}))
    assert seen[-1] == (1, "y", True)
    assert v.describe() == "b=y" and v.expected(build.expect) == (("Failed",), "b=y")
    assert build(None).expected(build.expect) == (("Completed",), "the world builder")


def test_a_fixed_variant_naming_an_unknown_point_or_option_is_refused():
    build, _ = _builder()
    with pytest.raises(ValueError, match="has no variation point 'nope'"):
        build(None, Variant(fixed={"nope": "x"}))
    with pytest.raises(ValueError, match="point 'a' has no option 'four' \\(options: one, two, three\\)"):
        build(None, Variant(fixed={"a": "four"}))


# -- shrinking: ddmin -----------------------------------------------------------------------------


def test_ddmin_finds_the_two_items_that_matter_deterministically():
    calls = []

    def fails(xs):
        calls.append(list(xs))
        return 3 in xs and 11 in xs

    items = list(range(16))
    assert ddmin(items, fails) == [3, 11]
    first = list(calls)
    calls.clear()
    assert ddmin(items, fails) == [3, 11] and calls == first


def test_shrink_case_stops_at_its_budget_with_a_failing_case():
    faults = tuple(ScheduledFault(1, "kube", "GET", "get", f"r{i}", 1, "server_error") for i in range(20))
    case = ReplayCase("s", "t", {"p": "q"}, faults, violation="v")
    needed = {faults[4], faults[17]}
    result = shrink_case(case, lambda c: "still" if needed <= set(c.faults) else None, budget=5)
    assert not result.complete and needed <= set(result.case.faults)
    full = shrink_case(case, lambda c: "still" if needed <= set(c.faults) else None)
    assert full.complete and set(full.case.faults) == needed and full.case.variant == {}
