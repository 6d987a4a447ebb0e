"""The Replayer used directly (as the simulator and the benchmarks do), on the plugin's mimo_world."""

import importlib.util
from pathlib import Path

from mimo import TerminalError, action, get_task_context, run_steps
from pytest_mimo.faults import FaultSite
from pytest_mimo.replay import Replayer, pick_site, world_diff

_spec = importlib.util.spec_from_file_location("planted_tasks", Path(__file__).with_name("planted_tasks.py"))
p = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(p)


def always_terminal(tc):
    get_task_context(tc)
    raise TerminalError("essential object missing")


def read_then_fail(tc, manifest, cluster):
    run_steps(tc, [action(p.check_apiserver), action(always_terminal)])


def test_terminal_failure_masked_until_last_attempt_matches_failed_baseline(mimo_world):
    p.seed_world(mimo_world)
    out = Replayer(
        mimo_world, seed=3, rate=0.0,
        configure=lambda inj: inj.inject("kube", "unavailable", match="clusteroperators"),
    ).replay(read_then_fail)
    assert out.baseline.state == "Failed"
    assert out.state == "RetriesExceeded"
    assert out.attempts == 5
    assert out.ok, out.report()


def test_targeted_site_is_hit_and_reported(mimo_world):
    p.seed_world(mimo_world)
    site = FaultSite("kube", "lost_response", "POST", "create", "configmaps/openshift-config/", 1)
    out = Replayer(mimo_world, seed=9, rate=0.0, site=site).replay(p.one_step(p.create_marker))
    assert out.site_hit
    assert [e.kind for e in out.trace] == ["lost_response"]
    assert out.ok, out.report()
    assert out.state == "Completed" and out.attempts == 2


def test_same_seed_same_trace(mimo_world):
    p.seed_world(mimo_world)
    snap = mimo_world.snapshot()
    traces = []
    for _ in range(2):
        mimo_world.restore(snap)
        out = Replayer(mimo_world, seed=77, rate=0.3, site_picker=lambda pairs: pick_site(pairs, 5, 3)).replay(
            p.three_step_task
        )
        assert out.ok, out.report()
        traces.append([(e.attempt, e.step, e.target, e.request, e.kind, e.source) for e in out.trace])
    assert traces[0] == traces[1]
    assert traces[0], "seed 77 at rate 0.3 injects faults"


def test_pairs_cover_requests_and_steps(mimo_world):
    p.seed_world(mimo_world)
    out = Replayer(mimo_world, faulted=False).replay(p.three_step_task)
    kinds = {(s.target, s.kind) for s in out.pairs}
    assert ("kube", "throttle") in kinds and ("kube", "connection_reset") in kinds
    assert ("azure", "token_error") in kinds and ("azure", "throttle") in kinds
    assert ("step", "crash_after_step") in kinds
    assert {s.step_index for s in out.pairs if s.target == "step"} == {0, 1, 2}
    order = [pick_site(out.pairs, 1, i) for i in range(1, len(out.pairs) + 1)]
    assert set(order) == set(out.pairs), "N >= pairs replays try every pair once"


def test_world_diff_ignores_paths():
    a = {"kube": {"x": {"data": {"a": "1", "b": "2"}}}}
    b = {"kube": {"x": {"data": {"a": "1", "b": "3"}}}}
    assert world_diff(a, b) == ['kube.x.data.b: "2" → "3"']
    assert world_diff(a, b, ignore=["kube.x.data.b"]) == []
    assert world_diff(a, b, ignore=["kube.x"]) == []


def test_world_diff_never_shows_secret_values():
    a = {
        "kube": {"v1/Secret/ns/s": {"data": {"tls.key": "UFJJVkFURQ=="}}},
        "azure": {"keyvault:v/s": "hunter2"},
        "cluster": {"registryProfiles[0]": {"password": "pw1"}},
    }
    b = {
        "kube": {"v1/Secret/ns/s": {"data": {"tls.key": "T1RIRVI="}}},
        "azure": {"keyvault:v/s": "hunter3"},
        "cluster": {"registryProfiles[0]": {"password": "pw2"}},
    }
    lines = world_diff(a, b)
    text = "\n".join(lines)
    assert len(lines) == 3
    for leaked in ("UFJJVkFURQ==", "T1RIRVI=", "hunter2", "hunter3", "pw1", "pw2"):
        assert leaked not in text
    assert text.count("<secret sha256:") == 6


def test_a_replay_rule_that_never_fires_is_a_violation(mimo_world):
    p.seed_world(mimo_world)
    out = Replayer(
        mimo_world, seed=3, rate=0.0,
        configure=lambda inj: inj.inject("kube", "unavailable", match="no-such-thing"),
    ).replay(p.one_step(p.check_apiserver))
    assert out.violations == [
        "fault rule inject('kube', 'unavailable', match='no-such-thing') never fired: "
        "nothing the faulted run did matched it"
    ]


def test_unconditional_put_is_seen_by_the_idempotence_run(mimo_world):
    p.seed_world(mimo_world)
    out = Replayer(mimo_world, faulted=False).replay(p.one_step(p.tag_lb_always))
    assert len(out.violations) == 1, out.report()
    assert out.violations[0].startswith(
        "not idempotent: one more clean run sent 1 write(s) that change something"
    )
    assert f"azure PUT https://management.azure.com{p.LB_ID}?api-version=" in out.violations[0]
    assert "(attempt 1, step action.tag_lb_always)" in out.violations[0]
    assert out.run.writes_by_object() == {"azure": {p.LB_ID.lower(): 1}}


def test_wrong_write_order_breaks_the_invariant_between_the_writes(mimo_world):
    p.seed_world(mimo_world)
    out = Replayer(mimo_world, faulted=False).replay(p.one_step(p.point_then_create))
    assert out.violations == [
        "baseline: invariant serving_certificates_exist broken after kube update config.openshift.io/v1/APIServer "
        "cluster (attempt 1, step action.point_then_create): the API server names missing Secret(s) "
        "['planted-serving']"
    ], out.report()
    good = Replayer(mimo_world, faulted=False).replay(p.one_step(p.create_then_point))
    assert good.ok, good.report()
