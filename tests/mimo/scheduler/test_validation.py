from __future__ import annotations

from typing import Any

import pytest

from mimo.api import MaintenanceSchedule, Selector
from mimo.scheduler import validate_schedule

TASK = "9b741734-6505-447f-8510-85eb0ae561a2"


def make(**kw: Any) -> MaintenanceSchedule:
    args: dict[str, Any] = {
        "maintenance_task_id": TASK,
        "schedule": "Mon *-*-* 00:00",
        "selectors": [Selector(key="subscriptionState", operator="eq", value="Registered")],
        "schedule_across": "24h",
    }
    args.update(kw)
    return MaintenanceSchedule(**args)


def test_a_good_schedule_passes() -> None:
    validate_schedule(make())
    validate_schedule(make(), tasks={TASK: object()})


@pytest.mark.parametrize(
    ("kw", "prefix"),
    [
        ({"schedule": "*-*-1..7 00:00"}, "schedule: calendar '*-*-1..7 00:00': day '1..7': ranges"),
        ({"schedule": "*-*-* 00:00 UTC"}, "schedule: calendar '*-*-* 00:00 UTC': time zone 'UTC'"),
        ({"schedule": "*-*-* 00:10"}, "schedule: calendar '*-*-* 00:10': minute '10'"),
        ({"selectors": []}, "selectors: must not be empty"),
        (
            {"selectors": [Selector(key="outboundType", operator="eq", value="x"), Selector(key="outboundType", operator="in")]},
            "selectors[1] (key 'outboundType'): operator 'in' needs a non-empty 'values' list",
        ),
        ({"selectors": [Selector(key="region", operator="eq", value="x")]}, "selectors[0] (key 'region'): unknown key"),
    ],
)
def test_bad_fields_named(kw: dict[str, Any], prefix: str) -> None:
    with pytest.raises(ValueError) as ei:
        validate_schedule(make(**kw))
    assert str(ei.value).startswith(prefix), str(ei.value)


def test_unregistered_task() -> None:
    with pytest.raises(ValueError, match=rf"^maintenanceTaskID: {TASK} is not a registered task$"):
        validate_schedule(make(), tasks={})


def test_document_rules_checked_after_mutation() -> None:
    s = make()
    s.look_forward_count = 0
    with pytest.raises(ValueError, match=r"^lookForwardCount: must be an integer >= 1"):
        validate_schedule(s)
    s = make()
    s.schedule_across = "1d"
    with pytest.raises(ValueError, match=r"^scheduleAcross: "):
        validate_schedule(s)
