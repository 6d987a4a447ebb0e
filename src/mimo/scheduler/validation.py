"""Checking a schedule before it is written (``mimo schedules put``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mimo.api import MaintenanceSchedule
from mimo.scheduler.calendar import Calendar
from mimo.scheduler.selectors import validate as validate_selectors

__all__ = ["validate_schedule"]


def validate_schedule(schedule: MaintenanceSchedule, tasks: Mapping[str, Any] | None = None) -> None:
    """Raise ``ValueError`` whose message starts with the bad field's name.

    Checks the document rules (``id``, ``state``, ``lookForwardCount``,
    ``scheduleAcross``), that ``schedule`` parses as a calendar expression
    (``schedule: calendar '…': day '1..7': …``), that the selectors follow the
    rules (``selectors[1] (key 'resourceID'): …``; an unknown key is refused
    here, at write time), and, when ``tasks`` is given, that
    ``maintenanceTaskID`` is registered in it.
    """
    if not isinstance(schedule, MaintenanceSchedule):
        raise TypeError(f"schedule: must be a MaintenanceSchedule, not {type(schedule).__name__}")
    schedule.validate()
    try:
        Calendar.parse(schedule.schedule)
    except ValueError as e:
        raise ValueError(f"schedule: {e}") from None
    validate_selectors(schedule.selectors)  # messages start with "selectors" / "selectors[i] (key 'K')"
    if tasks is not None and schedule.maintenance_task_id not in tasks:
        raise ValueError(f"maintenanceTaskID: {schedule.maintenance_task_id} is not a registered task")
