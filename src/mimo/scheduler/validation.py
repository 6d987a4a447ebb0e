"""Checking a schedule before it is written (``mimo schedules put``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mimo.api import MaintenanceSchedule
from mimo.scheduler.calendar import Calendar
from mimo.scheduler.selectors import validate as validate_selectors

__all__ = ["TASK_CHANGE_NOT_ALLOWED", "check_schedule_change", "validate_schedule"]

#: Go's refusal of a replace that changes the task (``immutable.Validate``, admin_mimo_schedule_put.go)
TASK_CHANGE_NOT_ALLOWED = "Changing property 'maintenanceTaskID' is not allowed."


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


def check_schedule_change(new: MaintenanceSchedule, current: MaintenanceSchedule | None) -> None:
    """Refuse a replace that changes ``maintenanceTaskID``, as Go's admin API does.

    Go's ``maintenanceScheduleStaticValidator.validateDelta``
    (``pkg/api/admin/maintenanceschedule_validatestatic.go``) answers 400
    ``PropertyChangeNotAllowed``, target ``maintenanceTaskID``, ``Changing property
    'maintenanceTaskID' is not allowed.``; the ``ValueError`` here says the same,
    prefixed by the field as every refusal of :func:`validate_schedule` is.
    ``current`` is the stored schedule with the same ID, ``None`` for a new one.
    """
    if current is not None and new.maintenance_task_id != current.maintenance_task_id:
        raise ValueError(f"maintenanceTaskID: {TASK_CHANGE_NOT_ALLOWED}")
