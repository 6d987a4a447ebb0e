import time
from datetime import date, datetime, timedelta, timezone

import pytest

from pytest_mimo.clock import DEFAULT_START, SimClock, off_advance, on_advance, parse_start


def test_sleep_is_virtual_and_restored():
    real_sleep = time.sleep
    with SimClock() as clock:
        wall = time.perf_counter()
        time.sleep(20 * 60)
        assert time.perf_counter() - wall < 1.0
        assert clock.elapsed == timedelta(minutes=20)
        assert datetime.now(timezone.utc) == DEFAULT_START + timedelta(minutes=20)
        assert time.time() == (DEFAULT_START + timedelta(minutes=20)).timestamp()
        assert date.today() == date(2026, 1, 5)
    assert time.sleep is real_sleep


def test_advance_move_to_and_now():
    with SimClock("2026-03-02T09:00:00Z") as clock:
        assert clock.now() == datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
        clock.advance(timedelta(hours=1))
        assert clock.now().hour == 10
        clock.move_to("2026-03-02T09:00:00Z")
        assert clock.elapsed == timedelta(0)
        with pytest.raises(ValueError):
            clock.advance(-1)


def test_not_running_is_an_error():
    with pytest.raises(RuntimeError, match="not running"):
        SimClock().now()


def test_bad_start_named():
    with pytest.raises(ValueError, match="'yesterday'"):
        parse_start("yesterday")


def test_default_start_is_a_monday():
    assert DEFAULT_START.weekday() == 0


def test_listeners_hear_forward_moves_only():
    # a listener is a server waiting on virtual deadlines: only a move forward brings one nearer,
    # so a move to the same instant, a backward move and a zero sleep call nobody
    heard: list[datetime] = []

    def listener() -> None:
        heard.append(datetime.now(timezone.utc))

    on_advance(listener)
    try:
        with SimClock("2026-03-02T09:00:00Z") as clock:
            clock.move_to("2026-03-02T09:00:00Z")
            time.sleep(0)
            clock.advance(0)
            assert heard == []
            clock.move_to("2026-03-02T10:00:00Z")
            time.sleep(30)
            clock.move_to("2026-03-02T09:30:00Z")
            clock.move_to("2026-03-02T09:30:00Z")
            clock.advance(timedelta(minutes=1))
    finally:
        off_advance(listener)
    t = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    assert heard == [t + timedelta(hours=1), t + timedelta(hours=1, seconds=30), t + timedelta(minutes=31)]
