from __future__ import annotations

import calendar as stdcal
import os
import random
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from mimo.scheduler.calendar import Calendar, CalendarError

UTC = timezone.utc


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, sec: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, sec, us, tzinfo=UTC)


# -- the spec's examples, hand-computed (2026-11-27 is a Friday) ----------------------------------

NOW = at(2026, 11, 27, 5, 3, 17)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("Mon *-*-* 00:00", [at(2026, 11, 30), at(2026, 12, 7), at(2026, 12, 14), at(2026, 12, 21)]),
        ("*-*-1,15 06:00", [at(2026, 12, 1, 6), at(2026, 12, 15, 6), at(2027, 1, 1, 6), at(2027, 1, 15, 6)]),
        ("*-3,6,9,12-1 00:00", [at(2026, 12, 1), at(2027, 3, 1), at(2027, 6, 1), at(2027, 9, 1)]),
        ("*-*-* *:0,30", [at(2026, 11, 27, 5, 30), at(2026, 11, 27, 6), at(2026, 11, 27, 6, 30), at(2026, 11, 27, 7)]),
        ("Sat,Sun *-*-* 02:00", [at(2026, 11, 28, 2), at(2026, 11, 29, 2), at(2026, 12, 5, 2), at(2026, 12, 6, 2)]),
        # rare ones
        ("*-2-29 00:00", [at(2028, 2, 29), at(2032, 2, 29), at(2036, 2, 29), at(2040, 2, 29)]),
        ("2027-*-* 12:15", [at(2027, 1, 1, 12, 15), at(2027, 1, 2, 12, 15), at(2027, 1, 3, 12, 15), at(2027, 1, 4, 12, 15)]),
        ("*-*-31 00:00", [at(2026, 12, 31), at(2027, 1, 31), at(2027, 3, 31), at(2027, 5, 31)]),
        # Friday the 13th: Aug 2027, Oct 2028, Apr 2029, Jul 2029
        ("Fri *-*-13 00:00", [at(2027, 8, 13), at(2028, 10, 13), at(2029, 4, 13), at(2029, 7, 13)]),
        # Feb 29 that is a Monday: 2044, 2072, 2112, 2140
        ("Mon *-2-29 23:45", [at(2044, 2, 29, 23, 45), at(2072, 2, 29, 23, 45), at(2112, 2, 29, 23, 45), at(2140, 2, 29, 23, 45)]),
    ],
)
def test_next_of_examples(expr: str, expected: list[datetime]) -> None:
    cal = Calendar.parse(expr)
    got = cal.iter_from(NOW, len(expected))
    assert got == expected
    for t in expected:
        assert cal.matches(t)
        assert t.tzinfo is not None and t.utcoffset() == timedelta(0)
    # previous() walks the same instants backwards
    for earlier, later in zip(expected, expected[1:], strict=False):
        assert cal.previous(later) == earlier


def test_next_is_strictly_after() -> None:
    cal = Calendar.parse("*-*-* 06:00")
    assert cal.next(at(2026, 12, 1, 6)) == at(2026, 12, 2, 6)
    assert cal.next(at(2026, 12, 1, 5, 59, 59, 999999)) == at(2026, 12, 1, 6)
    assert cal.next(at(2026, 12, 1, 6, 0, 0, 1)) == at(2026, 12, 2, 6)
    assert cal.previous(at(2026, 12, 1, 6)) == at(2026, 11, 30, 6)
    assert cal.previous(at(2026, 12, 1, 6, 0, 0, 1)) == at(2026, 12, 1, 6)


def test_month_ends_and_leap_days() -> None:
    cal = Calendar.parse("*-*-29,30,31 00:00")
    # Feb 2027 has 28 days: from Jan 31 straight to Mar 29
    assert cal.next(at(2027, 1, 31)) == at(2027, 3, 29)
    # Feb 2028 has 29
    assert cal.next(at(2028, 1, 31)) == at(2028, 2, 29)
    assert cal.next(at(2028, 2, 29)) == at(2028, 3, 29)
    # April has no 31st
    assert Calendar.parse("*-4-31 00:00").next(NOW) is None
    assert Calendar.parse("*-2-30,31 00:00").next(NOW) is None
    assert Calendar.parse("*-2-30,31 00:00").previous(NOW) is None
    # a 31st-only calendar skips short months
    assert Calendar.parse("*-*-31 00:00").next(at(2027, 3, 31)) == at(2027, 5, 31)


def test_year_list_ending_gives_none() -> None:
    cal = Calendar.parse("2026,2027-12-31 23:45")
    assert cal.next(NOW) == at(2026, 12, 31, 23, 45)
    assert cal.next(at(2026, 12, 31, 23, 45)) == at(2027, 12, 31, 23, 45)
    assert cal.next(at(2027, 12, 31, 23, 45)) is None
    assert cal.previous(at(2026, 12, 31, 23, 45)) is None
    assert Calendar.parse("2026-1-1 00:00").next(NOW) is None


def test_year_9999_end_is_none_not_overflow() -> None:
    cal = Calendar.parse("*-12-31 23:45")
    assert cal.next(datetime(9999, 12, 31, 23, 45, tzinfo=UTC)) is None
    assert cal.next(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)) is None
    assert cal.next(datetime(9999, 12, 30, tzinfo=UTC)) == datetime(9999, 12, 31, 23, 45, tzinfo=UTC)


def test_weekday_and_day_must_both_hold() -> None:
    cal = Calendar.parse("Mon *-*-1 00:00")
    # first of a month that is a Monday, after Nov 27 2026: Feb 1 2027, Mar 1 2027, Nov 1 2027
    assert cal.iter_from(NOW, 3) == [at(2027, 2, 1), at(2027, 3, 1), at(2027, 11, 1)]
    assert not cal.matches(at(2026, 12, 1))  # a Tuesday
    assert not cal.matches(at(2026, 11, 30))  # a Monday, not the 1st


def test_other_time_zones_are_converted_to_utc() -> None:
    cal = Calendar.parse("*-*-* 06:00")
    plus2 = timezone(timedelta(hours=2))
    assert cal.matches(datetime(2026, 12, 1, 8, 0, tzinfo=plus2))
    assert cal.next(datetime(2026, 12, 1, 7, 0, tzinfo=plus2)) == at(2026, 12, 1, 6)


def test_naive_datetime_refused() -> None:
    cal = Calendar.parse("*-*-* 06:00")
    with pytest.raises(ValueError, match="after: must be an aware datetime"):
        cal.next(datetime(2026, 12, 1))
    with pytest.raises(ValueError, match="instant: must be an aware datetime"):
        cal.matches(datetime(2026, 12, 1))


def test_matches_needs_whole_minute() -> None:
    cal = Calendar.parse("*-*-* *:*")
    assert cal.matches(at(2026, 12, 1, 6, 15))
    assert not cal.matches(at(2026, 12, 1, 6, 15, 1))
    assert not cal.matches(datetime(2026, 12, 1, 6, 15, 0, 5, tzinfo=UTC))
    assert not cal.matches(at(2026, 12, 1, 6, 10))


@pytest.mark.parametrize(
    "expr",
    ["mon *-*-* 00:00", "MONDAY *-*-* 00:00", "Monday,tuesday,WED *-*-* 00:00:00", "  Sun   2026-12-06   02:00:0  "],
)
def test_weekday_spellings_and_whitespace(expr: str) -> None:
    Calendar.parse(expr)


def test_canonical_form() -> None:
    assert Calendar.parse("sunday,mon *-12,3-1 6:0").canonical == "Mon,Sun *-03,12-01 06:00:00"
    assert Calendar.parse("*-*-* *:0,15,30,45:00").canonical == "*-*-* *:*:00"


def test_rare_calendars_answer_fast() -> None:
    cal = Calendar.parse("Mon *-2-29 00:00")
    t0 = time.perf_counter()
    for _ in range(50):
        assert cal.next(NOW) == at(2044, 2, 29)
        assert Calendar.parse("*-2-30 00:00").next(NOW) is None
        assert Calendar.parse("2027-*-* 00:00").next(NOW) == at(2027, 1, 1)
    elapsed = time.perf_counter() - t0
    # a minute-by-minute walk to 2044 would be ~9 million steps per call
    assert elapsed < 2.0, f"150 rare next() calls took {elapsed:.2f}s"


# -- rejected expressions: the error names the field and the bad text ----------------------------


@pytest.mark.parametrize(
    ("expr", "field", "text"),
    [
        ("Mon..Fri *-*-* 00:00", "weekday", "Mon..Fri"),
        ("*-*-1..7 00:00", "day", "1..7"),
        ("2026..2027-*-* 00:00", "year", "2026..2027"),
        ("*-1..3-* 00:00", "month", "1..3"),
        ("*-*-* 0..6:00", "hour", "0..6"),
        ("*-*-* */2:00", "hour", "*/2"),
        ("*-*-* 00:00/15", "minute", "00/15"),
        ("*-*-1/7 00:00", "day", "1/7"),
        ("*-02~03 00:00", "day", "*-02~03"),
        ("*-*-* 00:00; *-*-* 12:00", "minute", "00:00;"),
        ("*-*-* 00:00;Mon", "minute", "00;Mon"),
        ("Mon;Tue *-*-* 00:00", "weekday", "Mon;Tue"),
        ("*-*-* 00:00 UTC", "time zone", "UTC"),
        ("*-*-* 00:00 Europe/Berlin", "time zone", "Europe/Berlin"),
        ("*-*-* 00:00Z", "time zone", "Z"),
        ("*-*-* 00:00+01:00", "time zone", "+01:00"),
        ("*-*-* 00:00:00 +0100", "time zone", "+0100"),
        ("*-*-* 00:05", "minute", "05"),
        ("*-*-* 00:0,10", "minute", "0,10"),
        ("*-*-* 00:60", "minute", "60"),
        ("*-*-* 00:00:30", "second", "30"),
        ("*-*-* 00:00:*", "second", "*"),
        ("*-*-* 00:00:00:00", "second", "00:00:00:00"),
        ("2025-*-* 00:00", "year", "2025"),
        ("26-*-* 00:00", "year", "26"),
        ("10000-*-* 00:00", "year", "10000"),
        ("*-0-* 00:00", "month", "0"),
        ("*-13-* 00:00", "month", "13"),
        ("*-*-0 00:00", "day", "0"),
        ("*-*-32 00:00", "day", "32"),
        ("*-*-* 24:00", "hour", "24"),
        ("*-*-* -1:00", "hour", "-1"),
        ("Mo *-*-* 00:00", "weekday", "Mo"),
        ("Mon,Funday *-*-* 00:00", "weekday", "Funday"),
        ("Mon, *-*-* 00:00", "weekday", "Mon,"),
        ("* *-*-* 00:00", "weekday", "*"),
        ("*-*-1,,15 00:00", "day", "1,,15"),
        ("*-*-x 00:00", "day", "x"),
        ("*-*-1,* 00:00", "day", "1,*"),
        ("*-*- 00:00", "day", ""),
        ("2-29 00:00", "year", "2-29"),
        ("*-*-*-* 00:00", "day", "*-*-*-*"),
        ("Mon 00:00", "year", "Mon"),
        ("*-*-* 0000", "hour", "0000"),
        ("Mon *-*-* 0000", "minute", "0000"),
        ("daily", "expression", "daily"),
        ("", "expression", ""),
        ("Mon *-*-* 00:00 extra words", "expression", "Mon *-*-* 00:00 extra words"),
    ],
)
def test_rejected_with_field_named(expr: str, field: str, text: str) -> None:
    with pytest.raises(CalendarError) as ei:
        Calendar.parse(expr)
    err = ei.value
    assert issubclass(type(err), ValueError)
    assert (err.field, err.text) == (field, text), str(err)
    assert f"{field} {text!r}" in str(err)
    assert str(err).startswith(f"calendar {expr!r}: ")


def test_non_string_refused() -> None:
    with pytest.raises(CalendarError, match="must be a string"):
        Calendar.parse(5)  # type: ignore[arg-type]


# -- property check against a brute-force scan -----------------------------------------------------

SEED = int(os.environ.get("MIMO_TEST_SEED", "20261127"))
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _random_fields(rng: random.Random) -> dict[str, list[int] | None]:
    def pick(pool: list[int], p_star: float, kmax: int) -> list[int] | None:
        if rng.random() < p_star:
            return None
        return sorted(rng.sample(pool, rng.randint(1, min(kmax, len(pool)))))

    return {
        "weekdays": pick(list(range(7)), 0.6, 3),
        "years": pick(list(range(2026, 2031)), 0.7, 3),
        "months": pick(list(range(1, 13)), 0.5, 4),
        "days": pick(list(range(1, 32)), 0.4, 4),
        "hours": pick(list(range(24)), 0.3, 3),
        "minutes": pick([0, 15, 30, 45], 0.3, 2),
    }


def _expr(f: dict[str, list[int] | None]) -> str:
    def nums(v: list[int] | None) -> str:
        return "*" if v is None else ",".join(str(x) for x in v)

    wd = ",".join(WEEKDAYS[i] for i in f["weekdays"]) + " " if f["weekdays"] is not None else ""
    sec = ":00" if (f["hours"] or [0])[0] % 2 else ""
    return f"{wd}{nums(f['years'])}-{nums(f['months'])}-{nums(f['days'])} {nums(f['hours'])}:{nums(f['minutes'])}{sec}"


def _ref_day_ok(f: dict[str, list[int] | None], d: date) -> bool:
    return (
        (f["years"] is None or d.year in f["years"])
        and (f["months"] is None or d.month in f["months"])
        and (f["days"] is None or d.day in f["days"])
        and (f["weekdays"] is None or d.weekday() in f["weekdays"])
    )


def _ref_times(f: dict[str, list[int] | None]) -> list[tuple[int, int]]:
    hours = f["hours"] if f["hours"] is not None else list(range(24))
    minutes = f["minutes"] if f["minutes"] is not None else [0, 15, 30, 45]
    return [(h, m) for h in hours for m in minutes]


def _brute_next(f: dict[str, list[int] | None], after: datetime, horizon_days: int) -> datetime | None:
    """Walk day by day, then every minute of a matching day (independent of the code under test)."""
    d = after.date()
    times = set(_ref_times(f))
    for _ in range(horizon_days):
        if _ref_day_ok(f, d):
            for minute_of_day in range(24 * 60):
                h, m = divmod(minute_of_day, 60)
                t = datetime(d.year, d.month, d.day, h, m, tzinfo=UTC)
                if t > after and (h, m) in times:
                    return t
        d += timedelta(days=1)
    return None


def _brute_prev(f: dict[str, list[int] | None], before: datetime, horizon_days: int) -> datetime | None:
    d = before.date()
    times = set(_ref_times(f))
    for _ in range(horizon_days):
        if _ref_day_ok(f, d):
            for minute_of_day in reversed(range(24 * 60)):
                h, m = divmod(minute_of_day, 60)
                t = datetime(d.year, d.month, d.day, h, m, tzinfo=UTC)
                if t < before and (h, m) in times:
                    return t
        d -= timedelta(days=1)
    return None


def test_next_and_previous_match_brute_force() -> None:
    print(f"seed={SEED} (set MIMO_TEST_SEED to replay)")
    rng = random.Random(SEED)
    horizon = 3 * 366
    checked = 0
    for case in range(150):
        f = _random_fields(rng)
        expr = _expr(f)
        cal = Calendar.parse(expr)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        after = start + timedelta(seconds=rng.randrange(0, 365 * 86400), microseconds=rng.choice([0, 1, 500000]))
        if rng.random() < 0.2:  # land exactly on a boundary sometimes
            after = after.replace(minute=rng.choice([0, 15, 30, 45]), second=0, microsecond=0)
        ctx = f"seed={SEED} case={case} expr={expr!r} after={after.isoformat()}"
        want = _brute_next(f, after, horizon)
        got = cal.next(after)
        if want is None:
            assert got is None or got > after + timedelta(days=horizon - 2), ctx
        else:
            assert got == want, ctx
            assert cal.matches(got), ctx
            checked += 1
        # previous(), over the horizon back to the start of 2026 (no year before 2026 is listed)
        before = after + timedelta(days=rng.randrange(0, 400))
        want_p = _brute_prev(f, before, (before.date() - date(2023, 1, 1)).days)
        got_p = cal.previous(before)
        if f["years"] is not None or want_p is not None:
            assert got_p == want_p, f"{ctx} before={before.isoformat()}"
        # matches() agrees with the reference on arbitrary minutes
        for _ in range(20):
            t = start + timedelta(minutes=rng.randrange(0, 5 * 366 * 24 * 60))
            ref = _ref_day_ok(f, t.date()) and (t.hour, t.minute) in set(_ref_times(f))
            assert cal.matches(t) == ref, f"{ctx} t={t.isoformat()}"
    assert checked > 60  # most random calendars fire within three years


def test_month_lengths_agree_with_stdlib() -> None:
    # every month end over a 4-year cycle, via the 31/30/29/28 days
    cal = Calendar.parse("*-*-28,29,30,31 00:00")
    t = at(2027, 1, 1)
    for _ in range(4 * 12):
        ends = []
        cur = cal.next(t)
        while cur is not None and (cur.year, cur.month) == (t.year, t.month):
            ends.append(cur.day)
            cur = cal.next(cur)
        assert ends[-1] == stdcal.monthrange(t.year, t.month)[1]
        t = cur.replace(day=1) if cur is not None else t


# -- issue #8 "Done when": each listed case pinned with exact instants ------------------------------


@pytest.mark.parametrize(
    ("expr", "instant", "following"),
    [
        # from one of its own instants, next() is the one after (strictly after), across week/month/year ends
        ("Mon *-*-* 00:00", at(2026, 11, 30), at(2026, 12, 7)),
        ("Mon *-*-* 00:00", at(2026, 12, 28), at(2027, 1, 4)),
        ("*-*-1,15 06:00", at(2026, 12, 15, 6), at(2027, 1, 1, 6)),
        ("*-*-1,15 06:00", at(2027, 2, 15, 6), at(2027, 3, 1, 6)),
        ("*-3,6,9,12-1 00:00", at(2026, 12, 1), at(2027, 3, 1)),
        ("*-3,6,9,12-1 00:00", at(2027, 9, 1), at(2027, 12, 1)),
        ("*-*-* *:0,30", at(2026, 12, 31, 23, 30), at(2027, 1, 1, 0, 0)),
        ("*-*-* *:0,30", at(2026, 11, 27, 5, 0), at(2026, 11, 27, 5, 30)),
        ("Sat,Sun *-*-* 02:00", at(2026, 11, 29, 2), at(2026, 12, 5, 2)),
        ("Sat,Sun *-*-* 02:00", at(2027, 1, 2, 2), at(2027, 1, 3, 2)),
    ],
)
def test_spec_examples_from_their_own_instants(expr: str, instant: datetime, following: datetime) -> None:
    cal = Calendar.parse(expr)
    assert cal.matches(instant)
    assert cal.next(instant) == following
    # one microsecond earlier, the instant itself is next
    assert cal.next(instant - timedelta(microseconds=1)) == instant
    # nothing in between matches (calendar instants fall on quarter hours)
    t = instant + timedelta(minutes=15)
    while t < following:
        assert not cal.matches(t), t
        t += timedelta(minutes=15)


def test_spec_examples_do_not_match_neighbours() -> None:
    assert not Calendar.parse("Mon *-*-* 00:00").matches(at(2026, 12, 1))  # a Tuesday
    assert not Calendar.parse("Mon *-*-* 00:00").matches(at(2026, 11, 30, 0, 15))
    assert not Calendar.parse("*-*-1,15 06:00").matches(at(2026, 12, 2, 6))
    assert not Calendar.parse("*-*-1,15 06:00").matches(at(2026, 12, 1, 7))
    assert not Calendar.parse("*-3,6,9,12-1 00:00").matches(at(2027, 4, 1))
    assert not Calendar.parse("*-*-* *:0,30").matches(at(2026, 12, 1, 6, 15))
    assert not Calendar.parse("*-*-* *:0,30").matches(at(2026, 12, 1, 6, 45))
    assert not Calendar.parse("Sat,Sun *-*-* 02:00").matches(at(2026, 12, 4, 2))  # a Friday


def test_29_february_in_leap_and_non_leap_years() -> None:
    every = Calendar.parse("*-2-29 00:00")
    # 2026 and 2027 are not leap years: the next Feb 29 is 2028
    assert every.next(at(2026, 1, 1)) == at(2028, 2, 29)
    assert every.next(at(2027, 2, 28, 23, 59)) == at(2028, 2, 29)
    assert every.next(at(2028, 2, 29)) == at(2032, 2, 29)
    assert every.matches(at(2028, 2, 29))
    # 2100 is not a leap year (divisible by 100), 2400 is (divisible by 400)
    assert every.next(at(2096, 2, 29)) == at(2104, 2, 29)
    assert every.next(at(2396, 2, 29)) == at(2400, 2, 29)
    # a year list of non-leap years never fires; parsing still succeeds (the day exists in other years)
    assert Calendar.parse("2027-2-29 00:00").next(at(2026, 1, 1)) is None
    assert Calendar.parse("2100-2-29 00:00").next(at(2026, 1, 1)) is None
    assert Calendar.parse("2027,2028-2-29 00:00").next(at(2026, 1, 1)) == at(2028, 2, 29)
    assert Calendar.parse("2027,2028-2-29 00:00").next(at(2028, 2, 29)) is None
    # the days at the end of February: 28 only in 2027, 28 and 29 in 2028, then March 1
    end = Calendar.parse("*-2,3-28,29,1 12:00")
    assert end.iter_from(at(2027, 2, 27), 3) == [at(2027, 2, 28, 12), at(2027, 3, 1, 12), at(2027, 3, 28, 12)]
    assert end.iter_from(at(2028, 2, 27), 4) == [
        at(2028, 2, 28, 12), at(2028, 2, 29, 12), at(2028, 3, 1, 12), at(2028, 3, 28, 12)
    ]


def test_the_31st_in_short_months() -> None:
    cal = Calendar.parse("*-*-31 06:00")
    # Feb, Apr, Jun, Sep, Nov have no 31st
    assert cal.iter_from(at(2027, 1, 31, 6), 7) == [
        at(2027, 3, 31, 6), at(2027, 5, 31, 6), at(2027, 7, 31, 6), at(2027, 8, 31, 6),
        at(2027, 10, 31, 6), at(2027, 12, 31, 6), at(2028, 1, 31, 6),
    ]
    assert not cal.matches(at(2027, 4, 30, 6)) and not cal.matches(at(2027, 5, 1, 6))
    # only short months listed: never
    assert Calendar.parse("*-2,4,6,9,11-31 00:00").next(at(2026, 1, 1)) is None
    # the 30th: every month but February
    thirtieth = Calendar.parse("*-*-30 00:00")
    assert thirtieth.next(at(2027, 1, 30)) == at(2027, 3, 30)
    assert thirtieth.next(at(2028, 1, 30)) == at(2028, 3, 30)  # not even in a leap year


def test_year_lists_that_end() -> None:
    cal = Calendar.parse("2026,2028-*-1 00:00")
    assert cal.next(at(2026, 12, 1)) == at(2028, 1, 1)  # 2027 skipped
    assert cal.next(at(2028, 11, 30, 23, 45)) == at(2028, 12, 1)
    assert cal.next(at(2028, 12, 1)) is None
    assert cal.next(at(2030, 1, 1)) is None
    # a weekday that no longer occurs in the last listed year
    assert Calendar.parse("Mon 2026-12-* 00:00").next(at(2026, 12, 28)) is None
    assert Calendar.parse("Mon 2026-12-* 00:00").next(at(2026, 12, 27)) == at(2026, 12, 28)
    # a single instant: once, then never
    once = Calendar.parse("2027-6-15 12:30")
    assert once.next(NOW) == at(2027, 6, 15, 12, 30)
    assert once.next(at(2027, 6, 15, 12, 30)) is None


def test_weekday_and_day_lists_combined_mean_both() -> None:
    cal = Calendar.parse("Sat,Sun *-*-1,15 02:00")
    # the 1st or 15th of a month falling on a weekend, after Fri 27 Nov 2026
    assert cal.iter_from(NOW, 6) == [
        at(2027, 5, 1, 2), at(2027, 5, 15, 2), at(2027, 8, 1, 2), at(2027, 8, 15, 2), at(2028, 1, 1, 2), at(2028, 1, 15, 2)
    ]
    assert not cal.matches(at(2026, 11, 28, 2))  # a Saturday, the 28th: weekday alone is not enough
    assert not cal.matches(at(2026, 12, 1, 2))  # the 1st, a Tuesday: day alone is not enough
    # a weekday that never falls on the listed date in the listed years
    assert Calendar.parse("Mon 2026-12-25 00:00").next(at(2026, 1, 1)) is None  # a Friday
    assert Calendar.parse("Fri 2026-12-25 00:00").next(at(2026, 1, 1)) == at(2026, 12, 25)
    # weekdays with a month list: Fridays of December 2026
    assert Calendar.parse("Fri 2026-12-* 00:00").iter_from(NOW, 5) == [
        at(2026, 12, 4), at(2026, 12, 11), at(2026, 12, 18), at(2026, 12, 25)
    ]


@pytest.mark.parametrize(
    "spelling",
    ["Mon", "mon", "MON", "mOn", "Monday", "monday", "MONDAY", "mOnDaY"],
)
def test_weekday_spellings_mean_the_same_days(spelling: str) -> None:
    cal = Calendar.parse(f"{spelling} *-*-* 00:00")
    assert cal.weekdays == frozenset({0})
    assert cal.iter_from(NOW, 2) == [at(2026, 11, 30), at(2026, 12, 7)]


@pytest.mark.parametrize(
    ("spelling", "days"),
    [
        ("Tue,THURSDAY", {1, 3}),
        ("wednesday,FRI", {2, 4}),
        ("Saturday,sun", {5, 6}),
        ("SUNDAY,Saturday,sat", {5, 6}),
    ],
)
def test_weekday_lists_mixing_spellings(spelling: str, days: set[int]) -> None:
    cal = Calendar.parse(f"{spelling} *-*-* 00:00")
    assert cal.weekdays == frozenset(days)
    for t in cal.iter_from(NOW, 8):
        assert t.weekday() in days


@pytest.mark.parametrize("time_text", ["06:30", "06:30:00", "06:30:0", "6:30:00", "6:30:0"])
def test_seconds_00_or_0_are_the_same_as_none(time_text: str) -> None:
    cal = Calendar.parse(f"*-*-* {time_text}")
    assert cal.next(NOW) == at(2026, 11, 27, 6, 30)
    assert cal.matches(at(2026, 11, 28, 6, 30))
    assert not cal.matches(at(2026, 11, 28, 6, 30, 1))


@pytest.mark.parametrize(
    "expr",
    ["2026-*-* 00:00", "*-12-* 00:00", "*-1-* 00:00", "*-*-31 00:00", "*-*-1 00:00", "*-*-* 23:00", "*-*-* 0:45",
     "*-*-* 00:15,45", "9999-12-31 23:45"],
)
def test_boundary_values_accepted(expr: str) -> None:
    Calendar.parse(expr)


@pytest.mark.parametrize(
    ("expr", "field", "text"),
    [
        # every rejected form of issue #8, one each, with a weekday present too
        ("Mon *-*-1..7 00:00", "day", "1..7"),
        ("Mon *-*-* 00:00/30", "minute", "00/30"),
        ("Mon *-*-* */6:00", "hour", "*/6"),
        ("*-*/2-* 00:00", "month", "*/2"),
        ("*/2-*-* 00:00", "year", "*/2"),
        ("Mon/2 *-*-* 00:00", "weekday", "Mon/2"),
        ("*-*~7 00:00", "day", "*-*~7"),
        ("Mon *-*-* 00:00 UTC", "time zone", "UTC"),
        ("*-*-* 00:00 America/New_York", "time zone", "America/New_York"),
        ("*-*-* 00:00 -05:00", "time zone", "-05:00"),
        ("*-*-* 00:00:00UTC", "time zone", "UTC"),
        ("*-*-* 00:01", "minute", "01"),
        ("*-*-* 00:59", "minute", "59"),
        ("*-*-* 00:0,15,20", "minute", "0,15,20"),
        ("*-*-* 00:00:01", "second", "01"),
        ("*-*-* 00:00:59", "second", "59"),
        ("*-*-* 00:00:000", "second", "000"),
        ("2000-*-* 00:00", "year", "2000"),
        ("2026,2024-*-* 00:00", "year", "2024"),
        ("*-13-1 00:00", "month", "13"),
        ("*-1,13-1 00:00", "month", "13"),
        ("*-*-32 00:00", "day", "32"),
        ("*-2-1,32 00:00", "day", "32"),
        ("*-*-* 24:00", "hour", "24"),
        ("*-*-* 0,24:00", "hour", "24"),
        ("Mond *-*-* 00:00", "weekday", "Mond"),
        ("Sat,Sundays *-*-* 00:00", "weekday", "Sundays"),
    ],
)
def test_every_rejected_form_names_its_field(expr: str, field: str, text: str) -> None:
    with pytest.raises(CalendarError) as ei:
        Calendar.parse(expr)
    assert (ei.value.field, ei.value.text) == (field, text), str(ei.value)
    assert str(ei.value).startswith(f"calendar {expr!r}: {field} {text!r}: ")


@pytest.mark.parametrize(
    ("expr", "field", "text"),
    [
        # two expressions joined by ';' (systemd's way of listing several): the ';' is what is named,
        # in the field it follows, not a misread weekday or date
        ("*-*-* 00:00;*-*-* 12:00", "minute", "00:00;*-*-*"),
        ("*-*-* 00:00 ;", "minute", ";"),
        ("*-*-* 00:00 ;Mon", "minute", ";Mon"),
        ("*-*-* 00:00:00;*-*-* 12:00", "second", "00:00:00;*-*-*"),
        ("*-*-*;*-*-* 00:00", "day", "*-*-*;*-*-*"),
        ("Mon *-*-* 00:00;Tue *-*-* 00:00", "minute", "00:00;Tue"),
    ],
)
def test_semicolon_is_named_wherever_it_splits_the_expression(expr: str, field: str, text: str) -> None:
    with pytest.raises(CalendarError) as ei:
        Calendar.parse(expr)
    assert (ei.value.field, ei.value.text) == (field, text), str(ei.value)
    assert "';' is not accepted" in ei.value.reason, str(ei.value)


@pytest.mark.parametrize(
    ("expr", "text"),
    [("*-*-* 00:00 Mon", "Mon"), ("*-*-* 00:00 sat,SUNDAY", "sat,SUNDAY"), ("*-*-1 06:00:00 Friday", "Friday")],
)
def test_a_weekday_after_the_time_is_named_as_a_weekday(expr: str, text: str) -> None:
    with pytest.raises(CalendarError) as ei:
        Calendar.parse(expr)
    assert (ei.value.field, ei.value.text) == ("weekday", text), str(ei.value)
    assert "comes first" in ei.value.reason, str(ei.value)


@pytest.mark.parametrize(
    ("expr", "field", "text", "why"),
    [
        # a rejected form written with spaces, or in a spot that shifts the parts, is still what is named
        ("Mon .. Fri *-*-* 00:00", "weekday", "..", "ranges ('..')"),
        ("*-*-* 00:00 ~", "minute", "~", "'~'"),
        ("*-*-* 00:00 / 15", "minute", "/", "repeats ('/')"),
        ("*-*-* 00:00 UTC+01:00", "time zone", "UTC+01:00", "time zones"),
        ("Mon *-*-* 00:00 GMT-05:00", "time zone", "GMT-05:00", "time zones"),
        ("*/2 00:00", "year", "*/2", "repeats ('/')"),
        ("*-*-* 00:00 Mon..Fri", "weekday", "Mon..Fri", "ranges ('..')"),
        ("Mon..Fri 00:00", "weekday", "Mon..Fri", "ranges ('..')"),
    ],
)
def test_rejected_forms_are_named_even_when_they_shift_the_parts(expr: str, field: str, text: str, why: str) -> None:
    with pytest.raises(CalendarError) as ei:
        Calendar.parse(expr)
    assert (ei.value.field, ei.value.text) == (field, text), str(ei.value)
    assert why in ei.value.reason, str(ei.value)
