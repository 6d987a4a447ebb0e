"""The scheduler: turns maintenance schedules into manifests across the fleet.

* :mod:`mimo.scheduler.calendar` — calendar expressions (:class:`Calendar`, :class:`CalendarError`)
* :mod:`mimo.scheduler.selectors` — which clusters a schedule applies to
* :mod:`mimo.scheduler.spread` — where a cluster lands inside ``scheduleAcross``
* :mod:`mimo.scheduler.scheduler` — :class:`Scheduler`, one pass at a time
* :func:`validate_schedule` — the checks made before a schedule is written
"""

from __future__ import annotations

from mimo.scheduler.calendar import Calendar, CalendarError
from mimo.scheduler.scheduler import (
    CANCELLED_BY_SCHEDULER,
    DEFAULT_RUN_WINDOW,
    PassResult,
    Periods,
    Scheduler,
    manifest_id_for,
    periods,
)
from mimo.scheduler.selectors import (
    KEYS,
    SelectorError,
    UnknownSelectorKey,
    cluster_selector_values,
    matches,
)
from mimo.scheduler.selectors import validate as validate_selectors
from mimo.scheduler.spread import spread_fraction, spread_offset
from mimo.scheduler.validation import check_schedule_change, validate_schedule

__all__ = [
    "CANCELLED_BY_SCHEDULER",
    "DEFAULT_RUN_WINDOW",
    "KEYS",
    "Calendar",
    "CalendarError",
    "PassResult",
    "Periods",
    "Scheduler",
    "SelectorError",
    "UnknownSelectorKey",
    "check_schedule_change",
    "cluster_selector_values",
    "manifest_id_for",
    "matches",
    "periods",
    "spread_fraction",
    "spread_offset",
    "validate_schedule",
    "validate_selectors",
]
