import logging
from datetime import timedelta

import pytest

from mimo import TerminalError, TransientError, action, condition, run_steps
from mimo.api import OpenShiftClusterDocument, SubscriptionDocument
from mimo.context import BaseTaskContext
from mimo.environment import Environment

from .clocks import ManualClock

RID = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.RedHatOpenShift/openShiftClusters/c1"


def make_tc(clock=None):
    clock = clock or ManualClock()
    return BaseTaskContext(
        clock=clock,
        environment=Environment(),
        cluster=OpenShiftClusterDocument(id="22222222-2222-2222-2222-222222222222", resource_id=RID),
        subscription=SubscriptionDocument(id="11111111-1111-1111-1111-111111111111"),
    ), clock


def test_condition_succeeds_after_polling():
    tc, clock = make_tc()
    calls = []

    def ready(tc):
        calls.append(tc.now())
        return len(calls) == 4

    run_steps(tc, [condition(ready, timeout=600)])
    assert len(calls) == 4
    assert clock.sleeps == [10.0, 10.0, 10.0]
    assert (calls[-1] - calls[0]) == timedelta(seconds=30)


def test_condition_times_out_with_message():
    tc, clock = make_tc()

    def never(tc):
        return False

    with pytest.raises(TransientError) as info:
        run_steps(tc, [condition(never, timeout=timedelta(minutes=20))])
    assert str(info.value) == "TransientError: condition never timed out after 20m0s"
    assert sum(clock.sleeps) == 1200


def test_condition_fail_false_logs_and_continues(caplog):
    tc, _ = make_tc()
    after = []

    def never(tc):
        return False

    with caplog.at_level(logging.WARNING):
        run_steps(tc, [condition(never, timeout=30, fail=False), action(lambda tc: after.append(1), name="next")])
    assert after == [1]
    # Go conditionStep.run (pkg/util/steps/condition.go): "step %s failed but has configured 'fail=%t'.
    # Continuing. Error: %s"; the error is ours (Go: context deadline exceeded)
    assert [r.getMessage() for r in caplog.records] == [
        "step [Condition never, timeout 30s] failed but has configured 'fail=false'. Continuing. "
        "Error: condition never timed out after 30s"
    ]


def test_condition_error_passes_through_unchanged():
    tc, _ = make_tc()
    boom = TerminalError("broken")

    def raises(tc):
        raise boom

    with pytest.raises(TerminalError) as info:
        run_steps(tc, [condition(raises, timeout=60)])
    assert info.value is boom


def test_step_that_raises_stops_the_run(caplog):
    tc, _ = make_tc()
    ran = []

    def first(tc):
        ran.append("first")

    def second(tc):
        raise TransientError("nope")

    def third(tc):
        ran.append("third")

    with caplog.at_level(logging.INFO), pytest.raises(TransientError):
        run_steps(tc, [action(first), action(second), action(third)])
    assert ran == ["first"]
    messages = [r.getMessage() for r in caplog.records]
    # Go steps.Run (pkg/util/steps/runner.go), as TestStepRunner's log entries: "running step [Action
    # <name>]" before each step, "step [Action <name>] encountered error: <err>" at error level
    assert messages == ["running step [Action first]", "running step [Action second]",
                        "step [Action second] encountered error: TransientError: nope"]
    assert [r.levelname for r in caplog.records] == ["INFO", "INFO", "ERROR"]


def test_condition_is_labelled_with_its_timeout(caplog):
    """Go conditionStep.String: "[Condition <name>, timeout 20m0s]"."""
    tc, _ = make_tc()
    with caplog.at_level(logging.INFO):
        run_steps(tc, [condition(lambda tc: True, timeout=1200, name="aro_operator_ready")])
    assert [r.getMessage() for r in caplog.records] == ["running step [Condition aro_operator_ready, timeout 20m0s]"]


def test_durations_on_context_clock():
    tc, clock = make_tc()

    def slow(tc):
        clock.sleep(42)

    def cond(tc):
        return tc.now() >= clock.t and len(clock.sleeps) > 1

    d = run_steps(tc, [action(slow), condition(cond, timeout=100, name="ready")])
    assert d == {"action.slow": 42.0, "condition.ready": 10.0}


def test_deadline_stops_run_before_next_step():
    tc, clock = make_tc()
    ran = []

    def jump(tc):
        clock.sleep(61 * 60)

    with pytest.raises(TransientError) as info:
        run_steps(tc, [action(jump), action(lambda tc: ran.append(1), name="late")])
    assert str(info.value) == "TransientError: task deadline exceeded"
    assert ran == []


def test_sleep_past_deadline_is_transient():
    tc, clock = make_tc()
    clock.sleep(59 * 60)
    with pytest.raises(TransientError):
        tc.sleep(120)


def test_condition_timeout_longer_than_deadline_raises_transient():
    tc, _ = make_tc()
    with pytest.raises(TransientError):
        run_steps(tc, [condition(lambda tc: False, timeout=timedelta(hours=2), name="forever")])


def test_bad_condition_arguments():
    with pytest.raises(ValueError):
        condition(lambda tc: True, timeout=10, poll_interval=0)


def test_step_observer_sees_boundaries_and_can_stop_the_run():
    tc, _ = make_tc()
    seen = []

    class Crash(BaseException):
        pass

    class Observer:
        def step_started(self, index, step):
            seen.append(("start", index, step.key))

        def step_finished(self, index, step, error):
            seen.append(("end", index, step.key, type(error).__name__ if error else None))
            if index == 0:
                raise Crash()

    tc.step_observer = Observer()
    ran = []
    with pytest.raises(Crash):
        run_steps(tc, [action(lambda tc: ran.append(0), name="a"), action(lambda tc: ran.append(1), name="b")])
    assert ran == [0]
    assert seen == [("start", 0, "action.a"), ("end", 0, "action.a", None)]
