"""The calendar and the spreading against the Go MIMO's own unit tests, case by case.

Go: ``pkg/mimo/scheduler/calendar_test.go`` (``Test_parseCalendar`` for ``ParseCalendar``,
``TestNext`` for ``Next``, ``pkg/mimo/scheduler/calendar.go``) and ``manager_test.go``
(``TestClusterHash``, ``TestClusterPercentWithinPeriod`` for
``ClusterResourceIDHashToScheduleWithinPercent`` and ``PercentWithinPeriod``, ``manager.go``).

What differs on purpose (README, Go differences): a refusal names the field and says what is
accepted (Go: ``failed to match '…'``, ``error parsing minute: '22' is not one of 0/15/30/45``, …);
the same expressions are accepted and refused. ``TestNext`` builds Go's ``calendar`` struct
directly; here the same schedule is written as the expression Go would parse to it (an empty
Go list is ``*``), or built as a :class:`Calendar` where no expression can say it (a year before
2026, which parsing refuses).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from mimo.scheduler.calendar import Calendar, CalendarError
from mimo.scheduler.spread import percent_within_period, spread_fraction, spread_offset

ALL_MONTHS = tuple(range(1, 13))
ALL_DAYS = tuple(range(1, 32))
ALL_HOURS = tuple(range(24))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# -- Test_parseCalendar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "weekdays", "days", "hours", "minutes"),
    [
        ("Mon *-*-* 00:00:00", {0}, ALL_DAYS, (0,), (0,)),
        ("Mon *-*-* 00:00", {0}, ALL_DAYS, (0,), (0,)),
        ("Monday *-*-* 00:00", {0}, ALL_DAYS, (0,), (0,)),
        ("Mon,Tuesday *-*-* 00:00", {0, 1}, ALL_DAYS, (0,), (0,)),
        ("*-*-* 00:00", None, ALL_DAYS, (0,), (0,)),
        ("*-*-1 00:00:00", None, (1,), (0,), (0,)),
        ("*-*-4,1,2,3 00:00:00", None, (1, 2, 3, 4), (0,), (0,)),  # "output is sorted"
        ("*-*-* 00:15", None, ALL_DAYS, (0,), (15,)),
        ("*-*-* 00:15,30", None, ALL_DAYS, (0,), (15, 30)),
    ],
)
def test_parse_calendar_accepts(expr: str, weekdays: set[int] | None, days: tuple[int, ...],
                                hours: tuple[int, ...], minutes: tuple[int, ...]) -> None:
    c = Calendar.parse(expr)
    assert (c.weekdays, c.years, c.months, c.days, c.hours, c.minutes) == (
        None if weekdays is None else frozenset(weekdays), None, ALL_MONTHS, days, hours, minutes
    )


@pytest.mark.parametrize(
    ("expr", "go_error", "field"),
    [
        ("Sun --* 00:00", "failed to match 'Sun --* 00:00'", "year"),
        ("soup *-*-* 00:00", "error parsing weekday: unknown weekday 'soup'", "weekday"),
        ("2000-*-* 00:00:00", "error parsing year: 2000 is out of range (before 2026)", "year"),
        ("2026-01-01 00:00:*", "error parsing seconds: per-second granularity is unsupported", "second"),
        ("*-*-* 00:22", "error parsing minute: '22' is not one of 0/15/30/45", "minute"),
        ("garbage", "failed to match 'garbage'", "expression"),
    ],
)
def test_parse_calendar_refuses(expr: str, go_error: str, field: str) -> None:
    with pytest.raises(CalendarError) as e:
        Calendar.parse(expr)
    assert e.value.field == field, go_error


# -- TestNext -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "now", "expr", "want"),
    [
        ("fixed year", at(2026, 1, 1), "2028-01-01 00:00", at(2028, 1, 1)),
        ("fixed year when it is this year, monthly", at(2026, 1, 1), "2026-*-01 00:00", at(2026, 2, 1)),
        ("next month, over year", at(2026, 12, 1), "*-*-01 00:00", at(2027, 1, 1)),
        ("next day", at(2026, 1, 1), "*-*-* 00:00", at(2026, 1, 2)),
        ("specific days", at(2026, 1, 10), "*-*-1,7,14,23 00:00", at(2026, 1, 14)),
        ("specific days and has to roll over", at(2026, 4, 10), "*-*-1,31 00:00", at(2026, 5, 1)),
        ("next monday", at(2026, 1, 1), "Mon *-*-* 00:00", at(2026, 1, 5)),
        ("next monday when it is tomorrow", at(2026, 1, 4), "Mon *-*-* 00:00", at(2026, 1, 5)),
        ("next monday when today is a monday", at(2026, 1, 5), "Mon *-*-* 00:00", at(2026, 1, 12)),
        ("daily in march", at(2026, 1, 1), "*-03-* 00:00", at(2026, 3, 1)),
        ("daily in jan or march when it is jan but can't run", at(2026, 1, 1), "*-1,3-1 00:00", at(2026, 3, 1)),
        ("next day (feb 28+1 26)", at(2026, 2, 28), "*-*-* 00:00", at(2026, 3, 1)),
        ("next day (feb 28+1 2028, leap year)", at(2028, 2, 28), "*-*-* 00:00", at(2028, 2, 29)),
        ("next hour", at(2026, 1, 1), "*-*-* *:00", at(2026, 1, 1, 1)),
        ("specific hours", at(2026, 1, 1), "*-*-* 6,12,18:00", at(2026, 1, 1, 6)),
        ("specific hours and the day has to roll over", at(2026, 1, 1, 20), "*-*-* 6,12,18:00", at(2026, 1, 2, 6)),
        ("next hour, over day", at(2026, 1, 1, 23), "*-*-* *:00", at(2026, 1, 2)),
        ("next half hour", at(2026, 1, 1), "*-*-* *:30", at(2026, 1, 1, 0, 30)),
        ("next 15 mins", at(2026, 1, 1), "*-*-* *:0,15,30,45", at(2026, 1, 1, 0, 15)),
        ("next 15 mins @ 15 past", at(2026, 1, 1, 0, 15), "*-*-* *:0,15,30,45", at(2026, 1, 1, 0, 30)),
        ("fixed year (past)", at(2028, 1, 1), "2027-01-01 00:00", None),
    ],
)
def test_next(name: str, now: datetime, expr: str, want: datetime | None) -> None:
    assert Calendar.parse(expr).next(now) == want, name


def test_next_never() -> None:
    # TestNext "never": calendar{Year: []int{2025}} from 2026 has no next time (an expression cannot
    # say 2025: ParseCalendar refuses years before 2026, so the struct is built as Go's test does)
    c = replace(Calendar.parse("2026-*-* *:00"), years=(2025,), minutes=tuple(range(60)), hours=ALL_HOURS)
    assert c.next(at(2026, 1, 1)) is None


# -- TestClusterHash, TestClusterPercentWithinPeriod -----------------------------------------------------


def test_cluster_hash() -> None:
    rid = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/resourceGroup/providers/Microsoft.RedHatOpenShift/openShiftClusters/resourceName"
    rid2 = rid.replace("0000-000000000000/", "0000-000000000002/")
    h, h2 = spread_fraction(rid), spread_fraction(rid2)
    assert 0.0 <= h <= 1.0 and 0.0 <= h2 <= 1.0
    assert h == pytest.approx(0.8542921656869101, abs=1e-10)  # "it should be stable"
    assert spread_offset(rid, timedelta(hours=1)) == timedelta(seconds=3075)
    assert h != h2


@pytest.mark.parametrize(
    ("desc", "percent", "period", "end"),
    [
        ("0% of 0s", 0.0, timedelta(0), timedelta(0)),
        ("100% of 0s", 1.0, timedelta(0), timedelta(0)),
        ("0% of 5s", 0.0, timedelta(seconds=5), timedelta(0)),
        ("100% of 5s", 1.0, timedelta(seconds=5), timedelta(seconds=4)),
        ("0% of 1 minute", 0.0, timedelta(minutes=1), timedelta(0)),
        ("10% of 1 minute", 0.1, timedelta(minutes=1), timedelta(seconds=6)),
        ("10% of 1 hour", 0.1, timedelta(hours=1), timedelta(seconds=360)),
        # "Ensure that time + 1 min does not fall on the next minute, but within the same minute"
        ("100% of 1 minute", 1.0, timedelta(minutes=1), timedelta(seconds=59)),
    ],
)
def test_cluster_percent_within_period(desc: str, percent: float, period: timedelta, end: timedelta) -> None:
    assert percent_within_period(percent, period) == end, desc
